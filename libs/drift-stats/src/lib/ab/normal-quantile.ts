import { requireOpenUnitInterval } from './validation';

/*
 * Coefficients of Wichura's PPND16, copied digit for digit from the paper: rational approximations of
 * degree 7 in r = 0.180625 − q² for the centre |p − ½| ≤ 0.425, and in r = √(−ln min(p, 1 − p)) − 1.6
 * (r ≤ 5) or − 5 (the far tails, down to p ≈ 1e-300) outside it.
 */
const CENTRAL_NUMERATOR = [
  3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
  45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727,
];
const CENTRAL_DENOMINATOR = [
  1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867,
  39307.89580009271061, 28729.085735721942674, 5226.495278852854561,
];
const NEAR_TAIL_NUMERATOR = [
  1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
  1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4,
];
const NEAR_TAIL_DENOMINATOR = [
  1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459,
  0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9,
];
const FAR_TAIL_NUMERATOR = [
  6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
  0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
];
const FAR_TAIL_DENOMINATOR = [
  1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4,
  1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15,
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
