import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  ServiceUnavailableException,
} from '@nestjs/common';

import { MlflowClient, ResourceDoesNotExistError, tagsToRecord, type Run } from '@churn/mlflow-client';

import { TrainingWorkerConfig } from '../config/training-worker.config';
import { dataDirFiles } from '../training/data-files';
import { JOB_TAG } from '../training/run-tags';
import {
  DEFAULT_GATE_F1,
  DEFAULT_SEED,
  describeData,
  resolveDataPath,
  resolveSchema,
  TrainingRequestError,
  type TrainingRequest,
} from '../training/training-request';
import {
  RunSettledElsewhereError,
  TrainingRunFailedError,
  TrainingRunner,
  type TrainingRunRef,
  type TrainingStageName,
} from '../training/training-run';
import type { CreateJobDto } from './create-job.dto';
import { JobNotFoundError } from './job-errors';
import { JobLeases } from './job-leases';
import { isJobRun, jobFromRun } from './job-record';
import type { JobOptions, JobResponse } from './job.response';

interface QueuedJob {
  run: TrainingRunRef;
  request: TrainingRequest;
}

/** MLflow run ids: 32 lower-case hex digits. Anything else cannot be a job and is not sent to MLflow. */
const RUN_ID_PATTERN = /^[0-9a-f]{32}$/;
const DEFAULT_LIST_LIMIT = 20;

