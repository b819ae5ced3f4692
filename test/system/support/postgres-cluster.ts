import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

import { stopWithThisProcess } from './mlflow-server';
import { freePort, runToCompletion } from './processes';

/** Debian installs each server major version's programs here (`/usr/lib/postgresql/<major>/bin`). */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';
export const POSTGRES_INSTALL_COMMAND = 'apt-get update && apt-get install -y postgresql';
/** apt-get downloads and unpacks a few tens of MB; generous for a slow mirror. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** PostgreSQL could not be installed, initialised, started or queried; the message says which and why. */
export class PostgresSetupError extends Error {
  override readonly name = 'PostgresSetupError';
}

/** The newest installed server's program folder (`/usr/lib/postgresql/<major>/bin`), if any has initdb. */
export function installedPostgresBinDir(): string | undefined {
  if (!existsSync(DEBIAN_POSTGRES_ROOT)) return undefined;
  const majors = readdirSync(DEBIAN_POSTGRES_ROOT)
    .filter((entry) => existsSync(join(DEBIAN_POSTGRES_ROOT, entry, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length === 0 ? undefined : join(DEBIAN_POSTGRES_ROOT, majors[0], 'bin');
}

/**
 * Debian's PostgreSQL server programs, installed with apt-get when missing. Installing needs root
 * (CI runs as root); anyone else gets the command to run instead, never a silently skipped test.
 */
export async function ensurePostgresInstalled(): Promise<string> {
  const present = installedPostgresBinDir();
  if (present) return present;
  if (!isRoot()) {
    throw new PostgresSetupError(
      `PostgreSQL's server is not installed (no ${DEBIAN_POSTGRES_ROOT}/*/bin/initdb) and ${userInfo().username} is not root: run \`${POSTGRES_INSTALL_COMMAND}\` as root`,
    );
  }
  const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
    const run = await runToCompletion('apt-get', args, aptEnv, INSTALL_TIMEOUT_MS);
    if (run.code !== 0)
      throw new PostgresSetupError(
        `\`apt-get ${args.join(' ')}\` exited with ${run.code}:\n${run.output.slice(-3000)}`,
      );
  }
  const installed = installedPostgresBinDir();
  if (!installed)
    throw new PostgresSetupError(
      `apt-get installed postgresql but ${DEBIAN_POSTGRES_ROOT}/*/bin/initdb is still missing`,
    );
  return installed;
}

/**
 * A throwaway PostgreSQL cluster under `rootDir`: data, unix socket and log, all owned by the
 * `postgres` user, since the server refuses to run as root. It listens on 127.0.0.1 only, with
 * `trust` authentication (nothing else can reach it), on a free port.
 */
export class PostgresCluster {
  private started = false;
  port = 0;

  constructor(
    readonly binDir: string,
    readonly rootDir: string,
  ) {}

  get dataDir(): string {
    return join(this.rootDir, 'data');
  }

  get socketDir(): string {
    return join(this.rootDir, 'sockets');
  }

  get logFile(): string {
    return join(this.rootDir, 'postgres.log');
  }

  /**
   * A SQLAlchemy URL as MLflow's `--backend-store-uri` takes it. The driver is named: SQLAlchemy 2.1
   * (which MLflow 3.17 installs) maps a bare `postgresql://` to psycopg 3, not to psycopg2.
   */
  url(database: string): string {
    return `postgresql+psycopg2://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** initdb, then `pg_ctl start -w` on a free port; the postmaster is stopped with this process if teardown never runs. */
  async start(): Promise<void> {
    const owner = isRoot() ? postgresAccount() : undefined;
    mkdirSync(this.socketDir, { recursive: true });
    if (owner) for (const dir of [this.rootDir, this.socketDir]) chownSync(dir, owner.uid, owner.gid);
    // --locale=C: the container may have no generated locales; MLflow needs nothing locale-specific.
    await this.asServerUser('initdb', [
      '-D',
      this.dataDir,
      '--auth=trust',
      '--username=postgres',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    this.port = await freePort();
    await this.startServer();
  }

  /** Starts a cluster stopped with {@link stop} again, on the same port and data (an outage ending). */
  async restart(): Promise<void> {
    if (this.started) return;
    await this.startServer();
  }

  private async startServer(): Promise<void> {
    const serverOptions = `-p ${this.port} -k ${this.socketDir} -c listen_addresses=127.0.0.1`;
    try {
      await this.asServerUser('pg_ctl', [
        '-D',
        this.dataDir,
        '-o',
        serverOptions,
        '-l',
        this.logFile,
        'start',
        '-w',
        '-t',
        '90',
      ]);
    } catch (error) {
      throw new PostgresSetupError(`${(error as Error).message}\nserver log:\n${this.logTail()}`);
    }
    this.started = true;
    // pg_ctl detaches the postmaster into a session of its own, so its pid is its process group's.
    stopWithThisProcess(Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]));
  }

  /** `createdb` over TCP as the `postgres` role. */
  async createDatabase(name: string): Promise<void> {
    await this.client('createdb', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', name]);
  }

  /** One SQL statement through `psql -tA`: its rows, unaligned and without headers, trimmed. */
  async query(database: string, sql: string): Promise<string> {
    return (
      await this.client('psql', [
        '-h',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-U',
        'postgres',
        '-d',
        database,
        '-v',
        'ON_ERROR_STOP=1',
        '-tAc',
        sql,
      ])
    ).trim();
  }

  /** `pg_ctl stop -m fast`: open sessions are disconnected, the server shuts down cleanly. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.asServerUser('pg_ctl', ['-D', this.dataDir, 'stop', '-m', 'fast', '-w', '-t', '60']);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Server programs run as `postgres` when we are root (`runuser`), else as ourselves. */
  private asServerUser(program: string, args: string[]): Promise<string> {
    const command = join(this.binDir, program);
    return isRoot() ? this.run('runuser', ['-u', 'postgres', '--', command, ...args]) : this.run(command, args);
  }

  private client(program: string, args: string[]): Promise<string> {
    return this.run(join(this.binDir, program), args);
  }

  /**
   * Runs in the cluster's folder, not the workspace: initdb fails when the `postgres` user cannot
   * read its working directory.
   */
  private run(command: string, args: string[], timeoutMs = 120_000): Promise<string> {
    return new Promise((resolveRun, reject) => {
      const child = spawn(command, args, {
        cwd: this.rootDir,
        env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new PostgresSetupError(`\`${command}\` could not start: ${error.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolveRun(output);
        else reject(new PostgresSetupError(`\`${command} ${args.join(' ')}\` exited with ${code}:\n${output}`));
      });
    });
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The `postgres` account Debian's package creates, which owns the cluster's files. */
function postgresAccount(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (!line)
    throw new PostgresSetupError(
      "there is no `postgres` user (Debian's postgresql package creates it): the server refuses to run as root",
    );
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Lets the `postgres` user reach a folder of ours (mkdtemp makes them 0700). */
export function openToServerUser(dir: string): void {
  chmodSync(dir, 0o755);
}
