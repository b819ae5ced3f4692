/**
 * Audit records this process still owes their final write: the alias already moved (or may have),
 * and MLflow failed before the record was settled. Kept here until the write lands.
 */
import type { Logger } from '@nestjs/common';

import type { AliasAuditRecord } from './alias-audit.store';

/** What is known of the move behind a record whose settlement is owed. */
export type OwedSettlement =
  /** MLflow confirmed the alias change: the record settles as `outcome` (what the re-read after the move showed). */
  | {
      kind: 'moved';
      record: AliasAuditRecord;
      outcome: 'committed' | 'superseded';
      /** The holder the re-read saw; undefined when the re-read failed too. */
      observed_version: string | null | undefined;
      cause: string;
    }
  /** The change itself failed without a definite answer: the record settles against the holder MLflow shows later. */
  | { kind: 'unknown'; record: AliasAuditRecord; cause: string };

interface Entry {
  owed: OwedSettlement;
  firstFailedAt: number;
  attempts: number;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

/** First wait before a background retry; it doubles up to {@link MAX_RETRY_DELAY_MS}. */
const FIRST_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Settlements owed after a move, retried until they land:
 * - in the background, with a doubling wait (1 s up to 30 s) for `retryWindowMs` (AUDIT_SETTLE_RETRY_MS);
 * - before this process's next move of the same alias (which waits for it: the move would start from
 *   the wrong history otherwise) and before its history reads of the model;
 * - once more when the app closes.
 * While a settlement is owed, this process's readers leave the record alone (the grace rule is for
 * writers that stopped); if the process stops first, the `pending` record in MLflow is the durable
 * marker, and any reader settles it against the alias's holder after AUDIT_PENDING_GRACE_MS.
 */
export class OwedSettlements {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly write: (owed: OwedSettlement) => Promise<AliasAuditRecord>,
    private readonly retryWindowMs: number,
    private readonly logger: Pick<Logger, 'log' | 'warn'>,
  ) {}

  has(recordId: string): boolean {
    return this.entries.has(recordId);
  }

  add(owed: OwedSettlement): void {
    const entry: Entry = { owed, firstFailedAt: Date.now(), attempts: 0 };
    this.entries.set(owed.record.id, entry);
    this.schedule(entry);
  }

  /**
   * Writes every owed settlement of the model (of one alias when given) now.
   * @throws the first write's error when `strict`; otherwise failures only stay owed
   */
  async settleNow(model: string, alias: string | undefined, strict: boolean): Promise<void> {
    const due = [...this.entries.values()].filter(
      ({ owed }) => owed.record.model === model && (alias === undefined || owed.record.alias === alias),
    );
    for (const entry of due) {
      const error = await this.attempt(entry);
      if (error !== undefined && strict) throw error;
    }
  }

  /** Stops the background retries after one last attempt each; what still fails stays pending in MLflow. */
  async close(): Promise<void> {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    for (const entry of [...this.entries.values()]) {
      const error = await this.attempt(entry);
      if (error !== undefined)
        this.logger.warn(
          `audit record ${entry.owed.record.id} is left pending in MLflow (${errorText(error)}); a reader settles it against the alias's holder`,
        );
    }
  }

  /** One write, never two at once for a record; resolves with the error when it failed. */
  private async attempt(entry: Entry): Promise<unknown> {
    while (entry.running !== undefined) await entry.running;
    if (!this.entries.has(entry.owed.record.id)) return undefined;
    let failure: unknown;
    entry.running = (async () => {
      entry.attempts += 1;
      try {
        const settled = await this.write(entry.owed);
        this.entries.delete(entry.owed.record.id);
        clearTimeout(entry.timer);
        this.logger.log(
          `audit record ${settled.id} of ${settled.model}@${settled.alias} settled as ${settled.outcome} (attempt ${entry.attempts + 1})`,
        );
      } catch (error) {
        failure = error;
      }
    })();
    await entry.running;
    entry.running = undefined;
    return failure;
  }

  private schedule(entry: Entry): void {
    const delay = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** entry.attempts);
    if (Date.now() + delay - entry.firstFailedAt > this.retryWindowMs) {
      this.logger.warn(
        `audit record ${entry.owed.record.id}: no more background retries after ${this.retryWindowMs} ms (AUDIT_SETTLE_RETRY_MS); retried before the next move or history read`,
      );
      return;
    }
    entry.timer = setTimeout(() => {
      void this.attempt(entry).then((error) => {
        if (error !== undefined && this.entries.has(entry.owed.record.id)) this.schedule(entry);
      });
    }, delay);
    // The CLI exits when its work is done; the app's close makes the last attempt.
    entry.timer.unref();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
