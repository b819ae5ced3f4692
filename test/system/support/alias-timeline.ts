/**
 * When each version held an alias, as seen from outside: MLflow moves the alias at some moment
 * inside the command that moved it (between the command's start and its return), and a replica may
 * keep answering with the previous version for up to `reloadWindowMs` after the command returned
 * (the push failed, polling catches up). So version i held the alias from the start of its move
 * until the return of the next move plus the reload window. Times are `performance.now()` ms.
 */
export interface AliasMove {
  version: string;
  startedAt: number;
  returnedAt: number;
}

export class AliasTimeline {
  private readonly history: AliasMove[];

  constructor(
    initialVersion: string,
    private readonly reloadWindowMs: number,
  ) {
    this.history = [{ version: initialVersion, startedAt: -Infinity, returnedAt: -Infinity }];
  }

  /** The recorded moves, oldest first (without the initial holder). */
  get moves(): AliasMove[] {
    return this.history.slice(1).map((move) => ({ ...move }));
  }

  /** Records a move to `version` by a command that ran from `startedAt` to `returnedAt`. */
  record(version: string, startedAt: number, returnedAt: number): void {
    const last = this.history[this.history.length - 1];
    if (startedAt < last.returnedAt)
      throw new RangeError(
        `moves must be recorded in order: v${version} started before v${last.version}'s move returned`,
      );
    this.history.push({ version, startedAt, returnedAt });
  }

  /** Versions that held the alias at some moment between a request's send and its answer. */
  allowedVersions(sentAt: number, receivedAt: number): Set<string> {
    const allowed = new Set<string>();
    this.history.forEach((move, index) => {
      const next = this.history[index + 1];
      const heldUntil = next === undefined ? Infinity : next.returnedAt + this.reloadWindowMs;
      if (move.startedAt <= receivedAt && heldUntil >= sentAt) allowed.add(move.version);
    });
    return allowed;
  }
}
