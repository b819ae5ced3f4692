import type { FeatureBatch } from '../model/feature-batch';
import type { LoadedModel, Scores } from '../model/loaded-model';

/** One scored request, as handed to every {@link PredictionObserver} after the model answered. */
export interface ScoredRequest {
  route: 'predict' | 'invocations';
  requestId: string;
  userId: string | undefined;
  /** The version that scored it (the request's lease is still held during the call). */
  model: LoadedModel;
  /** The model's inputs: numbers with NaN for missing, text with '' for missing. */
  batch: FeatureBatch;
  scores: Scores;
  /** `Date.now()` when the request was received. */
  receivedAt: number;
  /** Milliseconds spent preparing and scoring. */
  scoringMs: number;
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
