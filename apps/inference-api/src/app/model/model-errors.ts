/**
 * Why a model version could not be served. `stage` says where it failed, so `/ready`, the logs and
 * the `inference_model_load_failures_total` metric tell a broken export (`mlmodel`, `contract`,
 * `session`, `warmup`) from a transient outage (`resolve`, `download`).
 */
export type ModelLoadStage = 'resolve' | 'download' | 'mlmodel' | 'session' | 'contract' | 'warmup';

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';

  constructor(
    readonly stage: ModelLoadStage,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No version of the requested alias is loaded yet (start-up, alias missing, every load failed). */
export class ModelNotReadyError extends Error {
  override readonly name = 'ModelNotReadyError';
}

/**
 * A request's data cannot be scored as sent. `field` locates the problem the way the client wrote
 * it (`customers[3].tenure`, `dataframe_split.data[2][0]`, `line 4, column tenure`).
 */
export class InputError extends Error {
  override readonly name = 'InputError';

  constructor(
    readonly field: string,
    readonly problem: string,
    /** 400 for bad values, 413 for too many rows, 415 for an unsupported body type. */
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(field === '' ? problem : `${field}: ${problem}`);
  }
}

/**
 * The model answered a row with something that is not a probability in [0, 1] (NaN, Infinity, or out
 * of range): that row is never answered as a prediction. `row` counts from 0 within the request;
 * `field` locates it the way the client wrote it (`customers[3]`), `row 3` until the route says so.
 */
export class ModelOutputError extends Error {
  override readonly name = 'ModelOutputError';

  constructor(
    readonly model: { name: string; alias: string; version: string },
    readonly row: number,
    readonly probability: number,
    /** Rows of the request with such an output (the metric counts them all; the answer names the first). */
    readonly invalidRows: number,
    readonly field = `row ${row}`,
  ) {
    super(
      `${field}: ${model.name} v${model.version} (${model.alias}) returned probability ${probability}, not a probability in [0, 1]; no prediction is answered for it${invalidRows > 1 ? ` (${invalidRows} rows of this request are affected)` : ''}`,
    );
  }

  /** The same error with the row located as the client wrote it. */
  at(field: string): ModelOutputError {
    return new ModelOutputError(this.model, this.row, this.probability, this.invalidRows, field);
  }
}
