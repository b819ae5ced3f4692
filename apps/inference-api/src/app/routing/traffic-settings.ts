import { readTrafficTags, type RegisteredModel } from '@churn/mlflow-client';

/** The aliases that champion/challenger routing serves. */
export const CHAMPION_ALIAS = 'champion';
export const CHALLENGER_ALIAS = 'challenger';

/** Traffic settings of the served model as last read from MLflow. */
export interface TrafficSettings {
  /** Challenger's share of users (0 … 1); null when the tag is absent or unreadable (no A/B split). */
  challengerShare: number | null;
  /** Challenger scores every request it does not serve, off the hot path. */
  shadow: boolean;
  /** Hash salt of the user split; the model name when no `traffic.salt` tag is set. */
  salt: string;
  /**
   * Requests without a user id are split too, each by its request id (registry-admin sets this for
   * the length of a rollout, so the share applies to all traffic while users stay sticky).
   */
  perRequest: boolean;
  /** Versions the champion and challenger aliases point to in MLflow; null when the alias does not exist. */
  championVersion: string | null;
  challengerVersion: string | null;
  /** Tags that could not be read, each with why (shown in /ab/report and logged). */
  problems: string[];
}

/** No experiment: what a replica assumes before its first read of the model. */
export function noTraffic(modelName: string): TrafficSettings {
  return {
    challengerShare: null,
    shadow: false,
    salt: modelName,
    perRequest: false,
    championVersion: null,
    challengerVersion: null,
    problems: [],
  };
}

/**
 * Reads the traffic settings from a registered model's tags and aliases. A malformed tag is never
 * fatal: it is ignored (as if absent) and named in `problems`, so a typo in MLflow's UI turns the
 * experiment off rather than crashing every replica.
 */
export function trafficSettingsOf(model: RegisteredModel): TrafficSettings {
  const aliases = new Map((model.aliases ?? []).map((entry) => [entry.alias, entry.version]));
  const tags = readTrafficTags(model.tags);
  return {
    challengerShare: tags.challengerShare,
    shadow: tags.shadow,
    salt: tags.salt ?? model.name,
    perRequest: tags.perRequest,
    championVersion: aliases.get(CHAMPION_ALIAS) ?? null,
    challengerVersion: aliases.get(CHALLENGER_ALIAS) ?? null,
    problems: tags.problems,
  };
}

/** True when two reads say the same thing (so an unchanged poll logs nothing). */
export function sameTraffic(a: TrafficSettings, b: TrafficSettings): boolean {
  return (
    a.challengerShare === b.challengerShare &&
    a.shadow === b.shadow &&
    a.salt === b.salt &&
    a.perRequest === b.perRequest &&
    a.championVersion === b.championVersion &&
    a.challengerVersion === b.challengerVersion &&
    a.problems.join('\n') === b.problems.join('\n')
  );
}
