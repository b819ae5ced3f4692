import { requireOpenUnitInterval } from './validation';

/*
 * Coefficients of Wichura's PPND16 (the paper prints 20 digits; here each is the double it rounds to,
 * in the shortest form that reads back as that double): rational approximations of
 * degree 7 in r = 0.180625 − q² for the centre |p − ½| ≤ 0.425, and in r = √(−ln min(p, 1 − p)) − 1.6
 * (r ≤ 5) or − 5 (the far tails, down to p ≈ 1e-300) outside it.
 */
const CENTRAL_NUMERATOR = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987, 67265.7709270087,
  33430.57558358813, 2509.0809287301227,
];
const CENTRAL_DENOMINATOR = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271, 28729.085735721943,
  5226.495278852854,
];
const NEAR_TAIL_NUMERATOR = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684, 0.2417807251774506,
  0.022723844989269184, 0.0007745450142783414,
];
const NEAR_TAIL_DENOMINATOR = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
];
const FAR_TAIL_NUMERATOR = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
  0.0012426609473880784, 0.000027115555687434876, 2.0103343992922881e-7,
];
const FAR_TAIL_DENOMINATOR = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133, 0.000018463183175100548,
  1.421511758316446e-7, 2.0442631033899397e-15,
];
const CENTRAL_HALF_WIDTH = 0.425;
const CENTRAL_SHIFT = 0.180625;
const NEAR_TAIL_LIMIT = 5;
const NEAR_TAIL_SHIFT = 1.6;

/** c₀ + c₁x + … + c₇x⁷ by Horner's rule. */
function polynomial(coefficients: ReadonlyArray<number>, x: number): number {
  let value = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) value = value * x + coefficients[i];
  return value;
}

/**
 * Inverse of the standard normal distribution function: the z with Φ(z) = p.
 *
 * Wichura's algorithm AS241 (PPND16): a ratio of two degree-7 polynomials in r = 0.180625 − (p − ½)²
 * near the centre, and in r = √(−ln min(p, 1 − p)) shifted by 1.6 or 5 in the tails, odd about p = ½.
 * Relative error about 1e-16 over the whole range; the tail branch takes ln of min(p, 1 − p), so a p
 * close to 0 keeps its full precision (a p close to 1 has only the precision that 1 − p has in a double).
 *
 * Reference: Wichura M.J. (1988), Algorithm AS 241: The percentage points of the normal distribution,
 * Applied Statistics 37(3), 477–484; scipy.stats.norm.ppf.
 *
 * @throws {DriftInputError} when p is not a number strictly between 0 and 1 (the quantiles of 0 and 1
 *   are infinite, which no confidence interval can use).
 * @example
 * normalQuantile(0.975); // 1.9599639845400536 (scipy's ndtri: 1.959963984540054)
 */
export function normalQuantile(p: number): number {
  requireOpenUnitInterval(p, 'p');
  const q = p - 0.5;
  if (Math.abs(q) <= CENTRAL_HALF_WIDTH) {
    const r = CENTRAL_SHIFT - q * q;
    return (q * polynomial(CENTRAL_NUMERATOR, r)) / polynomial(CENTRAL_DENOMINATOR, r);
  }
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const magnitude =
    r <= NEAR_TAIL_LIMIT
      ? polynomial(NEAR_TAIL_NUMERATOR, r - NEAR_TAIL_SHIFT) / polynomial(NEAR_TAIL_DENOMINATOR, r - NEAR_TAIL_SHIFT)
      : polynomial(FAR_TAIL_NUMERATOR, r - NEAR_TAIL_LIMIT) / polynomial(FAR_TAIL_DENOMINATOR, r - NEAR_TAIL_LIMIT);
  return q < 0 ? -magnitude : magnitude;
}
