// Experiments and runs against the suite's real MLflow server, read back by MLflow's Python client.
import {
  InvalidParameterValueError,
  LOG_BATCH_LIMITS,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
  tagsToRecord,
  type Run,
} from '../../src';
import { readBack, testClient, uniqueName } from '../support';

interface RunReadBack {
  run_id: string;
  experiment_id: string;
  run_name: string;
  status: string;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number>;
  metric_history: Record<string, Array<{ value: number; step: number; timestamp: number }>>;
}

describe('experiments', () => {
  const client = testClient();

  it('creates, gets by name and by id, and refuses a duplicate name with ResourceAlreadyExistsError', async () => {
    const name = uniqueName('exp');
    const id = await client.experiments.create({ name, tags: { team: 'churn' } });
    const byName = await client.experiments.getByName(name);
    expect(byName).toMatchObject({ experiment_id: id, name, lifecycle_stage: 'active' });
    expect(tagsToRecord(byName.tags)).toMatchObject({ team: 'churn' });
    expect((await client.experiments.get(id)).name).toBe(name);
    await expect(client.experiments.create({ name })).rejects.toBeInstanceOf(ResourceAlreadyExistsError);
  });

  it('getOrCreate creates once even when several callers race', async () => {
    const name = uniqueName('exp-race');
    const results = await Promise.all(Array.from({ length: 5 }, () => client.experiments.getOrCreate(name)));
    expect(new Set(results.map((e) => e.experiment_id)).size).toBe(1);
    expect((await client.experiments.getOrCreate(name)).experiment_id).toBe(results[0].experiment_id);
  });

  it('sets an experiment tag and finds the experiments carrying it, page by page', async () => {
    const marker = uniqueName('marker');
    const tagged = [];
    for (let i = 0; i < 3; i++) {
      const id = (await client.experiments.getOrCreate(uniqueName('exp-tagged'))).experiment_id;
      await client.experiments.setTag({ experiment_id: id, key: 'test.marker', value: marker });
      tagged.push(id);
    }
    await client.experiments.getOrCreate(uniqueName('exp-untagged'));
    const filter = `tags.\`test.marker\` = '${marker}'`;
    const found = await client.experiments.search({ filter, max_results: 2 }).toArray();
    expect(found.map((e) => e.experiment_id).sort()).toEqual([...tagged].sort());
    expect(tagsToRecord(found[0].tags)).toMatchObject({ 'test.marker': marker });
    // Without max_results too (MLflow's REST API alone would refuse it).
    const all = await client.experiments.search({ filter }).toArray();
    expect(all.map((e) => e.experiment_id).sort()).toEqual([...tagged].sort());
    const first = await client.experiments.searchPage({ filter, max_results: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.next_page_token).toBeTruthy();
    await expect(
      client.experiments.setTag({ experiment_id: '987654321', key: 'k', value: 'v' }),
    ).rejects.toBeInstanceOf(ResourceDoesNotExistError);
  });
});

describe('runs', () => {
  const client = testClient();
  let experimentId: string;

  beforeAll(async () => {
    experimentId = (await client.experiments.getOrCreate(uniqueName('runs'))).experiment_id;
  });

  it('creates, logs, tags and finishes a run; MLflow’s Python client reads back the same values', async () => {
    const start = Date.now() - 5_000;
    const run = await client.runs.create({
      experiment_id: experimentId,
      run_name: 'train',
      start_time: start,
      tags: { source: 'test' },
    });
    const runId = run.info.run_id;
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/${runId}/artifacts`);

    await client.runs.logParameter({ run_id: runId, key: 'seed', value: '42' });
    // Logging the same value again is allowed (and why log-parameter may be retried); a different one is not.
    await client.runs.logParameter({ run_id: runId, key: 'seed', value: '42' });
    await expect(client.runs.logParameter({ run_id: runId, key: 'seed', value: '7' })).rejects.toBeInstanceOf(
      InvalidParameterValueError,
    );
    await client.runs.logMetric({ run_id: runId, key: 'loss', value: 0.5, step: 0, timestamp: start + 1 });
    await client.runs.logMetric({ run_id: runId, key: 'loss', value: 0.25, step: 1, timestamp: start + 2 });
    await client.runs.setTag({ run_id: runId, key: 'stage', value: 'fit' });
    const end = Date.now();
    const info = await client.runs.update({ run_id: runId, status: 'FINISHED', end_time: end });
    expect(info.status).toBe('FINISHED');

    const got = await client.runs.get(runId);
    expect(tagsToRecord(got.data.tags)).toMatchObject({ source: 'test', stage: 'fit' });

    const read = await readBack<RunReadBack>('run', runId);
    expect(read).toMatchObject({
      run_id: runId,
      experiment_id: experimentId,
      run_name: 'train',
      status: 'FINISHED',
      start_time: start,
      end_time: end,
    });
    expect(read.params).toEqual({ seed: '42' });
    expect(read.tags).toMatchObject({ source: 'test', stage: 'fit' });
    expect(read.metric_history['loss']).toEqual([
      { value: 0.5, step: 0, timestamp: start + 1 },
      { value: 0.25, step: 1, timestamp: start + 2 },
    ]);
  });

  it('logBatch splits beyond MLflow’s per-call limits and every entity arrives', async () => {
    const runId = (await client.runs.create({ experiment_id: experimentId })).info.run_id;
    // More of each kind than one call may carry: 1500 metrics, 150 params, 120 tags.
    const metrics = Array.from({ length: LOG_BATCH_LIMITS.metrics + 500 }, (_, step) => ({
      key: 'curve',
      value: step / 10,
      step,
      timestamp: 1_700_000_000_000 + step,
    }));
    const params = Object.fromEntries(
      Array.from({ length: LOG_BATCH_LIMITS.params + 50 }, (_, i) => [`p${i}`, `v${i}`]),
    );
    const tags = Object.fromEntries(Array.from({ length: LOG_BATCH_LIMITS.tags + 20 }, (_, i) => [`t${i}`, `w${i}`]));
    const metricsBefore = structuredClone(metrics);
    await client.runs.logBatch({ run_id: runId, metrics, params, tags });
    expect(metrics).toEqual(metricsBefore);

    const read = await readBack<RunReadBack>('run', runId);
    expect(read.params).toEqual(params);
    expect(read.tags).toMatchObject(tags);
    expect(read.metric_history['curve']).toHaveLength(metrics.length);
    expect(read.metric_history['curve'].map((m) => m.step)).toEqual(metrics.map((m) => m.step));
    expect(read.metric_history['curve'][1499]).toEqual({ value: 149.9, step: 1499, timestamp: 1_700_000_001_499 });
  });

  it('search follows next_page_token across several real pages, with filter and order', async () => {
    const experiment = (await client.experiments.getOrCreate(uniqueName('search'))).experiment_id;
    for (let i = 0; i < 7; i++) {
      const runId = (await client.runs.create({ experiment_id: experiment, run_name: `r${i}` })).info.run_id;
      await client.runs.logMetric({ run_id: runId, key: 'score', value: i });
    }
    const search = client.runs.search({
      experiment_ids: [experiment],
      filter: 'metrics.score >= 2',
      order_by: ['metrics.score DESC'],
      max_results: 2,
    });
    const pages: Run[][] = [];
    for await (const page of search.pages()) pages.push(page.items);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const names: string[] = [];
    for await (const run of search) names.push(run.info.run_name ?? '');
    expect(names).toEqual(['r6', 'r5', 'r4', 'r3', 'r2']);

    const first = await client.runs.searchPage({ experiment_ids: [experiment], max_results: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.next_page_token).toBeTruthy();
    const second = await client.runs.searchPage({
      experiment_ids: [experiment],
      max_results: 3,
      page_token: first.next_page_token,
    });
    expect(second.items.map((r) => r.info.run_id)).not.toContain(first.items[0].info.run_id);
  });
});
