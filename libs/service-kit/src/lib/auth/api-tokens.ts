/**
 * Bearer tokens and their roles, from `API_TOKENS`: one rule set for every app. Framework-free so
 * the config validation and the Nest guard use one parser.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The roles a token can carry. Roles do not imply each other: a deployer that also reads carries `deployer+viewer`. */
export const ROLES = ['viewer', 'deployer', 'trainer'] as const;
export type Role = (typeof ROLES)[number];

/** Shortest token accepted: 16 characters leave no room for guessable words like `secret`. */
export const MIN_TOKEN_LENGTH = 16;

/** One configured caller: its name (the actor recorded in MLflow) and roles. The token stays inside {@link ApiTokens}. */
export interface ApiCaller {
  name: string;
  roles: readonly Role[];
}

/** `API_TOKENS` is malformed; the message names the entry by position and name, never its token. */
export class ApiTokensFormatError extends Error {
  override readonly name = 'ApiTokensFormatError';
}

interface TokenEntry extends ApiCaller {
  /** SHA-256 of the token: compared in constant time, and the token itself is not kept. */
  digest: Buffer;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * The parsed `API_TOKENS`: comma-separated `name:role+role:token` entries, the token being
 * everything after the second colon, e.g. `alice:deployer+viewer:0123456789abcdef`.
 */
export class ApiTokens {
  private constructor(private readonly entries: readonly TokenEntry[]) {}

  /**
   * @throws {ApiTokensFormatError} for an entry without three parts, a malformed name, a missing or
   *   unknown role, a token shorter than {@link MIN_TOKEN_LENGTH}, or a name or token listed twice.
   * @example ApiTokens.parse('ci:trainer:0123456789abcdef').authenticate('0123456789abcdef') // { name: 'ci', roles: ['trainer'] }
   */
  static parse(text: string | undefined): ApiTokens {
    const entries: TokenEntry[] = [];
    const raw = (text ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
    raw.forEach((entry, index) => {
      const where = `API_TOKENS entry ${index + 1}`;
      const first = entry.indexOf(':');
      const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
      if (second < 0) throw new ApiTokensFormatError(`${where} must look like name:role+role:token`);
      const name = entry.slice(0, first);
      const roleText = entry.slice(first + 1, second);
      const token = entry.slice(second + 1);
      if (!NAME_PATTERN.test(name))
        throw new ApiTokensFormatError(`${where} has an invalid name (letters, digits, _ . @ -)`);
      const roles = roleText.split('+');
      const unknown = roles.find((role) => !(ROLES as readonly string[]).includes(role));
      if (unknown !== undefined) {
        throw new ApiTokensFormatError(
          `${where} ("${name}") has unknown role "${unknown}" (roles: ${ROLES.join(', ')}, joined by +)`,
        );
      }
      if (token.length < MIN_TOKEN_LENGTH)
        throw new ApiTokensFormatError(`${where} ("${name}") needs a token of at least ${MIN_TOKEN_LENGTH} characters`);
      if (entries.some((other) => other.name === name))
        throw new ApiTokensFormatError(`${where}: name "${name}" is used twice`);
      const digest = digestOf(token);
      if (entries.some((other) => timingSafeEqual(other.digest, digest)))
        throw new ApiTokensFormatError(`${where} ("${name}") reuses another entry's token`);
      entries.push({ name, roles: [...new Set(roles as Role[])], digest });
    });
    return new ApiTokens(entries);
  }

  /** True when no token is configured: every protected endpoint then refuses. */
  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The caller a token belongs to, or undefined. Every entry is compared, in constant time each. */
  authenticate(token: string): ApiCaller | undefined {
    const digest = digestOf(token);
    let found: TokenEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) found = entry;
    }
    return found === undefined ? undefined : { name: found.name, roles: found.roles };
  }

  /** Neither a log line nor a serialised config shows a digest. */
  toJSON(): string {
    return `ApiTokens(${this.entries.map((entry) => entry.name).join(', ')})`;
  }
}

/**
 * Every app's rule for its single-secret settings (a reload token, a webhook key…), the same as
 * for API_TOKENS: each one set has at least {@link MIN_TOKEN_LENGTH} characters, no two are alike,
 * and none is also a token of API_TOKENS (one leaked secret must not open two doors). Empty ones
 * are unset. Messages name settings, never values.
 * @param secrets setting name → value
 */
export function secretSettingProblems(secrets: Readonly<Record<string, string>>, apiTokens: string): string[] {
  const problems: string[] = [];
  let listed: ApiTokens | undefined;
  try {
    listed = ApiTokens.parse(apiTokens);
  } catch {
    // API_TOKENS' own problems are reported by its parser.
  }
  const set = Object.entries(secrets).filter(([, value]) => typeof value === 'string' && value !== '');
  set.forEach(([name, value], index) => {
    if (value.length < MIN_TOKEN_LENGTH) problems.push(`${name} must be at least ${MIN_TOKEN_LENGTH} characters`);
    const twin = set.slice(0, index).find(([, other]) => other === value);
    if (twin !== undefined) problems.push(`${name} must differ from ${twin[0]}`);
    const caller = listed?.authenticate(value);
    if (caller !== undefined) problems.push(`${name} must differ from the token of API_TOKENS entry "${caller.name}"`);
  });
  return problems;
}
