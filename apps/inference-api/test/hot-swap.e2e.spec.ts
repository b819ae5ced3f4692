import type { ModelVersion } from '@churn/mlflow-client';

import { ADMIN_TOKEN, postJson, startApp, waitForVersion, type RunningApp } from './support/app-harness';
import {
  fixtureSource,
  mlflowClient,
  registerCorruptVersion,
  registerTrainedVersion,
  telcoCustomers,
} from './support/model-fixtures';

const MODEL = 'iapi_swap';
const CONCURRENCY = 8;
const MOVES = 6;

interface Move {
  from: string;
  to: string;
  startedAt: number;
  /** When the app confirmed it serves `to` (admin reload answered). */
  doneAt: number;
}

describe(`hot swap (versions from the ${fixtureSource()})`, () => {
  const client = mlflowClient();
  let app: RunningApp;
  let a: ModelVersion;
  let b: ModelVersion;
  let customers: Record<string, string | number | null>[];
  const reload = () =>
    postJson(
      `${app.internalUrl}/admin/reload`,
      { name: MODEL, alias: 'production' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );

  beforeAll(async () => {
    a = await registerTrainedVersion(client, MODEL, 11);
    b = await registerTrainedVersion(client, MODEL, 12);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: a.version });
    customers = await telcoCustomers(10);
    app = await startApp({ MODEL_NAME: MODEL, POLL_INTERVAL_MS: '200' });
    await waitForVersion(app, a.version);
  }, 120_000);

  afterAll(() => app?.close());

  it('moves the alias back and forth under concurrent requests: none fails, each names a version live while it ran', async () => {
    const moves: Move[] = [];
    const responses: { sentAt: number; receivedAt: number; status: number; version: string | undefined }[] = [];
    let stop = false;
    const worker = async (id: number) => {
      for (let i = 0; !stop; i++) {
        const sentAt = performance.now();
        const response = await postJson(`${app.url}/predict`, customers[(id + i) % customers.length]);
        responses.push({
          sentAt,
          receivedAt: performance.now(),
          status: response.status,
          version: response.json.model?.version,
        });
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, (_, id) => worker(id));
    let live = a.version;
    for (let move = 0; move < MOVES; move++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const to = live === a.version ? b.version : a.version;
      const startedAt = performance.now();
      await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: to });
      const answer = await reload();
      expect(answer.json.slots[0].version).toBe(to);
      moves.push({ from: live, to, startedAt, doneAt: performance.now() });
      live = to;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    stop = true;
    await Promise.all(workers);

    const liveDuring = (sentAt: number, receivedAt: number): Set<string> => {
      const allowed = new Set<string>();
      const before = [...moves].reverse().find((move) => move.doneAt <= sentAt);
      allowed.add(before ? before.to : a.version);
      for (const move of moves)
        if (move.startedAt <= receivedAt && move.doneAt >= sentAt) allowed.add(move.from).add(move.to);
      return allowed;
    };
    const failed = responses.filter((response) => response.status !== 200);
    expect(failed).toEqual([]);
    const wrong = responses.filter(
      (response) => !liveDuring(response.sentAt, response.receivedAt).has(response.version ?? ''),
    );
    expect(wrong).toEqual([]);
    const served = new Set(responses.map((response) => response.version));
    expect(served).toEqual(new Set([a.version, b.version]));
    expect(responses.length).toBeGreaterThan(MOVES * CONCURRENCY);
  });

  it('never swaps in a corrupt model.onnx: the previous version keeps serving and /ready shows the failure', async () => {
    const good = (await postJson(`${app.url}/predict`, customers[0])).json.model.version as string;
    const corrupt = await registerCorruptVersion(client, MODEL);
    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: corrupt.version });
    const answer = await reload();
    expect(answer.status).toBe(200);
    expect(answer.json.slots[0]).toMatchObject({
      version: good,
      alias_version: corrupt.version,
      state: 'ready',
      last_error: { version: corrupt.version, stage: 'session' },
    });

    const predict = await postJson(`${app.url}/predict`, customers[0]);
    expect(predict.status).toBe(200);
    expect(predict.json.model.version).toBe(good);
    const ready = await fetch(`${app.url}/ready`);
    expect(ready.status).toBe(200);
    const details = (await ready.json()) as { slots: { last_error: { message: string; retry_at: string } }[] };
    expect(details.slots[0].last_error.message).toMatch(new RegExp(`^${MODEL} v${corrupt.version}: `));

    // Polls (every 200 ms) and further pushes within the back-off do not try the broken version again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await reload();
    const metrics = await (await fetch(`${app.internalUrl}/metrics`)).text();
    expect(metrics).toContain(
      `inference_model_load_failures_total{name="${MODEL}",alias="production",version="${corrupt.version}",stage="session"} 1`,
    );

    await client.registeredModels.setAlias({ name: MODEL, alias: 'production', version: good });
    const back = await reload();
    expect(back.json.slots[0]).toMatchObject({ version: good, last_error: null });
  });
});
