/**
 * Who drives a rollout when several registry-admin replicas run: the one holding its lease, a tag
 * on the rollout's MLflow run (`{"holder": ..., "expires_at": <epoch ms>}`). The driver renews it;
 * a replica takes a rollout over only once its lease has lapsed (its driver died) or was released
 * (its driver stopped cleanly).
 *
 * MLflow has no compare-and-set, so taking a lease is write-then-verify: write, wait a settle
 * delay, read back, and keep it only if this replica's write is the one MLflow holds. Two replicas
 * that both wrote read the same last writer. Drivers also check the holder at every watch tick and
 * stop when it is another, so a takeover that raced anyway drives twice for at most one tick; ending
 * a rollout takes a claim that one replica gets ({@link RolloutStore.claimEnd}). Expiry is compared
 * on each replica's wall clock: clocks must agree to well within the lease time (NTP).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { MlflowClient, tagsToRecord, type Run } from '@churn/mlflow-client';

export const LEASE_TAG = 'rollout.lease';

export interface Lease {
  holder: string;
  expires_at: number;
}

/**
 * A name for one registry-admin instance: the host (a pod's name in Kubernetes), the process id and
 * a random part, since a restarted container has the same host and process id but is not the
 * process that held the lease.
 */
export function instanceName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** The lease a run's tags hold; null when none was ever written or it cannot be read. */
export function leaseOf(run: Run): Lease | null {
  const text = tagsToRecord(run.data.tags ?? [])[LEASE_TAG];
  if (text === undefined) return null;
  try {
    const lease = JSON.parse(text) as Partial<Lease>;
    if (typeof lease.holder !== 'string' || typeof lease.expires_at !== 'number') return null;
    return { holder: lease.holder, expires_at: lease.expires_at };
  } catch {
    return null;
  }
}

/** Whether `lease` keeps others out at `now`: held by someone else and not expired. */
export function heldByAnother(lease: Lease | null, self: string, now: number): boolean {
  return lease !== null && lease.holder !== self && lease.expires_at > now;
}

export class RolloutLeases {
  constructor(
    private readonly mlflow: MlflowClient,
    readonly self: string,
    readonly ttlMs: number,
    private readonly settleMs = Math.min(500, Math.max(50, Math.round(ttlMs / 20))),
  ) {}

  /** The tag value of a lease held by this replica from now on. */
  fresh(now = Date.now()): string {
    return JSON.stringify({ holder: this.self, expires_at: now + this.ttlMs } satisfies Lease);
  }

  /**
   * Takes the rollout's lease unless another replica holds it.
   * @returns the previous holder's lease (null when there was none) when taken, false when not
   */
  async acquire(runId: string): Promise<Lease | null | false> {
    const before = leaseOf(await this.mlflow.runs.get(runId));
    if (heldByAnother(before, this.self, Date.now())) return false;
    await this.write(runId, this.fresh());
    await new Promise((resolve) => setTimeout(resolve, this.settleMs));
    const after = leaseOf(await this.mlflow.runs.get(runId));
    return after?.holder === this.self ? before : false;
  }

  /** Extends this replica's lease. @returns false when another replica holds it now */
  async renew(runId: string): Promise<boolean> {
    const lease = leaseOf(await this.mlflow.runs.get(runId));
    if (lease !== null && lease.holder !== this.self) return false;
    await this.write(runId, this.fresh());
    return true;
  }

  /** Gives the lease up (expired now), so another replica may take the rollout at once. */
  async release(runId: string): Promise<void> {
    const lease = leaseOf(await this.mlflow.runs.get(runId));
    if (lease?.holder !== this.self) return;
    await this.write(runId, JSON.stringify({ holder: this.self, expires_at: 0 } satisfies Lease));
  }

  private async write(runId: string, value: string): Promise<void> {
    await this.mlflow.runs.logBatch({ run_id: runId, tags: { [LEASE_TAG]: value } });
  }
}
