/**
 * The onnxruntime session options every served version is opened with; the benchmark's bare
 * reference servers open theirs with the same object, so they differ from the app only around
 * `session.run`.
 */
import type { InferenceSession } from 'onnxruntime-node';

/**
 * One thread per run: requests are small and many, and concurrent runs already queue on the event
 * loop; intra-op threads would only make them contend for the same two cores.
 */
export const SESSION_OPTIONS: Readonly<InferenceSession.SessionOptions> = Object.freeze({
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});
