import type { Tag } from './tags';

/**
 * MLflow's naming rules that every app checks before it writes (model names, aliases) and the
 * registered-model tags the apps share, written once so a rule cannot drift between apps.
 */

/** A registered model name the apps accept: letters, digits, `_ . -`, starting with a letter or digit. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A model version as MLflow numbers them (1, 2, …), as text of at most ten digits. */
export const VERSION_NUMBER_PATTERN = /^[1-9][0-9]{0,9}$/;

/** The rule of {@link MODEL_NAME_PATTERN}, in words for error messages. */
export const MODEL_NAME_RULE = 'a registered model name (letters, digits, _ . -)';

/** @example isModelName('churn_model') // true; isModelName('../etc') // false */
export function isModelName(name: string): boolean {
  return MODEL_NAME_PATTERN.test(name);
}

/** MLflow's alias length limit (mlflow/utils/validation.py: MAX_REGISTERED_MODEL_ALIAS_LENGTH). */
export const MAX_ALIAS_LENGTH = 255;

/**
 * The alias names the apps accept, as one pattern (the OpenAPI documents state it): MLflow's rule
 * (see {@link aliasNameProblem}) with ASCII letters and digits only, as inference-api's MODEL_ALIAS
 * takes them; an alias no replica can be configured to serve is refused where it would be set.
 */
export const ALIAS_PATTERN = /^(?![lL][aA][tT][eE][sS][tT]$)(?![vV][0-9]+$)[A-Za-z0-9_-]{1,255}$/;

/** The rule of {@link ALIAS_PATTERN}, in words for error messages. */
export const ALIAS_RULE = 'an alias name (1 to 255 ASCII letters, digits, _ -; not latest, not v<number>)';

/**
 * What is wrong with an alias name, or undefined when the apps take it: MLflow's own rules
 * (`_validate_model_alias_name` and `_validate_model_alias_name_reserved` in
 * mlflow/utils/validation.py: word characters and dashes only, at most 255 of them, not `latest` in
 * any case, not a version reference like `v3`), word characters limited to ASCII
 * ({@link ALIAS_PATTERN}). The text follows the field name: `alias ${problem}`.
 * @example aliasNameProblem('v3') // "'v3' is reserved by MLflow for version references"
 */
export function aliasNameProblem(alias: string): string | undefined {
  if (alias === '') return 'must not be empty';
  if (alias.length > MAX_ALIAS_LENGTH) return `must have at most ${MAX_ALIAS_LENGTH} characters`;
  if (!/^[A-Za-z0-9_-]+$/.test(alias))
    return `'${alias}' may only contain ASCII letters, digits, underscores (_) and dashes (-)`;
  if (alias.toLowerCase() === 'latest') return `'${alias}' is reserved by MLflow`;
  if (/^[vV]\d+$/.test(alias)) return `'${alias}' is reserved by MLflow for version references`;
  return undefined;
}

/** The aliases of champion/challenger traffic: registry-admin moves them, every inference-api replica routes by them. */
export const TRAFFIC_ALIASES = { champion: 'champion', challenger: 'challenger' } as const;

/** Registered-model tags that registry-admin writes and every inference-api replica reads (DESIGN.md wiring table). */
export const TRAFFIC_TAGS = {
  challengerShare: 'traffic.challenger_share',
  shadow: 'traffic.shadow',
  salt: 'traffic.salt',
  /** `true` while a staged rollout runs: users are split per request, not by a sticky user hash. */
  perRequest: 'traffic.per_request',
} as const;

/** A traffic flag's tag as every reader takes it: `true` in any case, spaces around it ignored; anything else is off. */
export function trafficFlagOn(text: string | undefined): boolean {
  return text?.trim().toLowerCase() === 'true';
}

/** A registered model's traffic tags as every reader takes them (registry-admin shows what inference-api routes by). */
export interface TrafficTags {
  /** The challenger's share of users, 0 … 1; null when the tag is absent, blank or not such a number (no split). */
  challengerShare: number | null;
  shadow: boolean;
  /** The user split's hash salt, trimmed; null when absent or blank (the model name is used then). */
  salt: string | null;
  perRequest: boolean;
  /** Tags that could not be read, each with why: a malformed tag reads as absent rather than failing its reader. */
  problems: string[];
}

/** Reads the traffic tags from a registered model's tags (see {@link TrafficTags}). */
export function readTrafficTags(tags: readonly Tag[] | undefined): TrafficTags {
  const text = new Map((tags ?? []).map((tag) => [tag.key, tag.value ?? '']));
  const problems: string[] = [];

  let challengerShare: number | null = null;
  const shareText = text.get(TRAFFIC_TAGS.challengerShare);
  if (shareText !== undefined && shareText.trim() !== '') {
    const share = Number(shareText);
    if (Number.isFinite(share) && share >= 0 && share <= 1) challengerShare = share;
    else
      problems.push(
        `${TRAFFIC_TAGS.challengerShare} must be a number from 0 to 1, got ${JSON.stringify(shareText)}; no split applied`,
      );
  }

  const shadowText = text.get(TRAFFIC_TAGS.shadow);
  const shadow = trafficFlagOn(shadowText);
  if (!shadow && shadowText !== undefined && !['', 'false'].includes(shadowText.trim().toLowerCase()))
    problems.push(`${TRAFFIC_TAGS.shadow} must be true or false, got ${JSON.stringify(shadowText)}; shadow off`);

  return {
    challengerShare,
    shadow,
    salt: text.get(TRAFFIC_TAGS.salt)?.trim() || null,
    perRequest: trafficFlagOn(text.get(TRAFFIC_TAGS.perRequest)),
    problems,
  };
}
