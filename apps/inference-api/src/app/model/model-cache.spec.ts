// The model cache against the test run's real MLflow server: a copy is reused only when it is the
// one MLflow describes now (same server, same version identity, same files and sizes).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowClient, ResourceAlreadyExistsError } from '@churn/mlflow-client';

import { ModelCache, type VersionIdentity } from './model-cache';

const MODEL = 'iapi_model_cache';

/** Logs a run whose `model/` holds `files`, and registers it as a new version of MODEL. */
async function registerVersion(
  client: MlflowClient,
  files: Record<string, string>,
  trainStats?: string,
): Promise<VersionIdentity> {
  const dir = await mkdtemp(join(tmpdir(), 'model-cache-fixture-'));
  try {
    await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
    const { experiment_id } = await client.experiments.getOrCreate('inference-api-model-cache');
    const run = await client.runs.create({ experiment_id });
    const runId = run.info.run_id;
    await client.artifacts.uploadDirectory(dir, await client.artifacts.runArtifactUri(runId, 'model'));
    if (trainStats !== undefined) {
      await writeFile(join(dir, 'train_stats.json'), trainStats);
      await client.artifacts.uploadFile(
        join(dir, 'train_stats.json'),
        await client.artifacts.runArtifactUri(runId, 'train_stats.json'),
      );
    }
    await client.registeredModels.create({ name: MODEL }).catch((error: unknown) => {
      if (!(error instanceof ResourceAlreadyExistsError)) throw error;
    });
    const created = await client.modelVersions.create({
      name: MODEL,
      source: await client.artifacts.runArtifactUri(runId, 'model'),
      run_id: runId,
    });
    const version = await client.modelVersions.waitUntilReady({ name: MODEL, version: created.version });
    return {
      name: MODEL,
      version: version.version,
      runId,
      source: version.source,
      downloadUri: await client.modelVersions.getDownloadUri({ name: MODEL, version: version.version }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('ModelCache (real MLflow)', () => {
  const trackingUri = process.env['MLFLOW_TRACKING_URI'] as string;
  const client = new MlflowClient({ trackingUri });
  let root: string;
  let v1: VersionIdentity;

  beforeAll(async () => {
    v1 = await registerVersion(client, { MLmodel: 'flavors: {}\n', 'model.onnx': 'first model' }, '{"n": 1}');
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'model-cache-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('downloads a version once, then reuses the copy while it matches MLflow', async () => {
    const cache = new ModelCache(client, root, 5);
    const first = await cache.ensure(v1);
    expect(first).toMatchObject({ downloaded: true, dir: cache.versionDir(v1) });
    expect(await readFile(join(first.modelDir, 'model.onnx'), 'utf8')).toBe('first model');
    expect(await readFile(first.trainStatsPath as string, 'utf8')).toBe('{"n": 1}');
    const second = await cache.ensure(v1);
    expect(second.downloaded).toBe(false);
    expect(second.note).toMatch(/reused the cached copy .*2 files match/);
  });

  it('keeps the copies of another tracking server, or another identity of the same version number, apart', async () => {
    const cache = new ModelCache(client, root, 5);
    // The same server under another address counts as another server: the cache cannot tell them apart.
    const other = new ModelCache(
      new MlflowClient({ trackingUri: trackingUri.replace('127.0.0.1', 'localhost') }),
      root,
      5,
    );
    expect(other.versionDir(v1)).not.toBe(cache.versionDir(v1));
    expect(cache.versionDir({ ...v1, runId: 'another-run' })).not.toBe(cache.versionDir(v1));
    expect(cache.versionDir({ ...v1, source: `${v1.source}-restored` })).not.toBe(cache.versionDir(v1));
    expect(cache.versionDir({ ...v1, downloadUri: `${v1.downloadUri}/x` })).not.toBe(cache.versionDir(v1));
    await cache.ensure(v1);
    expect((await other.ensure(v1)).downloaded).toBe(true);
  });

  it('downloads again when a file on disk differs in size from the listing, and serves MLflow’s bytes', async () => {
    const cache = new ModelCache(client, root, 5);
    const { modelDir } = await cache.ensure(v1);
    await writeFile(join(modelDir, 'model.onnx'), 'another model of a different size');
    const again = await cache.ensure(v1);
    expect(again.downloaded).toBe(true);
    expect(again.note).toMatch(/model\/model\.onnx is 33 bytes; MLflow lists 11/);
    expect(await readFile(join(again.modelDir, 'model.onnx'), 'utf8')).toBe('first model');
    expect((await cache.ensure(v1)).downloaded).toBe(false);
  });

  it('downloads again when a file is missing, extra, or train_stats.json differs', async () => {
    const cache = new ModelCache(client, root, 5);
    const { modelDir, dir } = await cache.ensure(v1);
    await rm(join(modelDir, 'MLmodel'));
    expect((await cache.ensure(v1)).note).toMatch(/model\/MLmodel is missing/);
    await writeFile(join(modelDir, 'extra.bin'), 'x');
    expect((await cache.ensure(v1)).note).toMatch(/model\/extra\.bin is not in MLflow's listing/);
    await writeFile(join(dir, 'train_stats.json'), '{}');
    expect((await cache.ensure(v1)).note).toMatch(/train_stats\.json is 2 bytes; the run has 8/);
  });

  it('does not trust a folder without its identity record, or one recorded for another server', async () => {
    const cache = new ModelCache(client, root, 5);
    const { dir } = await cache.ensure(v1);
    const record = JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ trackingUri, name: MODEL, version: v1.version, runId: v1.runId, source: v1.source });
    await writeFile(join(dir, 'identity.json'), JSON.stringify({ ...record, trackingUri: 'http://prod:5000' }));
    expect((await cache.ensure(v1)).note).toMatch(/downloaded for trackingUri "http:\/\/prod:5000"/);
    await rm(join(dir, 'identity.json'));
    expect((await cache.ensure(v1)).note).toMatch(/no readable identity\.json/);
    expect((await cache.ensure(v1)).downloaded).toBe(false);
  });

  it('evicts the least recently used copies beyond the limit, never one in use', async () => {
    const v2 = await registerVersion(client, { MLmodel: 'flavors: {}\n', 'model.onnx': 'second' });
    const cache = new ModelCache(client, root, 1);
    const first = await cache.ensure(v1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await cache.ensure(v2);
    expect(await cache.evict(new Set([first.dir]))).toEqual([]);
    expect(await cache.evict(new Set())).toEqual([first.dir]);
    expect((await cache.ensure(v2)).downloaded).toBe(false);
    expect(second.trainStatsPath).toBeUndefined();
  });
});
