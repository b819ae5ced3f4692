/**
 * L2-regularised binary logistic regression fitted by Newton's method, reaching the optimum of
 * scikit-learn's `LogisticRegression(C)`:
 *
 *   minimise  f(β, b) = C · Σᵢ wᵢ · [log(1 + e^{zᵢ}) − yᵢ zᵢ] + ½ ‖β‖²,   zᵢ = xᵢ·β + b
 *
 * with the intercept b not penalised and wᵢ the class weight of row i (1, or n / (2 · n_class) for
 * `balanced`, as `sklearn.utils.class_weight.compute_class_weight`).
 *
 * Each iteration accumulates the gradient g = C Xᵀ W (μ − y) + (β, 0) and the Hessian
 * H = C Xᵀ diag(wᵢ μᵢ (1 − μᵢ)) X + diag(1, …, 1, 0) over the rows (intercept as a last column of
 * ones), solves H s = −g by Cholesky, and backtracks on the step until the Armijo condition holds.
 * f is strictly convex (β is penalised; b is determined once both classes are present), so the
 * iteration converges quadratically near the optimum; see Nocedal & Wright, Numerical Optimization,
 * 2nd ed., §3.1 (line search) and §3.3 (Newton's method).
 *
 * Speed: rows sharing the same one-hot indicators share that part of the Hessian, which is then
 * accumulated once per distinct pattern rather than once per row (see {@link FactoredRows}); the
 * continuous columns' non-zeros are visited per row, upper triangle only, into preallocated arrays;
 * a line-search trial costs O(n) because the step's effect on every zᵢ is computed once.
 */
import { FitError, OptionError } from '../errors';

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength, as scikit-learn's `C`. Default 1. */
  C?: number;
  /**
   * Convergence: stop when max |g_j| / (C · Σ wᵢ) ≤ tolerance, i.e. the gradient of the per-row
   * average objective that scikit-learn's solvers test. Default 1e-8.
   */
  tolerance?: number;
  /** Newton iterations allowed. Default 100. */
  maxIterations?: number;
  /** `balanced` weighs each class by n / (2 · its count); `null` (default) weighs every row 1. */
  classWeight?: 'balanced' | null;
  /** Called after each evaluation of the objective, for progress displays. */
  onIteration?: (iteration: number, loss: number, gradientNorm: number) => void;
}

/** The fitted coefficients and a record of the optimisation. */
export interface LogisticRegressionFit {
  /** One weight per feature, in the design matrix's column order. */
  coefficients: number[];
  intercept: number;
  /** Newton steps taken. */
  iterations: number;
  converged: boolean;
  /** Objective f at the start (the intercept-only model) and after every step (length iterations + 1). */
  lossHistory: number[];
  /** Scaled gradient norm (see {@link LogisticRegressionOptions.tolerance}) at the same points. */
  gradientNormHistory: number[];
  /** Weight of class 0 and of class 1. */
  classWeights: [number, number];
}

const ARMIJO_SUFFICIENT_DECREASE = 1e-4;
const MAX_STEP_HALVINGS = 50;
/**
 * A full Newton step whose objective is within this relative distance of the current one is taken
 * even without a measurable decrease: near the optimum the decrease is below the rounding of a sum
 * over many rows, and the gradient test (not the loss) decides convergence.
 */
const LOSS_ROUNDING_SLACK = 1e-12;

/**
 * Fits the model on a dense row-major design matrix.
 *
 * @param design rows × features, row-major; not modified.
 * @param labels one 0/1 label per row; not modified.
 * @throws OptionError for a bad C, tolerance or iteration limit.
 * @throws FitError for mismatched sizes, non-finite values, labels other than 0/1, a single class,
 *   or a Hessian that is not positive definite.
 */
