/** No training job has this id (or the run with this id is not a training-worker job). */
export class JobNotFoundError extends Error {
  override readonly name = 'JobNotFoundError';

  constructor(readonly jobId: string) {
    super(`no training job with id "${jobId}"`);
  }
}
