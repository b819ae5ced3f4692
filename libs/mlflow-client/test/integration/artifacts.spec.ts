// Artifacts through the real server's proxy: binary files and nested directories written by us,
// read back by MLflow's Python client, and downloaded again by us.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MlflowArgumentError, ResourceDoesNotExistError } from '../../src';
import { readBack, testClient, uniqueName } from '../support';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('artifacts', () => {
  const client = testClient();
  const work = mkdtempSync(join(tmpdir(), 'mlflow-client-artifacts-'));
  let runId: string;
  let artifactUri: string;
  // Every byte value, plus a file big enough to stream in many chunks (3 MiB).
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const large = randomBytes(3 * 1024 * 1024);
  const tree: Record<string, Buffer> = {
    MLmodel: Buffer.from('flavors:\n  onnx: {}\n'),
    'model.onnx': large,
    'nested/deeper/bytes.bin': binary,
    'nested/with space & plus+ü.txt': Buffer.from('odd name'),
  };

  beforeAll(async () => {
    const experimentId = (await client.experiments.getOrCreate(uniqueName('artifacts'))).experiment_id;
    const run = await client.runs.create({ experiment_id: experimentId });
    runId = run.info.run_id;
    artifactUri = run.info.artifact_uri;
    const modelDir = join(work, 'model');
    for (const [path, data] of Object.entries(tree)) {
      mkdirSync(join(modelDir, path, '..'), { recursive: true });
      writeFileSync(join(modelDir, path), data);
    }
    writeFileSync(join(work, 'stats.json'), '{"rows": 7043}');
    expect(await client.artifacts.logDirectory({ run_id: runId, local_dir: modelDir, artifact_path: 'model' })).toEqual(
      Object.keys(tree).sort(),
    );
    expect(await client.artifacts.logFile({ run_id: runId, local_path: join(work, 'stats.json') })).toBe(
      `${artifactUri}/stats.json`,
    );
  });

  afterAll(() => rm(work, { recursive: true, force: true }));

  it('MLflow’s Python client downloads exactly the bytes we uploaded', async () => {
    const read = await readBack<{ files: Record<string, { sha256: string; size: number }> }>(
      'artifacts',
      runId,
      join(work, 'python-download'),
    );
    const expected = Object.fromEntries([
      ...Object.entries(tree).map(([path, data]) => [`model/${path}`, { sha256: sha256(data), size: data.length }]),
      ['stats.json', { sha256: sha256(Buffer.from('{"rows": 7043}')), size: 14 }],
    ]);
    expect(read.files).toEqual(expected);
  });

  it('lists a level and lists files recursively, by mlflow-artifacts: and runs: URIs', async () => {
    expect(await client.artifacts.list(artifactUri)).toEqual([
      { path: 'model', is_dir: true },
      { path: 'stats.json', is_dir: false, file_size: 14 },
    ]);
    const files = await client.artifacts.listFiles(`runs:/${runId}/model`);
    expect(files.map((f) => [f.path, f.file_size])).toEqual(
      Object.entries(tree)
        .map(([path, data]) => [path, data.length])
        .sort(),
    );
    expect(await client.artifacts.list(`runs:/${runId}/nothing-here`)).toEqual([]);
  });

  it('downloads a directory recursively with the layout and sizes intact', async () => {
    const dest = join(work, 'download');
    const downloaded = await client.artifacts.downloadDirectory(`${artifactUri}/model`, dest);
    expect(downloaded.map((f) => f.path).sort()).toEqual(Object.keys(tree).sort());
    for (const [path, data] of Object.entries(tree)) {
      expect(sha256(readFileSync(join(dest, ...path.split('/'))))).toBe(sha256(data));
    }
    // The host form of the URI maps to the same proxy path.
    const viaHost = `mlflow-artifacts://mlflow.example:5000/${artifactUri.slice('mlflow-artifacts:/'.length)}/model/nested`;
    const nested = await client.artifacts.downloadDirectory(viaHost, join(work, 'nested'));
    expect(nested.map((f) => f.path).sort()).toEqual(['deeper/bytes.bin', 'with space & plus+ü.txt']);
  });

  it('downloads single files and reads small ones', async () => {
    const target = join(work, 'one', 'bytes.bin');
    expect(
      await client.artifacts.downloadFile(`runs:/${runId}/model/nested/deeper/bytes.bin`, target, binary.length),
    ).toBe(256);
    expect(readFileSync(target).equals(binary)).toBe(true);
    expect((await client.artifacts.readBytes(`${artifactUri}/stats.json`)).toString()).toBe('{"rows": 7043}');
  });

  it('reports missing artifacts and unsupported URIs with typed errors', async () => {
    await expect(
      client.artifacts.downloadDirectory(`runs:/${runId}/absent`, join(work, 'absent')),
    ).rejects.toBeInstanceOf(ResourceDoesNotExistError);
    await expect(client.artifacts.readBytes(`${artifactUri}/absent.txt`)).rejects.toMatchObject({
      name: 'ResourceDoesNotExistError',
      status: 404,
    });
    await expect(client.artifacts.list('s3://bucket/x')).rejects.toBeInstanceOf(MlflowArgumentError);
    await expect(client.artifacts.list(`${artifactUri}/../other`)).rejects.toBeInstanceOf(MlflowArgumentError);
  });
});
