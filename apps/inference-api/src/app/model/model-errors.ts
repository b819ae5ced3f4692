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
