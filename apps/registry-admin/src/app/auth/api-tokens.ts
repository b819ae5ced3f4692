import { createHash, timingSafeEqual } from 'node:crypto';

/** The roles a token can carry (shared with training-worker's `API_TOKENS`). */
export const ROLES = ['viewer', 'deployer', 'trainer'] as const;
export type Role = (typeof ROLES)[number];

/** One configured caller: its name (the audit's actor) and roles. The token itself stays inside {@link ApiTokens}. */
export interface ApiCaller {
  name: string;
  roles: ReadonlySet<Role>;
}

/** `API_TOKENS` is malformed; the message names the entry by position, never its token. */
export class ApiTokensFormatError extends Error {
  override readonly name = 'ApiTokensFormatError';
}

interface TokenEntry {
  caller: ApiCaller;
  digest: Buffer;
}

/**
 * The bearer tokens of `API_TOKENS`: comma-separated `name:role+role:token` entries, the token
 * being everything after the second colon. Tokens are kept only as SHA-256 digests and compared in
 * constant time, so neither logs nor timing reveal them.
 */
export class ApiTokens {
  private constructor(private readonly entries: readonly TokenEntry[]) {}

  /** @throws {ApiTokensFormatError} naming the entry (1-based) and what is wrong with it */
  static parse(text: string): ApiTokens {
    const entries: TokenEntry[] = [];
    const names = new Set<string>();
    text
      .split(',')
      .map((entry) => entry.trim())
      .forEach((entry, index) => {
        if (entry === '') return;
        const where = `API_TOKENS entry ${index + 1}`;
        const first = entry.indexOf(':');
        const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
        if (first <= 0 || second < 0) throw new ApiTokensFormatError(`${where} must look like name:role+role:token`);
        const name = entry.slice(0, first);
        const roleText = entry.slice(first + 1, second);
        const token = entry.slice(second + 1);
        if (!/^[A-Za-z0-9_.@-]+$/.test(name))
          throw new ApiTokensFormatError(`${where}: the name must be letters, digits, _ . @ -`);
        if (names.has(name)) throw new ApiTokensFormatError(`${where}: the name ${name} is used twice`);
        const roles = roleText.split('+');
        const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
        if (roleText === '' || unknown.length > 0) {
          throw new ApiTokensFormatError(
            `${where} (${name}): roles must be ${ROLES.join(', ')} joined by +; got ${JSON.stringify(roleText)}`,
          );
        }
        if (token.length < 8)
          throw new ApiTokensFormatError(`${where} (${name}): the token must have at least 8 characters`);
        names.add(name);
        entries.push({ caller: { name, roles: new Set(roles as Role[]) }, digest: digestOf(token) });
      });
    return new ApiTokens(entries);
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The caller holding this token, or undefined. Every entry is compared so the time does not depend on which one matches. */
  callerFor(token: string): ApiCaller | undefined {
    const digest = digestOf(token);
    let found: ApiCaller | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) found = entry.caller;
    }
    return found;
  }
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
