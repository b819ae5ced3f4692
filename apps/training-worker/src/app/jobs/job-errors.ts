import { ProblemError } from '@churn/service-kit';

/** No training job has this id (or the run with this id is not a training-worker job). */
export class JobNotFoundError extends ProblemError {
  override readonly name = 'JobNotFoundError';
  readonly status = 404;
  override readonly field = 'id';

  constructor(readonly jobId: string) {
    super(`no training job with id "${jobId}"`);
  }
}
