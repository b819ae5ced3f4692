// Why the prediction log cannot serve feedback or a report right now (both answered 503).

/** PREDICTION_LOG_ENABLED=false: nothing is recorded, so there is nothing to label or report on. */
export class PredictionLogDisabledError extends Error {
  override readonly name = 'PredictionLogDisabledError';

  constructor() {
    super('the prediction log is off (PREDICTION_LOG_ENABLED=false): feedback and the A/B report need it');
  }
}

/** The shared store could not be set up yet (a database down or still starting). */
export class PredictionStoreUnavailableError extends Error {
  override readonly name = 'PredictionStoreUnavailableError';

  constructor(store: string, reason: string | undefined) {
    super(`the prediction store ${store} is not ready${reason ? `: ${reason}` : ''}`);
  }
}
