/**
 * Leases of training jobs: the worker holding a job (queued or running) writes the job's heartbeat
 * tag every JOB_HEARTBEAT_MS; a job whose heartbeat is older than its lease has lost its worker
 * (killed, or a pod replaced under a new name) and is settled by whichever worker looks first.
 */
import { Logger } from '@nestjs/common';

import { MlflowClient, ResourceDoesNotExistError, tagsToRecord, type Run } from '@churn/mlflow-client';

import type { TrainingWorkerConfig } from '../config/training-worker.config';
import { JOB_TAG, JOBS_EXPERIMENT_TAG, MAX_ERROR_TAG_LENGTH, RUN_TAG } from '../training/run-tags';
import { RunSettledElsewhereError } from '../training/training-run';

type LeaseSettings = Pick<TrainingWorkerConfig, 'WORKER_ID' | 'JOB_HEARTBEAT_MS' | 'JOB_LEASE_MS' | 'EXPERIMENT_NAME'>;

/** MLflow's run search takes a list of experiments; a long list is asked for in slices. */
const EXPERIMENTS_PER_SEARCH = 100;

/**
 * Heartbeats and lease expiry of jobs, all kept in MLflow tags so every replica sees the same:
 * - a new job's run carries its first heartbeat and its worker's lease (`initialTags`); the worker
 *   refreshes the heartbeat of every job it holds, queued or running;
 * - at start-up a worker settles its own WORKER_ID's unfinished jobs at once (it has just started,
 *   so nobody runs them), then, like every JOB_HEARTBEAT_MS after, any job whose heartbeat is older
 *   than the lease recorded on it, whoever its worker was;
 * - settling marks the run FAILED with the reason (which worker, its last heartbeat) and frees the
 *   job's idempotency key, so the same key starts a new job;
 * - a worker that was only slow (its heartbeats stalled past the lease) finds its job settled before
 *   registering a version or finishing the run, and stops there ({@link RunSettledElsewhereError}).
 * Jobs without a heartbeat tag (started by an older worker) are settled only by their own worker.
 */
export class JobLeases {
  private readonly logger = new Logger(JobLeases.name);
  private readonly held = new Set<string>();
  /** Heartbeat writes under way, per run: a run's last write waits for them. */
  private readonly beating = new Map<string, Promise<void>>();
  private readonly jobExperiments = new Set<string>();
  private timer?: NodeJS.Timeout;
  private ticking = false;

  constructor(
    private readonly mlflow: MlflowClient,
    private readonly config: LeaseSettings,
  ) {}

  /** Tags of a new job's run: its first heartbeat and the lease it is judged by. */
  initialTags(): Record<string, string> {
    return { [JOB_TAG.heartbeat]: new Date().toISOString(), [JOB_TAG.leaseMs]: String(this.config.JOB_LEASE_MS) };
  }

  /** Marks an experiment as holding jobs (once per process): the sweeps of every worker look there. */
  async markJobsExperiment(experimentId: string): Promise<void> {
    if (this.jobExperiments.has(experimentId)) return;
    await this.mlflow.experiments.setTag({ experiment_id: experimentId, key: JOBS_EXPERIMENT_TAG, value: 'true' });
    this.jobExperiments.add(experimentId);
  }

  hold(runId: string): void {
    this.held.add(runId);
  }

  release(runId: string): void {
    this.held.delete(runId);
  }

  /** Starts the heartbeats and the periodic sweep. */
  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.config.JOB_HEARTBEAT_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Refreshes the heartbeat of one held job now (when it starts running). */
  async beat(runId: string): Promise<void> {
    const write = this.mlflow.runs.setTag({ run_id: runId, key: JOB_TAG.heartbeat, value: new Date().toISOString() });
    this.beating.set(runId, write);
    try {
      await write;
    } finally {
      if (this.beating.get(runId) === write) this.beating.delete(runId);
    }
  }

  /** False when the run is no longer in `status` (another worker settled it as gone). */
  async isStill(runId: string, status: 'SCHEDULED' | 'RUNNING'): Promise<boolean> {
    return (await this.mlflow.runs.get(runId)).info.status === status;
  }

  /**
   * The running job's check before its lasting effects; before its last write it also stops the
   * heartbeats, so none lands after the run is finished.
   * @throws {RunSettledElsewhereError} when another worker settled the run
   */
  async assertStillRunning(runId: string, before: 'register' | 'finish'): Promise<void> {
    if (!(await this.isStill(runId, 'RUNNING')))
      throw new RunSettledElsewhereError(
        `job ${runId} was settled by another worker (its heartbeat was older than its lease); nothing more is written to it`,
      );
    if (before === 'finish') {
      this.held.delete(runId);
      await this.beating.get(runId)?.catch(() => undefined);
    }
  }

