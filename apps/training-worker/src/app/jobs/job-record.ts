/**
 * A job's record is its MLflow run: status from the run's status, progress and options from the
 * job tags, results from the metrics and gate tags. Nothing is kept in memory, so the record reads
 * the same from any replica and after a restart.
 */
import { tagsToRecord, type Run, type RunStatus } from '@churn/mlflow-client';

import { JOB_TAG, RUN_METRIC, RUN_TAG } from '../training/run-tags';
import type { JobMetrics, JobOptions, JobResponse, JobStatus } from './job.response';

const STATUS_OF_RUN: Record<RunStatus, JobStatus> = {
  SCHEDULED: 'QUEUED',
  RUNNING: 'RUNNING',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'FAILED',
};

/** True when a run was created for a training-worker job (not a CLI run or another tool's run). */
export function isJobRun(run: Run): boolean {
  return tagsToRecord(run.data.tags)[JOB_TAG.job] === 'true';
}

export function jobFromRun(run: Run): JobResponse {
  const tags = tagsToRecord(run.data.tags);
  const metricValues = new Map((run.data.metrics ?? []).map((metric) => [metric.key, metric.value]));
  const status = STATUS_OF_RUN[run.info.status];
  const options = parseOptions(tags[JOB_TAG.request]);
  const gatePassed = tags[RUN_TAG.gatePassed];
  return {
    id: run.info.run_id,
    status,
    // A finished run is done whatever stage tag was written last; a failed one shows where it stopped.
    stage: status === 'FINISHED' ? 'done' : (tags[JOB_TAG.stage] ?? 'queued'),
    run_name: run.info.run_name ?? tags['mlflow.runName'] ?? '',
    experiment_id: run.info.experiment_id,
    user: tags[RUN_TAG.user] ?? run.info.user_id ?? '',
    created_at: new Date(Number(run.info.start_time ?? 0)).toISOString(),
    ended_at: run.info.end_time ? new Date(Number(run.info.end_time)).toISOString() : null,
    options,
    metrics: metricValues.has(RUN_METRIC.f1) ? metricsFrom(metricValues) : null,
    gate:
      gatePassed === undefined
        ? null
        : {
            threshold: options?.gate_f1 ?? Number.NaN,
            passed: gatePassed === 'true',
            reason: tags[RUN_TAG.gateReason] ?? null,
          },
    model_name: tags[RUN_TAG.modelName] ?? options?.model_name ?? '',
    registered_version: tags[RUN_TAG.registeredVersion] ?? null,
    error: tags[RUN_TAG.error] ?? null,
    last_heartbeat: tags[JOB_TAG.heartbeat] ?? null,
    artifact_uri: run.info.artifact_uri,
  };
}

function metricsFrom(values: Map<string, number>): JobMetrics {
  const value = (key: string): number => values.get(key) ?? Number.NaN;
  return {
    f1: value(RUN_METRIC.f1),
    accuracy: value(RUN_METRIC.accuracy),
    precision: value(RUN_METRIC.precision),
    recall: value(RUN_METRIC.recall),
    roc_auc: value(RUN_METRIC.rocAuc),
    log_loss: value(RUN_METRIC.logLoss),
    iterations: value(RUN_METRIC.iterations),
    training_seconds: value(RUN_METRIC.trainingSeconds),
  };
}

function parseOptions(text: string | undefined): JobOptions | null {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as JobOptions;
  } catch {
    return null;
  }
}
