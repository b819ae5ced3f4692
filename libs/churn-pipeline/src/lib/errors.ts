/**
 * Typed errors of the churn pipeline. Callers (the training worker, the REST layer) tell bad input
 * from bugs by class, and show the message as is: every message names the field, line or column.
 */

/** Base class of every error this library throws on purpose. */
export class ChurnPipelineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A feature schema that cannot be used: unknown, duplicate or overlapping columns, wrong types. */
export class SchemaError extends ChurnPipelineError {}

/** Where in the input a {@link DatasetError} was found. */
export interface DatasetErrorLocation {
  /** 1-based physical line of a CSV file (the line a multi-line row starts on). */
  line?: number;
  /** 1-based position of a record when records were given in memory instead of a CSV. */
  record?: number;
  /** Column name (or `field <n>` when the header does not name it). */
  column?: string;
}

/**
 * Data that cannot be trained on: malformed CSV, missing columns, text in a numeric column, a single
 * class, an empty file. The message starts with the location, e.g. `line 12, column "tenure": ...`.
 */
export class DatasetError extends ChurnPipelineError {
  readonly line?: number;
  readonly record?: number;
  readonly column?: string;

  constructor(problem: string, location: DatasetErrorLocation = {}) {
    super(describeLocation(location) + problem);
    this.line = location.line;
    this.record = location.record;
    this.column = location.column;
  }
}

/** A split that cannot be made (a class too small to appear on both sides, a bad test share). */
export class SplitError extends ChurnPipelineError {}

/** Fitting could not run or did not produce a usable model (non-finite values, singular system). */
export class FitError extends ChurnPipelineError {}

/** A record given for scoring holds a value its column cannot take (text in a numeric column, an object). */
export class ScoringError extends ChurnPipelineError {
  readonly record: number;
  readonly column: string;

  constructor(problem: string, record: number, column: string) {
    super(`record ${record}, column "${column}": ${problem}`);
    this.record = record;
    this.column = column;
  }
}

/** Metric inputs that do not describe one binary classification (length mismatch, labels not 0/1). */
export class MetricsError extends ChurnPipelineError {}

function describeLocation({ line, record, column }: DatasetErrorLocation): string {
  const parts: string[] = [];
  if (line !== undefined) parts.push(`line ${line}`);
  if (record !== undefined) parts.push(`record ${record}`);
  if (column !== undefined) parts.push(`column "${column}"`);
  return parts.length === 0 ? '' : `${parts.join(', ')}: `;
}

/** A fitted pipeline whose parts disagree (coefficient count, transforms not matching the schema). */
export class PipelineError extends ChurnPipelineError {}

/** An option out of its range: a seed, a row count, a test share, a solver setting. */
export class OptionError extends ChurnPipelineError {}
