/**
 * In-process scoring of raw customer records with a fitted pipeline. The semantics are those the
 * exported ONNX graph has and the REST API promises: numeric values are numbers or numeric strings,
 * blank/null/absent means missing and takes the training median; categorical values are strings or
 * numbers (as their decimal text), and a missing or unseen category contributes nothing (all-zero
 * one-hot block). Fields outside the schema are ignored.
 */
import { categoryFromRaw, numericFromRaw, quoteForMessage } from '../data/cell-values';
import { PipelineError, ScoringError } from '../errors';
import { sigmoid } from '../model/logistic-regression';
import type { CustomerRecord, FittedPipeline } from '../pipeline-contract';

/** A fitted pipeline folded into per-column contributions to the linear predictor. */
interface CompiledScorer {
  intercept: number;
  numeric: { name: string; median: number; mean: number; weightPerUnit: number }[];
  categorical: { name: string; weightOf: Map<string, number> }[];
}

/**
 * Checks that a fitted pipeline is self-consistent: one numeric and one categorical transform per
 * schema column in schema order, finite numbers, positive scales, and one coefficient per feature.
 *
 * @throws PipelineError naming the disagreement.
 */
export function assertPipelineConsistent(fitted: FittedPipeline): void {
  const names = (list: { name: string }[]): string => list.map((t) => t.name).join(',');
  if (names(fitted.numeric) !== fitted.schema.numeric.join(',')) {
    throw new PipelineError(`numeric transforms (${names(fitted.numeric)}) do not match the schema's numeric columns`);
  }
  if (names(fitted.categorical) !== fitted.schema.categorical.join(',')) {
    throw new PipelineError(
      `categorical transforms (${names(fitted.categorical)}) do not match the schema's categorical columns`,
    );
  }
  for (const t of fitted.numeric) {
    if (![t.median, t.mean, t.scale].every(Number.isFinite) || !(t.scale > 0)) {
      throw new PipelineError(`numeric transform of "${t.name}" needs finite median and mean and a positive scale`);
    }
  }
  const features = fitted.numeric.length + fitted.categorical.reduce((n, t) => n + t.categories.length, 0);
  if (fitted.coefficients.length !== features) {
    throw new PipelineError(`${fitted.coefficients.length} coefficients for ${features} features`);
  }
  if (![...fitted.coefficients, fitted.intercept, fitted.threshold].every(Number.isFinite)) {
    throw new PipelineError('coefficients, intercept and threshold must be finite numbers');
  }
}

function compile(fitted: FittedPipeline): CompiledScorer {
  assertPipelineConsistent(fitted);
  let feature = 0;
  const numeric = fitted.numeric.map((t) => ({
    name: t.name,
    median: t.median,
    mean: t.mean,
    weightPerUnit: fitted.coefficients[feature++] / t.scale,
  }));
  const categorical = fitted.categorical.map((t) => ({
    name: t.name,
    weightOf: new Map(t.categories.map((category) => [category, fitted.coefficients[feature++]])),
  }));
  return { intercept: fitted.intercept, numeric, categorical };
}

/**
 * Probability of the positive class for each record. Records are not modified.
 *
 * @throws PipelineError when the pipeline is inconsistent.
 * @throws ScoringError naming the record (1-based) and column for a value its column cannot take
 *   (text in a numeric column, an infinity, a boolean or an object).
 * @example predictProba(fitted, [{ tenure: '1', MonthlyCharges: 70.5, TotalCharges: ' ', Contract: 'Month-to-month' }])
 */
export function predictProba(fitted: FittedPipeline, records: readonly CustomerRecord[]): Float64Array {
  const scorer = compile(fitted);
  const probabilities = new Float64Array(records.length);
  records.forEach((record, index) => {
    if (typeof record !== 'object' || record === null) {
      throw new ScoringError('a record must be an object of column values', index + 1, '(record)');
    }
    let z = scorer.intercept;
    for (const column of scorer.numeric) {
      const raw = record[column.name];
      const value = numericFromRaw(raw);
      if (value === undefined) {
        throw new ScoringError(`${quoteForMessage(raw)} is not a number (numeric column)`, index + 1, column.name);
      }
      z += ((value ?? column.median) - column.mean) * column.weightPerUnit;
    }
    for (const column of scorer.categorical) {
      const raw = record[column.name];
      const category = categoryFromRaw(raw);
      if (category === undefined) {
        throw new ScoringError(
          `${quoteForMessage(raw)} cannot be a category (expected text or a number)`,
          index + 1,
          column.name,
        );
      }
      if (category !== null) z += column.weightOf.get(category) ?? 0;
    }
    probabilities[index] = sigmoid(z);
  });
  return probabilities;
}

/** Predicted labels (1 at or above the pipeline's threshold) for each record. */
export function predictLabels(fitted: FittedPipeline, records: readonly CustomerRecord[]): Uint8Array {
  const probabilities = predictProba(fitted, records);
  return Uint8Array.from(probabilities, (probability) => (probability >= fitted.threshold ? 1 : 0));
}

/**
 * Probabilities for the rows of an already-preprocessed design matrix (the fast path used for
 * evaluation; equal to {@link predictProba} on the same rows' raw values).
 *
 * @throws PipelineError when the coefficient count differs from the matrix width.
 */
export function predictProbaFromDesign(
  design: { values: Float64Array; rowCount: number; featureCount: number },
  coefficients: readonly number[],
  intercept: number,
): Float64Array {
  const { values, rowCount, featureCount } = design;
  if (coefficients.length !== featureCount) {
    throw new PipelineError(`${coefficients.length} coefficients for a design matrix of ${featureCount} features`);
  }
  const weights = Float64Array.from(coefficients);
  const probabilities = new Float64Array(rowCount);
  for (let i = 0; i < rowCount; i += 1) {
    let z = intercept;
    const rowStart = i * featureCount;
    for (let j = 0; j < featureCount; j += 1) z += values[rowStart + j] * weights[j];
    probabilities[i] = sigmoid(z);
  }
  return probabilities;
}
