// INFERENCE_STORE_URL's grammar: read at start-up by the settings' validation and by the prediction
// log when it opens its store, so it sits with the settings, below both.
import { resolve } from 'node:path';

/** SQLite's name for a database that lives in memory only. */
export const SQLITE_MEMORY = ':memory:';

/** `INFERENCE_STORE_URL` names no store we can open; the message says why and never repeats a password. */
export class PredictionStoreConfigError extends Error {
  override readonly name = 'PredictionStoreConfigError';
}

const SETTING = 'INFERENCE_STORE_URL';

/** Where a store lives, as read from {@link SETTING}. */
export type PredictionStoreLocation =
  | { kind: 'sqlite'; path: string; description: string }
  | { kind: 'postgres'; connectionString: string; description: string };

/**
 * Reads a store URL: `postgres://…` or `postgresql://…` for PostgreSQL; `sqlite:/abs/path.db`,
 * `sqlite:relative/path.db` (against the working directory), `sqlite::memory:` or a plain file
 * path for SQLite.
 *
 * `sqlite://…` is refused rather than guessed: SQLAlchemy (and so MLflow) reads `sqlite:///a.db` as
 * the relative path `a.db` and `sqlite:////a.db` as `/a.db`, which a reader of our setting could
 * easily take the other way round.
 *
 * @throws PredictionStoreConfigError naming {@link SETTING} and the problem, never the password.
 * @example parsePredictionStoreUrl('postgres://app:secret@db:5432/log').description // 'postgres://app:****@db:5432/log'
 */
export function parsePredictionStoreUrl(url: string, workingDirectory = process.cwd()): PredictionStoreLocation {
  const trimmed = url.trim();
  if (trimmed === '')
    throw new PredictionStoreConfigError(
      `${SETTING} is empty: give a PostgreSQL URL (postgres://user:password@host:5432/database) or a SQLite file (sqlite:/path/predictions.db)`,
    );
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1].toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return postgresLocation(trimmed);
  if (scheme === 'sqlite') {
    const path = trimmed.slice('sqlite:'.length);
    if (path.startsWith('//')) {
      throw new PredictionStoreConfigError(
        `${SETTING} uses the ambiguous form sqlite://…: write sqlite:/absolute/path.db, sqlite:relative/path.db or sqlite::memory:`,
      );
    }
    if (path === '') throw new PredictionStoreConfigError(`${SETTING} names no SQLite file after sqlite:`);
    return sqliteLocation(path, workingDirectory);
  }
  // A single letter before the colon is a Windows drive, which a plain file path may start with.
  if (scheme !== undefined && scheme.length > 1) {
    throw new PredictionStoreConfigError(
      `${SETTING} has the unsupported scheme ${scheme}: (expected postgres://, postgresql://, sqlite: or a file path)`,
    );
  }
  return sqliteLocation(trimmed, workingDirectory);
}

function sqliteLocation(path: string, workingDirectory: string): PredictionStoreLocation {
  const absolute = path === SQLITE_MEMORY ? SQLITE_MEMORY : resolve(workingDirectory, path);
  return { kind: 'sqlite', path: absolute, description: `sqlite:${absolute}` };
}

function postgresLocation(url: string): PredictionStoreLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL itself may hold a password, so it is not repeated.
    throw new PredictionStoreConfigError(
      `${SETTING} is not a valid PostgreSQL URL (expected postgres://user:password@host:5432/database, with special characters in the password percent-encoded)`,
    );
  }
  const masked = new URL(parsed.href);
  if (masked.password !== '') masked.password = '****';
  // libpq also takes the password as a query parameter.
  if (masked.searchParams.has('password')) masked.searchParams.set('password', '****');
  return { kind: 'postgres', connectionString: url, description: masked.href };
}
