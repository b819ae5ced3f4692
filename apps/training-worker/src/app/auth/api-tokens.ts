/**
 * Bearer tokens and their roles, from `API_TOKENS` (the format registry-admin shares):
 * comma-separated `name:roles:token` entries, roles joined by `+`, the token being everything after
 * the second colon, e.g. `alice:deployer+viewer:s3cret,ci:trainer:t0ken`. Framework-free so the
 * config validation and the Nest guard use one parser.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const ROLES = ['viewer', 'deployer', 'trainer'] as const;
export type Role = (typeof ROLES)[number];

/** Who presented a token: the entry's name (the actor recorded in MLflow) and its roles. */
export interface Actor {
  name: string;
  roles: readonly Role[];
}

interface TokenEntry extends Actor {
  /** SHA-256 of the token: compared in constant time, and the token itself is not kept. */
  digest: Buffer;
}

/** `API_TOKENS` cannot be parsed; the message names the entry by position and name, never the token. */
export class ApiTokensFormatError extends Error {
  override readonly name = 'ApiTokensFormatError';
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** The parsed `API_TOKENS`: looks up the actor of a presented token. */
export class ApiTokens {
  private constructor(private readonly entries: readonly TokenEntry[]) {}

  /**
   * @throws {ApiTokensFormatError} for an entry without three parts, an empty or malformed name or
   *   token, an unknown role, or a token or name used twice.
   * @example ApiTokens.parse('ci:trainer:t0ken').authenticate('t0ken') // { name: 'ci', roles: ['trainer'] }
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
      if (token.length === 0) throw new ApiTokensFormatError(`${where} ("${name}") has an empty token`);
      const roles = roleText.split('+');
      for (const role of roles) {
        if (!(ROLES as readonly string[]).includes(role)) {
          throw new ApiTokensFormatError(
            `${where} ("${name}") has unknown role "${role}" (roles: ${ROLES.join(', ')})`,
          );
        }
      }
      if (entries.some((other) => other.name === name))
        throw new ApiTokensFormatError(`${where}: name "${name}" is used twice`);
      const digest = digestOf(token);
      if (entries.some((other) => timingSafeEqual(other.digest, digest))) {
        throw new ApiTokensFormatError(`${where} ("${name}") reuses another entry's token`);
      }
      entries.push({ name, roles: [...new Set(roles as Role[])], digest });
    });
    return new ApiTokens(entries);
  }

  /** True when no token is configured: every protected endpoint then refuses. */
  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The actor a token belongs to, or undefined. Every entry is compared, in constant time each. */
  authenticate(token: string): Actor | undefined {
    const digest = digestOf(token);
    let found: TokenEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) found = entry;
    }
    return found === undefined ? undefined : { name: found.name, roles: found.roles };
  }
}
