/**
 * The local copy of model versions: `<root>/<name>/<version>-<identity>/model/…` (the whole MLflow
 * Model directory), `train_stats.json` beside it when the run logged one at its root, and
 * `identity.json` saying what the copy is.
 *
 * A cached copy is reused only when it is provably the one MLflow describes now. Version numbers
 * are not identities: two MLflow servers (dev and prod), a registry rebuilt from an empty database
 * or a restored backup all have their own `churn_model` v1, and a cache keyed by name and version
 * once served another server's model without a word. So a copy is keyed by the tracking server and
 * the version's identity (its source run, registry source and artifact location), and before reuse
 * what is on disk is checked against MLflow's artifact listing (the same files, each of the listed
 * size); anything else is downloaded again and replaces it. Never by alias (the seed's bug: an
 * alias-keyed cache kept serving the old model after a rollback).
 *
 * A version is downloaded into a temporary folder, every file's size checked against the listing,
 * then renamed into place, so a folder under its final name is always complete, also for another
 * replica sharing the folder. At most `maxVersions` are kept; the least recently used go first,
 * never one that is in use.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ArtifactFile, MlflowClient } from '@churn/mlflow-client';

/** What makes a registered version the one it is, beyond its name and number. */
export interface VersionIdentity {
  name: string;
  version: string;
  /** The run that produced it, whose root may hold `train_stats.json`. */
  runId: string | undefined;
  /** The version's registry source (`mlflow-artifacts:/…` or `runs:/…`). */
  source: string;
  /** Where its files are (`model-versions/get-download-uri`). */
  downloadUri: string;
}

export interface CachedVersion {
  /** The version's folder in the cache (what eviction keeps while it is served). */
  dir: string;
  /** The MLflow Model directory. */
  modelDir: string;
  /** `train_stats.json` of the run, when it has one. */
  trainStatsPath: string | undefined;
  /** True when this call downloaded it, false when it was already cached. */
  downloaded: boolean;
  /** How the copy was chosen, for the load's log line: reused, downloaded, or downloaded again and why. */
  note: string;
}

/** What `identity.json` holds: the server and identity the copy was downloaded for, and its files. */
interface IdentityRecord extends VersionIdentity {
  trackingUri: string;
  /** Files below `model/`, `/`-separated, with their sizes. */
  files: { path: string; size: number }[];
  /** Size of the run-root `train_stats.json` copied beside the model, when there was one. */
  trainStatsSize: number | null;
}

const MODEL_FOLDER = 'model';
const TRAIN_STATS_FILE = 'train_stats.json';
const IDENTITY_FILE = 'identity.json';

export class ModelCache {
  constructor(
    private readonly client: MlflowClient,
    readonly root: string,
    private readonly maxVersions: number,
  ) {}