export function fitLogisticRegression(
  design: { values: Float64Array; rowCount: number; featureCount: number },
  labels: ArrayLike<number>,
  options: LogisticRegressionOptions = {},
): LogisticRegressionFit {
  const { values: X, rowCount: n, featureCount: d } = design;
  const C = options.C ?? 1;
  const tolerance = options.tolerance ?? 1e-8;
  const maxIterations = options.maxIterations ?? 100;
  if (!(C > 0) || !Number.isFinite(C)) throw new OptionError(`C must be a positive finite number, got ${C}`);
  if (!(tolerance > 0)) throw new OptionError(`tolerance must be positive, got ${tolerance}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new OptionError(`maxIterations must be a non-negative integer, got ${maxIterations}`);
  }
  if (X.length !== n * d)
    throw new FitError(`design matrix has ${X.length} values, expected ${n} rows × ${d} features`);
  if (labels.length !== n) throw new FitError(`${labels.length} labels for ${n} rows`);
  assertFinite(X, d);

  const classCounts = [0, 0];
  for (let i = 0; i < n; i += 1) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new FitError(`row ${i}: label must be 0 or 1, got ${y}`);
    classCounts[y] += 1;
  }
  if (classCounts[0] === 0 || classCounts[1] === 0) {
    throw new FitError(
      `the training rows hold a single class (${classCounts[0]} negatives, ${classCounts[1]} positives)`,
    );
  }
  const classWeights: [number, number] =
    options.classWeight === 'balanced' ? [n / (2 * classCounts[0]), n / (2 * classCounts[1])] : [1, 1];
  const weightSum = classWeights[0] * classCounts[0] + classWeights[1] * classCounts[1];

  const p = d + 1;
  const beta = new Float64Array(p);
  const z = new Float64Array(n);
  const dz = new Float64Array(n);
  const trialZ = new Float64Array(n);
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  const step = new Float64Array(p);
  const rows = factorRows(X, n, d);
  const scratch = accumulationScratch(rows);

  const objective = (linear: Float64Array, coefficients: Float64Array): number =>
    C * weightedLogLoss(linear, labels, classWeights, n) + 0.5 * squaredNorm(coefficients, d);

  const scaledGradientNorm = (): number => {
    let largest = 0;
    for (let j = 0; j < p; j += 1) largest = Math.max(largest, Math.abs(gradient[j]));
    return largest / (C * weightSum);
  };

  // Start from the best intercept-only model (log-odds of the weighted class shares): it is the exact
  // optimum when every coefficient is 0, and it saves the first Newton step's work.
  beta[d] = Math.log((classWeights[1] * classCounts[1]) / (classWeights[0] * classCounts[0]));
  z.fill(beta[d]);
  let loss = objective(z, beta);
  const lossHistory = [loss];
  const gradientNormHistory: number[] = [];
  let iterations = 0;
  let converged = false;
  while (true) {
    accumulateGradientAndHessian(
      rows,
      scratch,
      n,
      p,
      labels,
      z,
      C * classWeights[0],
      C * classWeights[1],
      gradient,
      hessian,
    );
    for (let j = 0; j < d; j += 1) {
      gradient[j] += beta[j];
      hessian[j * p + j] += 1;
    }
    const gradientNorm = scaledGradientNorm();
    gradientNormHistory.push(gradientNorm);
    options.onIteration?.(iterations, loss, gradientNorm);
    if (gradientNorm <= tolerance) {
      converged = true;
      break;
    }
    if (iterations >= maxIterations) break;

    choleskySolve(hessian, gradient, step, p);
    for (let j = 0; j < p; j += 1) step[j] = -step[j];
    let slope = 0;
    for (let j = 0; j < p; j += 1) slope += gradient[j] * step[j];
    linearPredictorChange(rows, n, step, dz);

    let stepLength = 1;
    let accepted = false;
    const trialBeta = new Float64Array(p);
    for (let halving = 0; halving <= MAX_STEP_HALVINGS; halving += 1) {
      for (let j = 0; j < p; j += 1) trialBeta[j] = beta[j] + stepLength * step[j];
      for (let i = 0; i < n; i += 1) trialZ[i] = z[i] + stepLength * dz[i];
      const trialLoss = objective(trialZ, trialBeta);
      const armijo = trialLoss <= loss + ARMIJO_SUFFICIENT_DECREASE * stepLength * slope;
      const withinRounding = halving === 0 && trialLoss <= loss + LOSS_ROUNDING_SLACK * Math.abs(loss);
      if (armijo || withinRounding) {
        beta.set(trialBeta);
        z.set(trialZ);
        loss = trialLoss;
        accepted = true;
        break;
      }
      stepLength /= 2;
    }
    if (!accepted) break;
    iterations += 1;
    lossHistory.push(loss);
  }

  return {
    coefficients: Array.from(beta.subarray(0, d)),
    intercept: beta[d],
    iterations,
    converged,
    lossHistory,
    gradientNormHistory,
    classWeights,
  };
}

/**
 * The design rows in the factored form the solver works on. Columns holding only 0 and 1 (one-hot
 * indicators) are "indicator" columns, the others "continuous". A row's indicator columns equal to 1,
 * plus the intercept (feature d), form its pattern; rows sharing a pattern share that part of
 * xᵢ xᵢᵀ, so the Hessian's indicator blocks are accumulated once per distinct pattern from per-pattern
 * sums of curvature, instead of once per row. One-hot data with a few dozen categorical columns has
 * far fewer distinct patterns than rows; when every row differs this costs what a plain sparse pass
 * costs. The continuous non-zeros stay per row, in compressed sparse rows.
 */
interface FactoredRows {
  /** Feature index of each continuous column (its "slot" below). */
  continuousFeature: Int32Array;
  /** Row i's continuous non-zeros are entries rowStart[i] … rowStart[i + 1] − 1. */
  rowStart: Int32Array;
  slot: Int32Array;
  value: Float64Array;
  patternOfRow: Int32Array;
  patternCount: number;
  /** Pattern q's features (ascending, the intercept d last) are patternFeature[patternStart[q] …]. */
  patternStart: Int32Array;
  patternFeature: Int32Array;
}

/** Factors the rows; each pass is a function of its own, as in {@link accumulateGradientAndHessian}. */
function factorRows(X: Float64Array, n: number, d: number): FactoredRows {
  const isIndicator = indicatorColumns(X, d);
  const continuousFeature = Int32Array.from({ length: d }, (_, j) => j).filter((j) => isIndicator[j] === 0);
  const slotOf = new Int32Array(d).fill(-1);
  continuousFeature.forEach((feature, slot) => (slotOf[feature] = slot));
  const continuousNonZeros = countNonZeros(X, d, continuousFeature);
  const factored = {
    rowStart: new Int32Array(n + 1),
    slot: new Int32Array(continuousNonZeros),
    value: new Float64Array(continuousNonZeros),
    patternOfRow: new Int32Array(n),
  };
  const patterns = new PatternTable(n);
  splitEachRow(X, n, d, isIndicator, slotOf, patterns, factored);
  return { continuousFeature, ...factored, ...patterns.toArrays() };
}

/** 1 for each column holding only 0 and 1, else 0. */
function indicatorColumns(X: Float64Array, d: number): Uint8Array {
  const isIndicator = new Uint8Array(d).fill(1);
  for (let offset = 0; offset < X.length; offset += d) {
    for (let j = 0; j < d; j += 1) {
      const x = X[offset + j];
      if (x !== 0 && x !== 1) isIndicator[j] = 0;
    }
  }
  return isIndicator;
}

/** Non-zero values in the given columns of every row. */
function countNonZeros(X: Float64Array, d: number, columns: Int32Array): number {
  let count = 0;
  for (let offset = 0; offset < X.length; offset += d) {
    for (let k = 0; k < columns.length; k += 1) if (X[offset + columns[k]] !== 0) count += 1;
  }
  return count;
}

/** Writes each row's continuous non-zeros into `factored` and its pattern's id, found or added in `patterns`. */
function splitEachRow(
  X: Float64Array,
  n: number,
  d: number,
  isIndicator: Uint8Array,
  slotOf: Int32Array,
  patterns: PatternTable,
  factored: Pick<FactoredRows, 'rowStart' | 'slot' | 'value' | 'patternOfRow'>,
): void {
  const { rowStart, slot, value, patternOfRow } = factored;
  const current = new Int32Array(d + 1);
  let next = 0;
  for (let i = 0; i < n; i += 1) {
    rowStart[i] = next;
    const offset = i * d;
    let length = 0;
    for (let j = 0; j < d; j += 1) {
      const x = X[offset + j];
      if (x === 0) continue;
      if (isIndicator[j] === 1) {
        current[length] = j;
        length += 1;
      } else {
        slot[next] = slotOf[j];
        value[next] = x;
        next += 1;
      }
    }
    current[length] = d;
    patternOfRow[i] = patterns.idOf(current, length + 1);
  }
  rowStart[n] = next;
}

/**
 * Distinct feature lists, each given a dense id in order of first appearance (open addressing). Its
 * arrays are read and written directly, not through a growable-array class's method per element:
 * most of a small fit runs before V8 has optimised (and inlined) those calls.
 */
class PatternTable {
  /** Pattern id by hash slot, -1 for a free slot; at least twice as many slots as rows, so never full. */
  private readonly slots: Int32Array;
  /** Pattern q's features are features[start[q] … start[q + 1] − 1]; at most one pattern per row. */
  private readonly start: Int32Array;
  /** Each pattern's hash, so that a probe compares lists only when the hashes agree. */
  private readonly hashOf: Int32Array;
  /** Every pattern's features, one after another; doubled when full. */
  private features = new Int32Array(1024);
  private count = 0;

  constructor(rows: number) {
    let size = 1024;
    while (size < 2 * rows) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.start = new Int32Array(rows + 1);
    this.hashOf = new Int32Array(rows);
  }

  idOf(list: Int32Array, length: number): number {
    let hash = 0x811c9dc5;
    for (let k = 0; k < length; k += 1) hash = Math.imul(hash ^ list[k], 0x01000193);
    const mask = this.slots.length - 1;
    for (let probe = hash & mask; ; probe = (probe + 1) & mask) {
      const id = this.slots[probe];
      if (id === -1) {
        this.slots[probe] = this.count;
        return this.add(list, length, hash);
      }
      if (this.hashOf[id] === hash && this.matches(id, list, length)) return id;
    }
  }

  toArrays(): { patternCount: number; patternStart: Int32Array; patternFeature: Int32Array } {
    return {
      patternCount: this.count,
      patternStart: this.start.slice(0, this.count + 1),
      patternFeature: this.features.slice(0, this.start[this.count]),
    };
  }

  private add(list: Int32Array, length: number, hash: number): number {
    const id = this.count;
    const from = this.start[id];
    if (from + length > this.features.length) {
      const larger = new Int32Array(Math.max(2 * this.features.length, from + length));
      larger.set(this.features);
      this.features = larger;
    }
    const features = this.features;
    for (let k = 0; k < length; k += 1) features[from + k] = list[k];
    this.start[id + 1] = from + length;
    this.hashOf[id] = hash;
    this.count += 1;
    return id;
  }

  private matches(id: number, list: Int32Array, length: number): boolean {
    const from = this.start[id];
    if (this.start[id + 1] - from !== length) return false;
    const features = this.features;
    for (let k = 0; k < length; k += 1) if (features[from + k] !== list[k]) return false;
    return true;
  }
}

/** Per-iteration scratch space of {@link accumulateGradientAndHessian}, allocated once per fit. */
interface AccumulationScratch {
  /** Σ over a pattern's rows of the residual wᵢ(μᵢ − yᵢ), and of the curvature wᵢμᵢ(1 − μᵢ). */
  patternResidual: Float64Array;
  patternCurvature: Float64Array;
  /** Σ over a pattern's rows of curvature · x_ij, for each continuous slot j (pattern-major). */
  patternMoment: Float64Array;
  /** Continuous × continuous Hessian block and continuous gradient, by slot. */
  continuousHessian: Float64Array;
  continuousGradient: Float64Array;
}

function accumulationScratch(rows: FactoredRows): AccumulationScratch {
  const m = rows.continuousFeature.length;
  return {
    patternResidual: new Float64Array(rows.patternCount),
    patternCurvature: new Float64Array(rows.patternCount),
    patternMoment: new Float64Array(rows.patternCount * m),
    continuousHessian: new Float64Array(m * m),
    continuousGradient: new Float64Array(m),
  };
}

/**
 * Adds every row's contribution to the data term of the gradient, C Xᵀ W (μ − y), and of the
 * Hessian, C Xᵀ diag(wᵢ μᵢ (1 − μᵢ)) X, with the intercept as feature d; overwrites `gradient` and
 * `hessian` (p = d + 1, row-major, symmetric on return). A pass over the rows sums residuals and
 * curvatures per pattern and the continuous blocks per row; a pass over the patterns then spreads
 * those sums over the indicator entries (see {@link FactoredRows}). The same sums as row by row,
 * in another order. Each pass is a top-level function with its arrays as parameters, rather than a
 * closure, so that V8 keeps them in registers; and a function of its own, so that V8's optimised
 * copy of one pass's loop (made while the first fit's first pass still runs) never runs into a later
 * pass it has no type feedback for, which would throw it away.
 */
function accumulateGradientAndHessian(
  rows: FactoredRows,
  scratch: AccumulationScratch,
  n: number,
  p: number,
  labels: ArrayLike<number>,
  z: Float64Array,
  negativeWeight: number,
  positiveWeight: number,
  gradient: Float64Array,
  hessian: Float64Array,
): void {
  sumRowsByPattern(rows, scratch, n, labels, z, negativeWeight, positiveWeight);
  gradient.fill(0);
  hessian.fill(0);
  spreadPatternSums(rows, scratch, p, gradient, hessian);
  addContinuousSums(rows.continuousFeature, scratch, p, gradient, hessian);
  mirrorUpperTriangle(hessian, p);
}

/** The pass over the rows of {@link accumulateGradientAndHessian}: the sums in `scratch`, overwritten. */
function sumRowsByPattern(
  rows: FactoredRows,
  scratch: AccumulationScratch,
  n: number,
  labels: ArrayLike<number>,
  z: Float64Array,
  negativeWeight: number,
  positiveWeight: number,
): void {
  const { continuousFeature, rowStart, slot, value, patternOfRow } = rows;
  const { patternResidual, patternCurvature, patternMoment, continuousHessian, continuousGradient } = scratch;
  const m = continuousFeature.length;
  patternResidual.fill(0);
  patternCurvature.fill(0);
  patternMoment.fill(0);
  continuousHessian.fill(0);
  continuousGradient.fill(0);
  for (let i = 0; i < n; i += 1) {
    const mu = sigmoid(z[i]);
    const y = labels[i];
    const weight = y === 1 ? positiveWeight : negativeWeight;
    const residual = weight * (mu - y);
    const curvature = weight * mu * (1 - mu);
    const pattern = patternOfRow[i];
    patternResidual[pattern] += residual;
    patternCurvature[pattern] += curvature;
    const momentRow = pattern * m;
    const end = rowStart[i + 1];
    for (let a = rowStart[i]; a < end; a += 1) {
      const xa = value[a];
      const sa = slot[a];
      continuousGradient[sa] += residual * xa;
      const scaled = curvature * xa;
      patternMoment[momentRow + sa] += scaled;
      const hessianRow = sa * m;
      for (let b = a; b < end; b += 1) continuousHessian[hessianRow + slot[b]] += scaled * value[b];
    }
  }
}

/** The pass over the patterns: indicator × indicator and indicator × continuous entries, upper triangle. */
function spreadPatternSums(
  rows: FactoredRows,
  scratch: AccumulationScratch,
  p: number,
  gradient: Float64Array,
  hessian: Float64Array,
): void {
  const { continuousFeature, patternCount, patternStart, patternFeature } = rows;
  const { patternResidual, patternCurvature, patternMoment } = scratch;
  const m = continuousFeature.length;
  for (let q = 0; q < patternCount; q += 1) {
    const from = patternStart[q];
    const to = patternStart[q + 1];
    const residual = patternResidual[q];
    const curvature = patternCurvature[q];
    for (let a = from; a < to; a += 1) {
      const fa = patternFeature[a];
      gradient[fa] += residual;
      const hessianRow = fa * p;
      for (let b = a; b < to; b += 1) hessian[hessianRow + patternFeature[b]] += curvature;
    }
    const momentRow = q * m;
    for (let s = 0; s < m; s += 1) {
      const moment = patternMoment[momentRow + s];
      if (moment === 0) continue;
      const fs = continuousFeature[s];
      for (let a = from; a < to; a += 1) {
        const fa = patternFeature[a];
        hessian[fs < fa ? fs * p + fa : fa * p + fs] += moment;
      }
    }
  }
}

/** The continuous × continuous block and the continuous gradient, from slots to features, upper triangle. */
function addContinuousSums(
  continuousFeature: Int32Array,
  scratch: AccumulationScratch,
  p: number,
  gradient: Float64Array,
  hessian: Float64Array,
): void {
  const { continuousHessian, continuousGradient } = scratch;
  const m = continuousFeature.length;
  for (let sa = 0; sa < m; sa += 1) {
    const fa = continuousFeature[sa];
    gradient[fa] += continuousGradient[sa];
    for (let sb = 0; sb < m; sb += 1) {
      const entry = continuousHessian[sa * m + sb];
      if (entry === 0) continue;
      const fb = continuousFeature[sb];
      hessian[fa < fb ? fa * p + fb : fb * p + fa] += entry;
    }
  }
}

/** Copies a p × p matrix's upper triangle onto its lower one. */
function mirrorUpperTriangle(matrix: Float64Array, p: number): void {
  for (let r = 0; r < p; r += 1) for (let c = 0; c < r; c += 1) matrix[r * p + c] = matrix[c * p + r];
}

/** Σᵢ wᵢ · [log(1 + e^{zᵢ}) − yᵢ zᵢ] over the first n rows. */
function weightedLogLoss(
  linear: Float64Array,
  labels: ArrayLike<number>,
  classWeights: readonly [number, number],
  n: number,
): number {
  let loss = 0;
  for (let i = 0; i < n; i += 1) {
    const zi = linear[i];
    loss += classWeights[labels[i]] * (softplus(zi) - labels[i] * zi);
  }
  return loss;
}

/** Σ vⱼ² over the first `length` entries. */
function squaredNorm(vector: Float64Array, length: number): number {
  let sum = 0;
  for (let j = 0; j < length; j += 1) sum += vector[j] * vector[j];
  return sum;
}

/**
 * zᵢ-changes of a step: dzᵢ = xᵢ · step (step[d] the intercept's), for every row. Its two passes are
 * functions of their own, as in {@link accumulateGradientAndHessian}.
 */
function linearPredictorChange(rows: FactoredRows, n: number, step: Float64Array, dz: Float64Array): void {
  writeRowChanges(rows, n, step, patternChanges(rows, step), dz);
}

/** Each pattern's share of the change: the sum of the step over the pattern's features. */
function patternChanges(rows: FactoredRows, step: Float64Array): Float64Array {
  const { patternCount, patternStart, patternFeature } = rows;
  const patternChange = new Float64Array(patternCount);
  for (let q = 0; q < patternCount; q += 1) {
    let change = 0;
    for (let a = patternStart[q]; a < patternStart[q + 1]; a += 1) change += step[patternFeature[a]];
    patternChange[q] = change;
  }
  return patternChange;
}

/** Writes each row's change: its pattern's share plus its continuous values times their steps. */
function writeRowChanges(
  rows: FactoredRows,
  n: number,
  step: Float64Array,
  patternChange: Float64Array,
  dz: Float64Array,
): void {
  const { continuousFeature, rowStart, slot, value, patternOfRow } = rows;
  for (let i = 0; i < n; i += 1) {
    let change = patternChange[patternOfRow[i]];
    const end = rowStart[i + 1];
    for (let k = rowStart[i]; k < end; k += 1) change += value[k] * step[continuousFeature[slot[k]]];
    dz[i] = change;
  }
}

/**
 * The logistic function 1 / (1 + e^{−z}), evaluated without overflow for large |z|.
 *
 * @example sigmoid(0) // 0.5
 */
export function sigmoid(z: number): number {
  // Both quotients are computed and one is selected, rather than branching on the sign: V8 then
  // optimises this once, instead of again when the first z of the other sign arrives.
  const e = Math.exp(-Math.abs(z));
  const denominator = 1 + e;
  const ofNonNegative = 1 / denominator;
  const ofNegative = e / denominator;
  return z >= 0 ? ofNonNegative : ofNegative;
}

/** log(1 + e^z) without overflow: max(z, 0) + log1p(e^{−|z|}), with no branch (see {@link sigmoid}). */
function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

function assertFinite(values: Float64Array, width: number): void {
  for (let k = 0; k < values.length; k += 1) {
    if (!Number.isFinite(values[k])) {
      throw new FitError(`design matrix value at row ${Math.floor(k / width)}, feature ${k % width} is ${values[k]}`);
    }
  }
}

/**
 * Solves A x = b for a symmetric positive definite p × p matrix A (row-major) by Cholesky
 * factorisation A = L Lᵀ, then forward and back substitution. A and b are not modified.
 *
 * @throws FitError when A is not positive definite.
 */
export function choleskySolve(A: Float64Array, b: Float64Array, x: Float64Array, p: number): void {
  substituteCholesky(choleskyFactor(A, p), b, x, p);
}

/**
 * The lower-triangular L with A = L Lᵀ (row-major). A function apart from the substitutions, as in
 * {@link accumulateGradientAndHessian}.
 */
function choleskyFactor(A: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let r = 0; r < p; r += 1) {
    for (let c = 0; c <= r; c += 1) {
      let sum = A[r * p + c];
      for (let k = 0; k < c; k += 1) sum -= L[r * p + k] * L[c * p + k];
      if (r === c) {
        if (!(sum > 0)) throw new FitError(`the Hessian is not positive definite (pivot ${r} is ${sum})`);
        L[r * p + r] = Math.sqrt(sum);
      } else {
        L[r * p + c] = sum / L[c * p + c];
      }
    }
  }
  return L;
}

/** Solves L Lᵀ x = b: forward substitution for L y = b, then back substitution for Lᵀ x = y. */
function substituteCholesky(L: Float64Array, b: Float64Array, x: Float64Array, p: number): void {
  const y = new Float64Array(p);
  for (let r = 0; r < p; r += 1) {
    let sum = b[r];
    for (let k = 0; k < r; k += 1) sum -= L[r * p + k] * y[k];
    y[r] = sum / L[r * p + r];
  }
  for (let r = p - 1; r >= 0; r -= 1) {
    let sum = y[r];
    for (let k = r + 1; k < p; k += 1) sum -= L[k * p + r] * x[k];
    x[r] = sum / L[r * p + r];
  }
}
