/**
 * When a version's dataset drift becomes an alert, and the alert's idempotency key.
 *
 * Time is cut into periods of one cool-down (period p = floor(now / cool-down)). An alert fires in
 * period p when dataset drift has held without a break since at least the start of period p − 1,
 * so it has lasted through a whole cool-down, and fires at most once per drift episode (re-armed
 * when drift clears). The key names model, version and period, so replicas that see the same drift
 * raise the same key and training-worker starts one job. Because alerts fire only on a period's
 * first evaluations, two replicas whose episodes began on either side of a period boundary alert a
 * whole period apart; the later one finds the earlier one's job by the previous period's key
 * ({@link previousAlertKey}) instead of starting a second.
 */
export class DriftAlertPolicy {
  private driftSince: number | undefined;
  private alerted = false;

  constructor(private readonly cooldownMs: number) {}

  /**
   * Feeds one evaluation's verdict at `now` (ms).
   * @returns the period to alert for, or undefined when no alert is due
   */
  observe(datasetDrift: boolean, now: number): number | undefined {
    if (!datasetDrift) {
      this.driftSince = undefined;
      this.alerted = false;
      return undefined;
    }
    this.driftSince ??= now;
    if (this.alerted) return undefined;
    const period = Math.floor(now / this.cooldownMs);
    if (this.driftSince > (period - 1) * this.cooldownMs) return undefined;
    this.alerted = true;
    return period;
  }

  /** When the current episode of drift began (ms), or undefined when there is none. */
  get driftingSince(): number | undefined {
    return this.driftSince;
  }
}

/** `drift-<model>-v<version>-<period>`: within training-worker's key pattern (letters, digits, _ . : -). */
export function driftAlertKey(model: string, version: string, period: number): string {
  return `drift-${model}-v${version}-${period}`;
}

/** The key a replica one period ahead would have used for the same episode. */
export function previousAlertKey(model: string, version: string, period: number): string {
  return driftAlertKey(model, version, period - 1);
}
