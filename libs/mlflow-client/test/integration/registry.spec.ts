// Registered models, versions and aliases against the real server, read back by MLflow's Python client.
import {
  AliasNotFoundError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  tagsToRecord,
  type ModelVersion,
} from '../../src';
import { readBack, testClient, uniqueName } from '../support';

interface ModelReadBack {
  name: string;
  description: string;
  tags: Record<string, string>;
  aliases: Record<string, string>;
  versions: Array<{
    version: string;
    source: string;
    run_id: string;
    status: string;
    description: string;
    tags: Record<string, string>;
  }>;
}

describe('registry', () => {
  const client = testClient();
  const name = uniqueName('churn_model');
  let runId: string;
  let source: string;

  beforeAll(async () => {
    const experimentId = (await client.experiments.getOrCreate(uniqueName('registry'))).experiment_id;
    const run = await client.runs.create({ experiment_id: experimentId });
    runId = run.info.run_id;
    source = `${run.info.artifact_uri}/model`;
    await client.registeredModels.create({ name, description: 'first', tags: { owner: 'tests' } });
    for (let i = 1; i <= 5; i++) {
      const created = await client.modelVersions.create({
        name,
        source,
        run_id: runId,
        tags: { f1: `0.${i}` },
        description: `v${i}`,
      });
      await client.modelVersions.waitUntilReady(
        { name, version: created.version },
        { timeoutMs: 30_000, pollIntervalMs: 100 },
      );
    }
  });

  it('manages the registered model: get, description, tags, duplicate refused', async () => {
    await expect(client.registeredModels.create({ name })).rejects.toBeInstanceOf(ResourceAlreadyExistsError);
    expect((await client.registeredModels.updateDescription({ name, description: 'second' })).description).toBe(
      'second',
    );
    await client.registeredModels.setTag({ name, key: 'traffic.challenger_share', value: '0.2' });
    await client.registeredModels.setTag({ name, key: 'doomed', value: 'x' });
    await client.registeredModels.deleteTag({ name, key: 'doomed' });
    const model = await client.registeredModels.get(name);
    expect(tagsToRecord(model.tags)).toEqual({ owner: 'tests', 'traffic.challenger_share': '0.2' });
  });

  it('registers versions that MLflow reads back with the model’s description and tags, and sets/deletes version tags', async () => {
    const version = await client.modelVersions.get({ name, version: '3' });
    expect(version).toMatchObject({ name, version: '3', source, run_id: runId, status: 'READY', description: 'v3' });
    await client.modelVersions.setTag({ name, version: '3', key: 'gate_passed', value: 'true' });
    await client.modelVersions.setTag({ name, version: '3', key: 'tmp', value: '1' });
    await client.modelVersions.deleteTag({ name, version: '3', key: 'tmp' });
    expect(await client.modelVersions.getDownloadUri({ name, version: '3' })).toBe(source);

    const read = await readBack<ModelReadBack>('model', name);
    expect(read).toMatchObject({
      name,
      description: 'second',
      tags: { owner: 'tests', 'traffic.challenger_share': '0.2' },
    });
    expect(read.versions.map((v) => v.version)).toEqual(['1', '2', '3', '4', '5']);
    expect(read.versions[2]).toEqual({
      version: '3',
      source,
      run_id: runId,
      status: 'READY',
      description: 'v3',
      tags: { f1: '0.3', gate_passed: 'true' },
    });
  });

  it('sets, moves, reads and deletes aliases; a missing alias is AliasNotFoundError', async () => {
    await client.registeredModels.setAlias({ name, alias: 'production', version: '2' });
    await client.registeredModels.setAlias({ name, alias: 'challenger', version: '2' });
    await client.registeredModels.setAlias({ name, alias: 'production', version: '4' });
    expect((await client.modelVersions.getByAlias({ name, alias: 'production' })).version).toBe('4');
    expect((await client.registeredModels.get(name)).aliases).toEqual(
      expect.arrayContaining([
        { alias: 'production', version: '4' },
        { alias: 'challenger', version: '2' },
      ]),
    );

    await client.registeredModels.deleteAlias({ name, alias: 'challenger' });
    const missing = client.modelVersions.getByAlias({ name, alias: 'challenger' });
    await expect(missing).rejects.toBeInstanceOf(AliasNotFoundError);
    await expect(missing).rejects.toBeInstanceOf(ResourceDoesNotExistError);
    await expect(missing).rejects.toMatchObject({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      modelName: name,
      alias: 'challenger',
    });
    expect((await readBack<ModelReadBack>('model', name)).aliases).toEqual({ production: '4' });
  });

  it('searches versions across several real pages and fills in the aliases MLflow’s search leaves empty', async () => {
    await client.registeredModels.setAlias({ name, alias: 'production', version: '4' });
    await client.registeredModels.setAlias({ name, alias: 'staging', version: '4' });
    await client.registeredModels.setAlias({ name, alias: 'champion', version: '1' });
    const search = client.modelVersions.search({
      filter: `name='${name}'`,
      order_by: ['version_number ASC'],
      max_results: 2,
    });
    const pageSizes: number[] = [];
    for await (const page of search.pages()) pageSizes.push(page.items.length);
    expect(pageSizes).toEqual([2, 2, 1]);
    const versions: ModelVersion[] = [];
    for await (const v of search) versions.push(v);
    expect(versions.map((v) => [v.version, [...(v.aliases ?? [])].sort()])).toEqual([
      ['1', ['champion']],
      ['2', []],
      ['3', []],
      ['4', ['production', 'staging']],
      ['5', []],
    ]);
    const filtered = await client.modelVersions.search({ filter: `name='${name}' and tag.f1='0.5'` }).toArray();
    expect(filtered.map((v) => v.version)).toEqual(['5']);
  });

  it('searches registered models page by page', async () => {
    const prefix = uniqueName('rm-search');
    for (let i = 0; i < 3; i++) await client.registeredModels.create({ name: `${prefix}-${i}` });
    const search = client.registeredModels.search({
      filter: `name LIKE '${prefix}-%'`,
      order_by: ['name ASC'],
      max_results: 2,
    });
    const pages: string[][] = [];
    for await (const page of search.pages()) pages.push(page.items.map((m) => m.name));
    expect(pages).toEqual([[`${prefix}-0`, `${prefix}-1`], [`${prefix}-2`]]);
  });

  it('resolves models:/ URIs by alias and by version', async () => {
    await client.registeredModels.setAlias({ name, alias: 'production', version: '4' });
    expect(await client.modelVersions.resolveModelUri(`models:/${name}@production`)).toMatchObject({
      name,
      version: '4',
      alias: 'production',
      download_uri: source,
    });
    const byVersion = await client.modelVersions.resolveModelUri(`models:/${name}/2`);
    expect(byVersion).toMatchObject({ name, version: '2', download_uri: source, model_version: { description: 'v2' } });
    expect(byVersion.alias).toBeUndefined();
    await expect(client.modelVersions.resolveModelUri(`models:/${name}@nobody`)).rejects.toBeInstanceOf(
      AliasNotFoundError,
    );
    await expect(client.modelVersions.resolveModelUri(`models:/${name}/99`)).rejects.toBeInstanceOf(
      ResourceDoesNotExistError,
    );
  });

  it('deletes a version', async () => {
    await client.modelVersions.delete({ name, version: '5' });
    await expect(client.modelVersions.get({ name, version: '5' })).rejects.toBeInstanceOf(ResourceDoesNotExistError);
    expect((await readBack<ModelReadBack>('model', name)).versions.map((v) => v.version)).toEqual(['1', '2', '3', '4']);
  });
});