/**
 * Training jobs: accepted into an in-process queue, run JOB_CONCURRENCY at a time (one by default),
 * each recorded as an MLflow run (the job id is the run id) that every read goes back to.
 *
 * - Acceptance is serialised in this process, so two requests with one idempotency key cannot both
 *   create a run: the second finds the first's run (tagged with the key) in MLflow. Across replicas
 *   the key is not locked; send a job's retries to one replica. A job settled because its worker was
 *   gone no longer holds its key: the key then starts a new job.
 * - A queued job's run is SCHEDULED; a running one RUNNING, with its stage in a tag.
 * - Jobs whose worker is gone (crashed, killed, replaced) are settled through heartbeats and leases
 *   ({@link JobLeases}): at start-up this worker's own leftovers at once, any worker's after its lease.
 * - On shutdown, queued jobs are marked FAILED (their keys freed) and running ones are waited for.
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobsService.name);
  private readonly queue: QueuedJob[] = [];
  private readonly running = new Set<Promise<void>>();
  private acceptance: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private readonly leases: JobLeases;

  constructor(
    private readonly mlflow: MlflowClient,
    private readonly runner: TrainingRunner,
    private readonly config: TrainingWorkerConfig,
  ) {
    this.leases = new JobLeases(mlflow, config);
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      const settled = await this.leases.recover();
      if (settled > 0) this.logger.warn(`settled ${settled} job run(s) left unfinished by a gone worker as FAILED`);
    } catch (error) {
      // A worker whose MLflow is briefly away still starts; the periodic sweep settles what is left.
      this.logger.warn(
        `could not check for job runs left by a gone worker: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.leases.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const abandoned = this.queue.splice(0, this.queue.length);
    await Promise.all(
      abandoned.map(async (job) => {
        this.leases.release(job.run.runId);
        await this.leases
          .settle(job.run.runId, 'training-worker stopped before the job started; submit it again')
          .catch(() => undefined);
      }),
    );
    // Running jobs keep their heartbeats while they finish.
    await Promise.all([...this.running]);
    this.leases.stop();
  }

  /**
   * Accepts a job: validates its options, returns the earlier job with the same idempotency key if
   * there is one, else creates its MLflow run and queues it.
   * @throws TrainingRequestError (→ 400) naming the field; MLflow errors (→ 502/503)
   */
  submit(body: CreateJobDto, actor: string): Promise<{ job: JobResponse; created: boolean }> {
    const accepted = this.acceptance.then(() => this.accept(body, actor));
    this.acceptance = accepted.catch(() => undefined);
    return accepted;
  }

  /** @throws JobNotFoundError when the id is not a training-worker job's run */
  async get(id: string): Promise<JobResponse> {
    if (!RUN_ID_PATTERN.test(id)) throw new JobNotFoundError(id);
    let run: Run;
    try {
      run = await this.mlflow.runs.get(id);
    } catch (error) {
      if (error instanceof ResourceDoesNotExistError) throw new JobNotFoundError(id);
      throw error;
    }
    if (!isJobRun(run)) throw new JobNotFoundError(id);
    return jobFromRun(run);
  }

  /** The newest jobs of an experiment (EXPERIMENT_NAME by default), newest first. */
  async list(options: { limit?: number; experiment?: string }): Promise<JobResponse[]> {
    const experimentId = await this.experimentId(options.experiment ?? this.config.EXPERIMENT_NAME);
    if (experimentId === undefined) return [];
    const page = await this.mlflow.runs.searchPage({
      experiment_ids: [experimentId],
      filter: `tags.\`${JOB_TAG.job}\` = 'true'`,
      order_by: ['attributes.start_time DESC'],
      max_results: options.limit ?? DEFAULT_LIST_LIMIT,
    });
    return page.items.map(jobFromRun);
  }

  private async accept(body: CreateJobDto, actor: string): Promise<{ job: JobResponse; created: boolean }> {
    if (this.stopping) throw new ServiceUnavailableException('training-worker is shutting down; submit the job again');
    const request = await this.requestFrom(body, actor);
    if (body.idempotency_key !== undefined) {
      const earlier = await this.findByIdempotencyKey(request.experiment, body.idempotency_key);
      if (earlier !== undefined) return { job: jobFromRun(earlier), created: false };
    }
    const options: JobOptions = {
      data: describeData(request),
      schema: request.schemaSource,
      seed: request.seed,
      gate_f1: request.gateF1,
      experiment: request.experiment,
      model_name: request.modelName,
      register: request.register,
      idempotency_key: body.idempotency_key ?? null,
    };
    const run = await this.runner.createRun(request, {
      [JOB_TAG.job]: 'true',
      [JOB_TAG.workerId]: this.config.WORKER_ID,
      [JOB_TAG.stage]: 'queued',
      [JOB_TAG.request]: JSON.stringify(options),
      ...this.leases.initialTags(),
      ...(body.idempotency_key === undefined ? {} : { [JOB_TAG.idempotencyKey]: body.idempotency_key }),
    });
    this.leases.hold(run.runId);
    try {
      await this.leases.markJobsExperiment(run.experimentId);
      await this.mlflow.runs.update({ run_id: run.runId, status: 'SCHEDULED' });
    } catch (error) {
      // Not queued: the run must not keep the key, or a retry would be answered with this dead job.
      this.leases.release(run.runId);
      await this.leases
        .settle(run.runId, `training-worker could not queue the job (${String(error)}); submit it again`)
        .catch(() => undefined);
      throw error;
    }
    const created = await this.mlflow.runs.get(run.runId);
    this.queue.push({ run, request });
    this.startQueuedJobs();
    return { job: jobFromRun(created), created: true };
  }

  private async requestFrom(body: CreateJobDto, actor: string): Promise<TrainingRequest> {
    const files = dataDirFiles(this.config.DATA_DIR);
    const data = body.data ?? this.config.DEFAULT_DATA;
    const experiment = body.experiment ?? this.config.EXPERIMENT_NAME;
    if (experiment.endsWith(this.config.AUDIT_EXPERIMENT_SUFFIX)) {
      throw new TrainingRequestError(
        'experiment',
        `names ending in "${this.config.AUDIT_EXPERIMENT_SUFFIX}" hold registry-admin's audit, not training runs`,
      );
    }
    const { schema, source } = await resolveSchema(body.schema ?? undefined, files);
    return {
      dataPath: data === undefined ? undefined : await resolveDataPath(data, files),
      syntheticRows: this.config.SYNTHETIC_ROWS,
      schema,
      schemaSource: source,
      seed: body.seed ?? DEFAULT_SEED,
      gateF1: body.gate_f1 ?? DEFAULT_GATE_F1,
      experiment,
      modelName: body.model_name ?? this.config.MODEL_NAME,
      register: body.register ?? true,
      user: actor,
      sourceName: 'training-worker POST /jobs',
      quotesContent: false,
    };
  }

  private startQueuedJobs(): void {
    while (!this.stopping && this.running.size < this.config.JOB_CONCURRENCY && this.queue.length > 0) {
      const job = this.queue.shift() as QueuedJob;
      const execution: Promise<void> = this.runJob(job).finally(() => {
        this.running.delete(execution);
        this.startQueuedJobs();
      });
      this.running.add(execution);
    }
  }

  private async runJob({ run, request }: QueuedJob): Promise<void> {
    // Stage tags are written one after another, in order, without holding training up.
    let stageWrites: Promise<unknown> = Promise.resolve();
    let lastStage: TrainingStageName | undefined;
    const recordStage = (stage: TrainingStageName): void => {
      if (stage === lastStage) return;
      lastStage = stage;
      stageWrites = stageWrites
        .then(() => this.mlflow.runs.setTag({ run_id: run.runId, key: JOB_TAG.stage, value: stage }))
        .catch((error: unknown) =>
          this.logger.warn(`job ${run.runId}: could not record stage ${stage}: ${String(error)}`),
        );
    };
    try {
      if (!(await this.leases.isStill(run.runId, 'SCHEDULED'))) {
        this.logger.warn(`job ${run.runId} was settled by another worker while it waited here; not started`);
        return;
      }
      await this.mlflow.runs.update({ run_id: run.runId, status: 'RUNNING' });
      await this.leases.beat(run.runId);
      const outcome = await this.runner.execute(run, request, recordStage, (before) =>
        this.leases.assertStillRunning(run.runId, before),
      );
      const result =
        outcome.registeredVersion !== undefined
          ? `registered ${request.modelName} v${outcome.registeredVersion}`
          : (outcome.gate.reason ?? 'not registered');
      this.logger.log(`job ${run.runId} finished: F1 ${outcome.metrics.f1.toFixed(4)}, ${result}`);
    } catch (error) {
      // execute() marks its run FAILED itself; a failure before it (MLflow refusing RUNNING) has not.
      if (!(error instanceof TrainingRunFailedError)) await this.runner.markFailed(run.runId, error);
      const settledElsewhere =
        error instanceof TrainingRunFailedError && error.cause instanceof RunSettledElsewhereError;
      this.logger.warn(
        `job ${run.runId} ${settledElsewhere ? 'stopped' : 'failed'}: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.leases.release(run.runId);
      await stageWrites;
    }
  }

  /** The first job with this key that still holds it (jobs settled as left by a gone worker freed theirs). */
  private async findByIdempotencyKey(experiment: string, key: string): Promise<Run | undefined> {
    const experimentId = await this.experimentId(experiment);
    if (experimentId === undefined) return undefined;
    const runs = this.mlflow.runs.search({
      experiment_ids: [experimentId],
      // The key's pattern (letters, digits, _ . : -) keeps it from breaking out of the quotes.
      filter: `tags.\`${JOB_TAG.job}\` = 'true' and tags.\`${JOB_TAG.idempotencyKey}\` = '${key}'`,
      order_by: ['attributes.start_time ASC'],
      max_results: 50,
    });
    for await (const run of runs) if (tagsToRecord(run.data.tags)[JOB_TAG.keyReleased] !== 'true') return run;
    return undefined;
  }

  private async experimentId(name: string): Promise<string | undefined> {
    try {
      return (await this.mlflow.experiments.getByName(name)).experiment_id;
    } catch (error) {
      if (error instanceof ResourceDoesNotExistError) return undefined;
      throw error;
    }
  }
}