  /** At start-up: this worker's own unfinished jobs, then every expired one. @returns how many were settled */
  async recover(): Promise<number> {
    let settled = 0;
    for (const run of await this.unfinishedJobs()) {
      const tags = tagsToRecord(run.data.tags);
      if (tags[JOB_TAG.workerId] !== this.config.WORKER_ID || this.held.has(run.info.run_id)) continue;
      await this.settle(
        run.info.run_id,
        `training-worker ${this.config.WORKER_ID} restarted while this job was ${describeStatus(run)}; submit it again`,
      );
      settled += 1;
    }
    return settled + (await this.sweep());
  }

  /** Settles every job, held by no one here, whose heartbeat is older than its lease. @returns how many */
  async sweep(): Promise<number> {
    let settled = 0;
    for (const found of await this.unfinishedJobs()) {
      if (this.held.has(found.info.run_id) || this.expiry(found) === undefined) continue;
      // Read again: a slow but live worker may have beaten since the search.
      const run = await this.mlflow.runs.get(found.info.run_id);
      const expired = this.expiry(run);
      if (expired === undefined || (run.info.status !== 'RUNNING' && run.info.status !== 'SCHEDULED')) continue;
      const worker = tagsToRecord(run.data.tags)[JOB_TAG.workerId] ?? 'unknown';
      await this.settle(
        run.info.run_id,
        `training-worker ${worker} is gone: the job was ${describeStatus(run)} and its last heartbeat was at ${expired.lastHeartbeat}, longer ago than its ${expired.leaseMs} ms lease (settled by ${this.config.WORKER_ID}); submit it again`,
      );
      this.logger.warn(
        `job ${run.info.run_id} of worker ${worker} settled as FAILED: no heartbeat since ${expired.lastHeartbeat}`,
      );
      settled += 1;
    }
    return settled;
  }

  /**
   * Marks a job's run FAILED with `reason` and frees its idempotency key, if it has one, so the key
   * starts a new job: the end of a job whose worker is gone or stopped before running it.
   */
  async settle(runId: string, reason: string): Promise<void> {
    await this.mlflow.runs.logBatch({
      run_id: runId,
      tags: { [RUN_TAG.error]: reason.slice(0, MAX_ERROR_TAG_LENGTH), [JOB_TAG.keyReleased]: 'true' },
    });
    await this.mlflow.runs.update({ run_id: runId, status: 'FAILED', end_time: Date.now() });
  }

  private async tick(): Promise<void> {
    // A slow MLflow must not pile ticks up.
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const runId of [...this.held]) {
        if (!this.held.has(runId)) continue;
        await this.beat(runId).catch((error: unknown) =>
          this.logger.warn(`job ${runId}: could not write its heartbeat: ${errorText(error)}`),
        );
      }
      await this.sweep().catch((error: unknown) =>
        this.logger.warn(`could not look for jobs whose worker is gone: ${errorText(error)}`),
      );
    } finally {
      this.ticking = false;
    }
  }

  /** When the run's heartbeat is older than its lease: the heartbeat and the lease; undefined otherwise (or without a heartbeat). */
  private expiry(run: Run): { lastHeartbeat: string; leaseMs: number } | undefined {
    const tags = tagsToRecord(run.data.tags);
    const beat = Date.parse(tags[JOB_TAG.heartbeat] ?? '');
    if (Number.isNaN(beat)) return undefined;
    const recorded = Number(tags[JOB_TAG.leaseMs]);
    const leaseMs = Number.isFinite(recorded) && recorded > 0 ? recorded : this.config.JOB_LEASE_MS;
    return Date.now() - beat > leaseMs ? { lastHeartbeat: new Date(beat).toISOString(), leaseMs } : undefined;
  }

  /** Queued and running job runs in every experiment that holds jobs, and in EXPERIMENT_NAME. */
  private async unfinishedJobs(): Promise<Run[]> {
    const experimentIds = new Set<string>();
    for await (const experiment of this.mlflow.experiments.search({
      filter: `tags.\`${JOBS_EXPERIMENT_TAG}\` = 'true'`,
      max_results: 1000,
    }))
      experimentIds.add(experiment.experiment_id);
    try {
      experimentIds.add((await this.mlflow.experiments.getByName(this.config.EXPERIMENT_NAME)).experiment_id);
    } catch (error) {
      if (!(error instanceof ResourceDoesNotExistError)) throw error;
    }
    const ids = [...experimentIds];
    const runs: Run[] = [];
    for (let start = 0; start < ids.length; start += EXPERIMENTS_PER_SEARCH) {
      for (const status of ['RUNNING', 'SCHEDULED']) {
        const found = await this.mlflow.runs
          .search({
            experiment_ids: ids.slice(start, start + EXPERIMENTS_PER_SEARCH),
            filter: `attributes.status = '${status}' and tags.\`${JOB_TAG.job}\` = 'true'`,
            max_results: 1000,
          })
          .toArray();
        runs.push(...found);
      }
    }
    return runs;
  }
}

function describeStatus(run: Run): string {
  return run.info.status === 'SCHEDULED' ? 'queued' : 'running';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
