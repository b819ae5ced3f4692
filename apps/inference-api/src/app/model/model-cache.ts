/**
 * The local copy of model versions: `<root>/<name>/<version>/model/…` (the whole MLflow Model
 * directory) and, beside it, `train_stats.json` when the run logged one at its root.
 *
 * Keyed by name and version, never by alias (the seed's bug: an alias-keyed cache kept serving the
 * old model after a rollback). A version is downloaded into a temporary folder, every file's size
 * checked against the artifact listing, then renamed into place, so a folder under its final name is
 * always complete, also for another replica sharing the folder. At most `maxVersions` are kept;
 * the least recently used go first, never one that is in use.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';

import type { MlflowClient } from '@churn/mlflow-client';

export interface CachedVersion {
  /** The MLflow Model directory. */
  modelDir: string;
  /** `train_stats.json` of the run, when it has one. */
  trainStatsPath: string | undefined;
  /** True when this call downloaded it, false when it was already cached. */
  downloaded: boolean;
}

const MODEL_FOLDER = 'model';
const TRAIN_STATS_FILE = 'train_stats.json';

export class ModelCache {
  constructor(
    private readonly client: MlflowClient,
    readonly root: string,
    private readonly maxVersions: number,
  ) {}

  versionDir(name: string, version: string): string {
    return join(this.root, encodeURIComponent(name), encodeURIComponent(version));
  }

  /**
   * The local copy of a version, downloading it when absent.
   * @param downloadUri the version's artifact location (`model-versions/get-download-uri`)
   * @param runId the version's run, whose root may hold `train_stats.json`
   * @throws MlflowError (including ArtifactSizeMismatchError) when the download fails
   */
  async ensure(name: string, version: string, downloadUri: string, runId: string | undefined): Promise<CachedVersion> {
    const target = this.versionDir(name, version);
    if (!(await exists(join(target, MODEL_FOLDER)))) {
      await this.download(target, downloadUri, runId);
      return { ...(await this.describe(target)), downloaded: true };
    }
    const now = new Date();
    await utimes(target, now, now).catch(() => undefined);
    return { ...(await this.describe(target)), downloaded: false };
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

  private async download(target: string, downloadUri: string, runId: string | undefined): Promise<void> {
    const staging = join(this.root, `.download-${randomBytes(6).toString('hex')}`);
    try {
      await this.client.artifacts.downloadDirectory(downloadUri, join(staging, MODEL_FOLDER));
      const besideModel = await exists(join(staging, MODEL_FOLDER, TRAIN_STATS_FILE));
      if (!besideModel && runId) {
        const listing = await this.client.artifacts.list(`runs:/${runId}`);
        const stats = listing.find((file) => !file.is_dir && file.path.split('/').pop() === TRAIN_STATS_FILE);
        if (stats)
          await this.client.artifacts.downloadFile(
            `runs:/${runId}/${TRAIN_STATS_FILE}`,
            join(staging, TRAIN_STATS_FILE),
            stats.file_size,
          );
      }
      await mkdir(join(target, '..'), { recursive: true });
      try {
        await rename(staging, target);
      } catch (error) {
        // Another process sharing the cache finished the same version first: its copy is complete.
        if (!(await exists(join(target, MODEL_FOLDER)))) throw error;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async describe(target: string): Promise<Omit<CachedVersion, 'downloaded'>> {
    const modelDir = join(target, MODEL_FOLDER);
    for (const candidate of [join(target, TRAIN_STATS_FILE), join(modelDir, TRAIN_STATS_FILE)]) {
      if (await exists(candidate)) return { modelDir, trainStatsPath: candidate };
    }
    return { modelDir, trainStatsPath: undefined };
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
