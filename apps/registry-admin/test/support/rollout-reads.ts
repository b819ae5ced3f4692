// What rollout tests read back: a rollout once it has ended (from its run, so its model may be
// gone) and the audit records of one rollout (through a registry-admin's history endpoint).
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

import { waitFor } from '@churn/service-kit/testing';

import type { RolloutState, RolloutStore } from '../../src/app/rollouts/rollout-state';
import { asAdmin } from './test-app';

/** The rollout once it has ended, read from its run (its model may be gone), within `timeoutMs`. */
export async function endedRollout(
  store: RolloutStore,
  model: string,
  id: string,
  timeoutMs = 20_000,
): Promise<RolloutState> {
  return waitFor(
    `rollout ${id} to end`,
    async () => {
      const stored = await store.get(model, id);
      return stored?.status === 'running' ? undefined : stored;
    },
    timeoutMs,
    200,
  );
}

/** One audit record of a rollout: its event (`started`, `step_started`, `resumed`, …) and its sentence. */
export interface RolloutRecord {
  event: string;
  reason: string;
}

/** The audit records of rollout `id`, oldest first, as `app` lists them. */
export async function rolloutRecords(app: NestFastifyApplication, model: string, id: string): Promise<RolloutRecord[]> {
  const response = await app.inject({
    method: 'GET',
    url: `/models/${model}/history?alias=traffic.rollout&max_results=1000`,
    headers: asAdmin,
  });
  const { records } = response.json() as {
    records: Array<{ recorded_at: string; reason: string; rollout?: { rollout_id: string; event: string } }>;
  };
  return records
    .filter((record) => record.rollout?.rollout_id === id)
    .sort((a, b) => a.recorded_at.localeCompare(b.recorded_at))
    .map((record) => ({ event: record.rollout?.event as string, reason: record.reason }));
}

/** The audited events of rollout `id`, oldest first. */
export async function rolloutEvents(app: NestFastifyApplication, model: string, id: string): Promise<string[]> {
  return (await rolloutRecords(app, model, id)).map((record) => record.event);
}

/**
 * The records audited for rollout `id` once `event` is among them: a driver saves the rollout's end
 * before it audits it, so the record can land just after the end is read.
 */
export async function rolloutRecordsOnce(
  app: NestFastifyApplication,
  model: string,
  id: string,
  event: string,
  timeoutMs = 10_000,
): Promise<RolloutRecord[]> {
  return waitFor(
    `rollout ${id}'s ${event} record`,
    async () => {
      const records = await rolloutRecords(app, model, id);
      return records.some((record) => record.event === event) ? records : undefined;
    },
    timeoutMs,
    200,
  );
}
