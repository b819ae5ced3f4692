import type { FeatureBatch } from '../model/feature-batch';
import type { LoadedModel, Scores } from '../model/loaded-model';

/** Which routing decision served a prediction: the default alias, or one side of the A/B split. */
export type Variant = 'production' | 'champion' | 'challenger';

/** The challenger's answer for one row of a request it shadowed. */
export interface ShadowScore {
  alias: string;
  version: string;
  probability: number;
  prediction: 0 | 1;
}

/** One scored request, as handed to every {@link PredictionObserver} after the model answered. */
export interface ScoredRequest {
  route: 'predict' | 'invocations';
  requestId: string;
  userId: string | undefined;
  variant: Variant;
  /** The challenger share the user was split with; null outside an experiment. */
  trafficShare: number | null;
  /** The version that scored it (the request's lease is still held during the call). */
  model: LoadedModel;
  /** The model's inputs: numbers with NaN for missing, text with '' for missing. */
  batch: FeatureBatch;
  scores: Scores;
  /** `Date.now()` when the request was received. */
  receivedAt: number;
  /** Milliseconds spent preparing and scoring. */
  scoringMs: number;
  /**
   * The challenger's scores, one per row, settled off the hot path; resolves to null when the shadow
   * queue was full or the challenger failed. Undefined when the request was not shadowed.
   */
  shadow: Promise<ShadowScore[] | null> | undefined;
}

/**
 * A per-request hook for what follows a prediction without delaying it (the prediction log, the
 * drift window). Called synchronously on the hot path: an observer must only enqueue, never await
 * or throw; a throwing observer is logged and skipped.
 */
export interface PredictionObserver {
  onScored(request: ScoredRequest): void;
}

/** Nest token of the observers (an array; empty unless a feature module provides some). */
export const PREDICTION_OBSERVERS = Symbol('PREDICTION_OBSERVERS');