  /** The folder of a version on this tracking server with this identity. */
  versionDir(identity: VersionIdentity): string {
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          this.trackingUri,
          identity.name,
          identity.version,
          identity.runId ?? '',
          identity.source,
          identity.downloadUri,
        ]),
      )
      .digest('hex')
      .slice(0, 16);
    return join(this.root, encodeURIComponent(identity.name), `${encodeURIComponent(identity.version)}-${key}`);
  }

  /**
   * The local copy of a version: the cached one when it matches MLflow's listing now, otherwise a
   * fresh download in its place.
   * @throws MlflowError (including ArtifactSizeMismatchError) when listing or downloading fails
   */
  async ensure(identity: VersionIdentity): Promise<CachedVersion> {
    const target = this.versionDir(identity);
    const listing = await this.listing(identity);
    const mismatch = await this.mismatch(target, identity, listing);
    if (mismatch === undefined) {
      const now = new Date();
      await utimes(target, now, now).catch(() => undefined);
      return {
        ...(await this.describe(target)),
        downloaded: false,
        note: `reused the cached copy in ${target} (same server and identity; ${listing.files.length} files match MLflow's listing)`,
      };
    }
    await this.download(target, identity, listing);
    const cachedBefore = mismatch !== NOT_CACHED;
    return {
      ...(await this.describe(target)),
      downloaded: true,
      note: cachedBefore
        ? `downloaded again into ${target}: the cached copy was not the one MLflow describes (${mismatch})`
        : `downloaded into ${target}`,
    };
  }

  /**
   * Deletes the least recently used versions beyond the limit, keeping every path in `inUse`.
   * @returns the deleted version folders
   */
  async evict(inUse: ReadonlySet<string>): Promise<string[]> {
    const entries: { dir: string; usedAt: number }[] = [];
    for (const model of await readdir(this.root).catch(() => [] as string[])) {
      if (model.startsWith('.')) continue;
      const modelDir = join(this.root, model);
      for (const version of await readdir(modelDir).catch(() => [] as string[])) {
        const dir = join(modelDir, version);
        const info = await stat(dir).catch(() => undefined);
        if (info?.isDirectory()) entries.push({ dir, usedAt: info.mtimeMs });
      }
    }
    entries.sort((a, b) => b.usedAt - a.usedAt);
    const evicted: string[] = [];
    let kept = 0;
    for (const entry of entries) {
      if (inUse.has(entry.dir) || kept < this.maxVersions) {
        kept++;
        continue;
      }
      await rm(entry.dir, { recursive: true, force: true });
      evicted.push(entry.dir);
    }
    return evicted;
  }

  private get trackingUri(): string {
    return this.client.trackingUri.replace(/\/+$/, '');
  }

  /** What MLflow lists now: the model's files, and the size of the run-root `train_stats.json` (null: none). */
  private async listing(identity: VersionIdentity): Promise<Pick<IdentityRecord, 'files' | 'trainStatsSize'>> {
    const files = (await this.client.artifacts.listFiles(identity.downloadUri)).map((file) => ({
      path: file.path,
      size: sizeOf(file),
    }));
    let trainStatsSize: number | null = null;
    if (identity.runId && !files.some((file) => file.path === TRAIN_STATS_FILE)) {
      const stats = (await this.client.artifacts.list(`runs:/${identity.runId}`)).find(
        (file) => !file.is_dir && file.path.split('/').pop() === TRAIN_STATS_FILE,
      );
      if (stats) trainStatsSize = sizeOf(stats);
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { files, trainStatsSize };
  }

  /**
   * Why the copy at `target` is not the one MLflow describes now ({@link NOT_CACHED} when there is
   * none); `undefined` when it is: its identity record names this server and identity, and its
   * files are exactly the listed ones, each of the listed size.
   */
  private async mismatch(
    target: string,
    identity: VersionIdentity,
    listing: Pick<IdentityRecord, 'files' | 'trainStatsSize'>,
  ): Promise<string | undefined> {
    if (!(await exists(target))) return NOT_CACHED;
    let record: IdentityRecord;
    try {
      record = JSON.parse(await readFile(join(target, IDENTITY_FILE), 'utf8')) as IdentityRecord;
    } catch {
      return `it has no readable ${IDENTITY_FILE}`;
    }
    const expected: Omit<IdentityRecord, 'files' | 'trainStatsSize'> = { trackingUri: this.trackingUri, ...identity };
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
      if ((record[key] ?? undefined) !== (expected[key] ?? undefined))
        return `it was downloaded for ${key} ${JSON.stringify(record[key])}, not ${JSON.stringify(expected[key])}`;
    }
    const onDisk = await listLocalFiles(join(target, MODEL_FOLDER));
    const listed = new Map(listing.files.map((file) => [file.path, file.size]));
    for (const [path, size] of onDisk) {
      const want = listed.get(path);
      if (want === undefined) return `model/${path} is not in MLflow's listing`;
      if (want !== size) return `model/${path} is ${size} bytes; MLflow lists ${want}`;
    }
    for (const path of listed.keys()) if (!onDisk.has(path)) return `model/${path} is missing`;
    const statsSize = await stat(join(target, TRAIN_STATS_FILE)).then(
      (info) => info.size,
      () => null,
    );
    if (statsSize !== listing.trainStatsSize)
      return `${TRAIN_STATS_FILE} is ${statsSize ?? 'absent'} bytes; the run has ${listing.trainStatsSize ?? 'none'}`;
    return undefined;
  }

  private async download(
    target: string,
    identity: VersionIdentity,
    listing: Pick<IdentityRecord, 'files' | 'trainStatsSize'>,
  ): Promise<void> {
    const staging = join(this.root, `.download-${randomBytes(6).toString('hex')}`);
    try {
      const downloaded = await this.client.artifacts.downloadDirectory(
        identity.downloadUri,
        join(staging, MODEL_FOLDER),
      );
      const files = downloaded
        .map((file) => ({ path: file.path, size: file.size }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      if (JSON.stringify(files) !== JSON.stringify(listing.files))
        throw new Error(`the artifacts of ${identity.name} v${identity.version} changed while they were downloaded`);
      if (listing.trainStatsSize !== null && identity.runId)
        await this.client.artifacts.downloadFile(
          `runs:/${identity.runId}/${TRAIN_STATS_FILE}`,
          join(staging, TRAIN_STATS_FILE),
          listing.trainStatsSize,
        );
      const record: IdentityRecord = { trackingUri: this.trackingUri, ...identity, ...listing };
      await writeFile(join(staging, IDENTITY_FILE), `${JSON.stringify(record, null, 2)}\n`);
      await mkdir(join(target, '..'), { recursive: true });
      await this.replace(target, staging, identity, listing);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Puts the staged copy at `target`, moving aside whatever is there. */
  private async replace(
    target: string,
    staging: string,
    identity: VersionIdentity,
    listing: Pick<IdentityRecord, 'files' | 'trainStatsSize'>,
  ): Promise<void> {
    const stale = join(this.root, `.stale-${randomBytes(6).toString('hex')}`);
    try {
      await rename(target, stale).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      try {
        await rename(staging, target);
      } catch (error) {
        // Another process sharing the cache put a copy there first: kept only if it too is the right one.
        if ((await this.mismatch(target, identity, listing)) !== undefined) throw error;
      }
    } finally {
      await rm(stale, { recursive: true, force: true });
    }
  }

  private async describe(target: string): Promise<Pick<CachedVersion, 'dir' | 'modelDir' | 'trainStatsPath'>> {
    const modelDir = join(target, MODEL_FOLDER);
    for (const candidate of [join(target, TRAIN_STATS_FILE), join(modelDir, TRAIN_STATS_FILE)]) {
      if (await exists(candidate)) return { dir: target, modelDir, trainStatsPath: candidate };
    }
    return { dir: target, modelDir, trainStatsPath: undefined };
  }
}

/** {@link ModelCache.mismatch}'s answer when nothing is cached under the key yet. */
const NOT_CACHED = 'not cached';

function sizeOf(file: ArtifactFile): number {
  if (file.file_size === undefined)
    throw new Error(`MLflow listed ${file.path} without a size; the cached copy cannot be checked against it`);
  return Number(file.file_size);
}

/** Files below `dir`, recursively, as `/`-separated paths relative to it, with their sizes. */
async function listLocalFiles(
  dir: string,
  prefix = '',
  into = new Map<string, number>(),
): Promise<Map<string, number>> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await listLocalFiles(join(dir, entry.name), path, into);
    else into.set(path, (await stat(join(dir, entry.name))).size);
  }
  return into;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
