import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { MlflowClient } from '@churn/mlflow-client';

import { registerFailingCopy } from './support/failing-candidate';
import { killGroup, MlflowServer, stopWithThisProcess } from './support/mlflow-server';
import {
  freePort,
  runToCompletion,
  startProcess,
  waitUntilAnswering,
  workspaceRoot,
  type TestProcess,
} from './support/processes';

// Staged rollouts (#19) across real processes: one MLflow, versions trained by the training-worker
// command line, two built inference-api replicas sharing one SQLite prediction log, and registry-admin
// driving the rollouts, while this test keeps calling /predict on both replicas (with and without a
// user id) and counts every answer that is not 200.

const MODEL = 'churn_model';
const ALIAS = 'production';
const TELCO_CSV = resolve(workspaceRoot, 'libs/churn-pipeline/data/telco-customer-churn.csv');
const app = (name: string) => join(workspaceRoot, 'dist/apps', name, 'main.js');

interface RolloutJson {
  id: string;
  status: string;
  ended_because: string | null;
  candidate_version: string;
  champion_version: string;
  step_results: {
    index: number;
    share: number;
    outcome: string;
    windows: { decision: string; verdicts: { guard: string; status: string }[] }[];
  }[];
}

interface AuditRecordJson {
  alias: string;
  action: string;
  from_version: string | null;
  to_version: string | null;
  reason: string | null;
  outcome: string;
  recorded_at: string;
  rollout: ({ rollout_id: string; event: string } & Record<string, unknown>) | null;
}

/** Customers from the Telco data, as the API takes them (the label and id left out). */
function telcoCustomers(count: number): Record<string, unknown>[] {
  const [header, ...rows] = readFileSync(TELCO_CSV, 'utf8').trim().split('\n');
  const names = header.split(',');
  const numeric = new Set(['SeniorCitizen', 'tenure', 'MonthlyCharges', 'TotalCharges']);
  return rows.slice(0, count).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(
      names
        .map((name, index): [string, unknown] => {
          const cell = cells[index];
          if (!numeric.has(name)) return [name, cell];
          return [name, cell.trim() === '' ? null : Number(cell)];
        })
        .filter(([name]) => name !== 'Churn' && name !== 'customerID'),
    );
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`,
  );
}

/** Steady /predict traffic on every replica: half of it with a user id from a large pool, half anonymous. */
class MixedLoad {
  readonly failures: string[] = [];
  readonly versions = new Map<string, number>();
  sent = 0;
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly replicas: () => string[],
    private readonly customers: Record<string, unknown>[],
  ) {}

  start(): void {
    this.running = true;
    this.workers = Array.from({ length: 4 }, (_, worker) => this.work(worker));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async work(worker: number): Promise<void> {
    // A hard cap, so a forgotten stop cannot flood a shared machine.
    while (this.running && this.sent < 200_000) {
      const index = this.sent++;
      const replicas = this.replicas();
      const url = replicas[(index + worker) % replicas.length];
      const body: Record<string, unknown> = { ...this.customers[index % this.customers.length] };
      if (index % 2 === 0) body['user_id'] = `user-${Math.floor(Math.random() * 100_000)}`;
      try {
        const response = await fetch(`${url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.status !== 200) this.failures.push(`${url} ${response.status}: ${text.slice(0, 300)}`);
        else {
          const version = (JSON.parse(text) as { model: { version: string } }).model.version;
          this.versions.set(version, (this.versions.get(version) ?? 0) + 1);
        }
      } catch (error) {
        this.failures.push(`${url}: ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

describe('staged rollouts driven by registry-admin across two inference-api replicas under load', () => {
  let workDir: string;
  let mlflow: MlflowServer;
  let client: MlflowClient;
  let registryAdmin: TestProcess;
  let registryAdminUrl = '';
  /** A second registry-admin on the same MLflow, for the lease tests. */
  let standby: TestProcess | undefined;
  const replicas: { url: string; internalUrl: string; process: TestProcess }[] = [];
  const adminToken = randomBytes(18).toString('base64url');
  const deployerToken = randomBytes(18).toString('base64url');
  // The replicas' business reads need the viewer role: registry-admin reads their reports with it.
  const viewerToken = randomBytes(18).toString('base64url');
  let load: MixedLoad;
  /** Versions: v1 and v2 trained on the real labels (seeds 1, 2), v3 on flipped labels. */
  const good = '2';
  const bad = '3';

  const sharedEnv = (): NodeJS.ProcessEnv => ({
    MLFLOW_TRACKING_URI: mlflow.url,
    MODEL_NAME: MODEL,
    MODEL_ALIAS: ALIAS,
    INFERENCE_ADMIN_TOKEN: adminToken,
    INFERENCE_URLS: replicas.map((replica) => replica.internalUrl).join(','),
    REGISTRY_ACTOR: 'system-test',
  });

  function startServer(name: string, port: number, env: NodeJS.ProcessEnv): TestProcess {
    const server = startProcess(process.execPath, [app(name)], {
      ...sharedEnv(),
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    stopWithThisProcess(server.child.pid as number);
    return server;
  }

  async function train(seed: number, data = TELCO_CSV): Promise<string> {
    const run = await runToCompletion(
      process.execPath,
      [app('training-worker'), 'train', `--data=${data}`, `--model-name=${MODEL}`, `--seed=${seed}`, '--gate-f1=0'],
      sharedEnv(),
    );
    const registered = /Model Registry : churn_model v(\d+)/.exec(run.output);
    if (run.code !== 0 || !registered)
      throw new Error(
        `training (seed ${seed}) exited with ${run.code}:\n${run.output}\nMLflow's log ends:\n${mlflow.logTail()}`,
      );
    return registered[1];
  }

  function startRegistryAdmin(port: number): TestProcess {
    return startServer('registry-admin', port, {
      API_TOKENS: `release-bot:viewer+deployer:${deployerToken}`,
      INFERENCE_VIEWER_TOKEN: viewerToken,
      PUSH_TIMEOUT_MS: '15000',
      // Short, so a dead replica's rollout is adopted within seconds.
      ROLLOUT_LEASE_MS: '3000',
    });
  }

  async function api<T>(
    method: string,
    path: string,
    body?: unknown,
    server = registryAdminUrl,
  ): Promise<{ status: number; json: T }> {
    const response = await fetch(`${server}${path}`, {
      method,
      headers: { authorization: `Bearer ${deployerToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as T };
  }

  async function startRollout(to: string, steps: number[]): Promise<RolloutJson> {
    const { status, json } = await api<RolloutJson>('POST', `/models/${MODEL}/rollouts`, {
      to,
      steps,
      step_seconds: 4,
      min_requests: 20,
      max_holds: 4,
      guards: { min_scores: 20 },
      reason: `system test: roll out v${to}`,
    });
    if (status !== 201) throw new Error(`POST rollouts answered ${status}: ${JSON.stringify(json)}`);
    return json;
  }

  async function settled(id: string, timeoutMs = 60_000): Promise<RolloutJson> {
    let state: RolloutJson | undefined;
    await waitUntil(
      `rollout ${id} to end`,
      async () => {
        state = (await api<RolloutJson>('GET', `/models/${MODEL}/rollouts/${id}`)).json;
        return state.status !== 'running';
      },
      timeoutMs,
    );
    return state as RolloutJson;
  }

  async function aliases(): Promise<Record<string, string>> {
    const registered = await client.registeredModels.get(MODEL);
    return Object.fromEntries((registered.aliases ?? []).map(({ alias, version }) => [alias, version]));
  }

  async function tags(): Promise<Record<string, string>> {
    const registered = await client.registeredModels.get(MODEL);
    return Object.fromEntries((registered.tags ?? []).map(({ key, value }) => [key, value]));
  }

  /** The rollout's audit records, oldest first. */
  async function rolloutEvents(id: string): Promise<AuditRecordJson[]> {
    const { status, json } = await api<{ records: AuditRecordJson[] }>(
      'GET',
      `/models/${MODEL}/history?alias=traffic.rollout&max_results=1000`,
    );
    expect(status).toBe(200);
    return json.records
      .filter((record) => record.rollout?.rollout_id === id)
      .sort((a, b) => a.recorded_at.localeCompare(b.recorded_at));
  }

  /** Both replicas answer with no challenger and a 0 share. */
  async function replicasWithoutChallenger(): Promise<void> {
    for (const { url, internalUrl } of replicas)
      await waitUntil(`${url} to drop the challenger`, async () => {
        const response = await fetch(`${internalUrl}/ab/report`, {
          headers: { authorization: `Bearer ${viewerToken}` },
        });
        const report = (await response.json()) as {
          traffic: { challenger_share: number | null; challenger_version: string | null };
        };
        return (report.traffic.challenger_share ?? 0) === 0 && report.traffic.challenger_version === null;
      });
  }

  beforeAll(async () => {
    for (const name of ['training-worker', 'inference-api', 'registry-admin'])
      if (!existsSync(app(name))) throw new Error(`${app(name)} is missing: build the apps first`);
    workDir = mkdtempSync(join(tmpdir(), 'churn-rollouts-'));
    mlflow = new MlflowServer(await freePort(), join(workDir, 'mlflow'));
    await mlflow.start();
    client = new MlflowClient({ trackingUri: mlflow.url });
    expect(await train(1)).toBe('1');
    expect(await train(2)).toBe(good);
    // A bad candidate: the same features, the labels flipped, so its probabilities are about 1 − p.
    const flipped = join(workDir, 'flipped.csv');
    const [header, ...rows] = readFileSync(TELCO_CSV, 'utf8').trim().split('\n');
    writeFileSync(
      flipped,
      [
        header,
        ...rows.map((row) => row.replace(/,(Yes|No)\s*$/, (_, label: string) => (label === 'Yes' ? ',No' : ',Yes'))),
      ].join('\n'),
    );
    expect(await train(3, flipped)).toBe(bad);
    await client.registeredModels.setAlias({ name: MODEL, alias: ALIAS, version: '1' });

    const store = `sqlite:${join(workDir, 'predictions.db')}`;
    const ports = [await freePort(), await freePort()];
    registryAdminUrl = `http://127.0.0.1:${await freePort()}`;
    for (const port of ports)
      replicas.push({
        url: `http://127.0.0.1:${port}`,
        internalUrl: `http://127.0.0.1:${await freePort()}`,
        process: undefined as unknown as TestProcess,
      });
    for (const [index, port] of ports.entries())
      replicas[index].process = startServer('inference-api', port, {
        INTERNAL_PORT: new URL(replicas[index].internalUrl).port,
        API_TOKENS: `rollout-reader:viewer:${viewerToken}`,
        MODEL_CACHE_DIR: join(workDir, `cache-${index}`),
        INFERENCE_STORE_URL: store,
        POLL_INTERVAL_MS: '300',
        PREDICTION_LOG_FLUSH_MS: '50',
        REPLICA_ID: `replica-${index}`,
      });
    registryAdmin = startRegistryAdmin(Number(new URL(registryAdminUrl).port));
    await Promise.all([
      waitUntilAnswering(registryAdminUrl, registryAdmin),
      ...replicas.map((replica) => waitUntilAnswering(replica.url, replica.process)),
    ]);
    for (const { url } of replicas)
      await waitUntil(`${url} to serve v1`, async () => (await fetch(`${url}/ready`)).status === 200, 60_000);
    load = new MixedLoad(() => replicas.map((replica) => replica.url), telcoCustomers(500));
    load.start();
  }, 300_000);

  afterAll(async () => {
    await load?.stop();
    for (const server of [registryAdmin, standby, ...replicas.map((replica) => replica.process)])
      if (server) killGroup(server.child.pid as number, 'SIGKILL');
    mlflow?.kill();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('walks a good candidate through every step and promotes it, without a failed request', async () => {
    const started = await startRollout(good, [0.3, 0.5]);
    expect(started).toMatchObject({ status: 'running', candidate_version: good, champion_version: '1' });
    const ended = await settled(started.id);
    expect([ended.status, ended.ended_because]).toEqual(['promoted', null]);
    expect(ended.step_results.map((step) => [step.share, step.outcome])).toEqual([
      [0.3, 'passed'],
      [0.5, 'passed'],
    ]);
    const now = await aliases();
    expect([now[ALIAS], now['champion'], now['challenger']]).toEqual([good, good, undefined]);
    expect((await tags())['traffic.per_request']).toBe('false');
    await replicasWithoutChallenger();
    // The candidate took traffic during the steps.
    expect(load.versions.get(good) ?? 0).toBeGreaterThan(0);
    expect(load.failures).toEqual([]);

    const events = await rolloutEvents(started.id);
    expect(events.map((record) => record.rollout?.event)).toEqual([
      'started',
      'step_started',
      'step_passed',
      'step_started',
      'step_passed',
      'promoted',
    ]);
    expect(events.every((record) => record.from_version === '1' && record.to_version === good)).toBe(true);
  }, 90_000);

  it('reverts a candidate with shifted scores at its first step, naming the guard', async () => {
    const before = await aliases();
    const started = await startRollout(bad, [0.3, 0.5]);
    const ended = await settled(started.id);
    expect(ended.status).toBe('reverted');
    expect(ended.step_results.map((step) => [step.share, step.outcome])).toEqual([[0.3, 'breached']]);
    expect(ended.ended_because).toMatch(/guard .*(score_psi|positive_rate)/);
    const now = await aliases();
    expect([now[ALIAS], now['champion'], now['challenger']]).toEqual([before[ALIAS], before['champion'], undefined]);
    const traffic = await tags();
    expect([Number(traffic['traffic.challenger_share']), traffic['traffic.per_request']]).toEqual([0, 'false']);
    await replicasWithoutChallenger();
    expect(load.failures).toEqual([]);

    const events = await rolloutEvents(started.id);
    expect(events.map((record) => record.rollout?.event)).toEqual(['started', 'step_started', 'reverted']);
    const reverted = events.at(-1) as AuditRecordJson;
    expect(reverted.reason).toMatch(/score_psi|positive_rate/);
    expect(JSON.stringify(reverted.rollout?.['breached'])).toMatch(/score_psi|positive_rate/);
  }, 90_000);

  it('reverts a candidate that answers errors for some customers at its first step, on the error rate', async () => {
    const before = await aliases();
    // A copy of production's version (v2) that answers NaN, so 422, for a tenure above 60 months
    // (a fifth of the customers) and v2's exact probability otherwise.
    const failing = await registerFailingCopy(mlflow.url, MODEL, before[ALIAS], 60);
    const failuresBefore = load.failures.length;
    const started = await startRollout(failing, [0.3, 0.5]);
    const ended = await settled(started.id);
    expect(ended.status).toBe('reverted');
    expect(ended.step_results.map((step) => [step.share, step.outcome])).toEqual([[0.3, 'breached']]);
    expect(ended.ended_because).toMatch(/guard .*error_rate/);
    const decided = ended.step_results[0].windows.at(-1);
    expect(decided?.verdicts.find((verdict) => verdict.guard === 'error_rate')?.status).toBe('breach');
    const now = await aliases();
    expect([now[ALIAS], now['champion'], now['challenger']]).toEqual([before[ALIAS], before['champion'], undefined]);
    await replicasWithoutChallenger();

    // The only failed answers were the candidate's own 422s, and they stopped with the revert.
    await new Promise((r) => setTimeout(r, 500));
    const answered = load.failures.slice(failuresBefore);
    const candidate422 = new RegExp(` 422: .*v${failing} \\(challenger\\) returned probability NaN`);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.filter((failure) => !candidate422.test(failure))).toEqual([]);
    const afterRevert = load.failures.length;
    await new Promise((r) => setTimeout(r, 2_000));
    expect(load.failures.length).toBe(afterRevert);
    // Counted, they leave the next tests' "no failed request" checks to their own rollouts.
    load.failures.splice(failuresBefore);

    const events = await rolloutEvents(started.id);
    expect(events.map((record) => record.rollout?.event)).toEqual(['started', 'step_started', 'reverted']);
    const reverted = events.at(-1) as AuditRecordJson;
    expect(reverted.reason).toMatch(/error_rate/);
    expect(JSON.stringify(reverted.rollout?.['breached'])).toMatch(/error_rate/);
  }, 120_000);

  it('resumes a rollout after a registry-admin restart mid-rollout and promotes it', async () => {
    // v1 goes back out against v2 (production since the first test).
    const started = await startRollout('1', [0.3, 0.5]);
    expect(started.champion_version).toBe(good);
    await waitUntil(
      'the first step to pass',
      async () =>
        (await api<RolloutJson>('GET', `/models/${MODEL}/rollouts/${started.id}`)).json.step_results[0]?.outcome ===
        'passed',
      60_000,
    );
    registryAdmin.signalGroup('SIGTERM');
    await registryAdmin.exited;
    registryAdmin = startRegistryAdmin(Number(new URL(registryAdminUrl).port));
    await waitUntilAnswering(registryAdminUrl, registryAdmin);
    const ended = await settled(started.id);
    expect([ended.status, ended.ended_because]).toEqual(['promoted', null]);
    expect(ended.step_results.map((step) => [step.share, step.outcome])).toEqual([
      [0.3, 'passed'],
      [0.5, 'passed'],
    ]);
    const now = await aliases();
    expect([now[ALIAS], now['champion'], now['challenger']]).toEqual(['1', '1', undefined]);
    await replicasWithoutChallenger();
    expect(load.failures).toEqual([]);
    const events = (await rolloutEvents(started.id)).map((record) => record.rollout?.event);
    expect(events.slice(0, 3)).toEqual(['started', 'step_started', 'step_passed']);
    expect(events.slice(3)).toEqual(expect.arrayContaining(['resumed', 'step_started', 'step_passed', 'promoted']));
    expect(events.at(-1)).toBe('promoted');
  }, 120_000);

  /** `registry-admin rollout` as the nx target runs it, against the server, following the rollout. */
  function startRolloutCli(to: string, reason: string): TestProcess {
    const cli = startProcess(
      process.execPath,
      [
        app('registry-admin'),
        'rollout',
        `--to=${to}`,
        '--steps=30%,50%',
        '--step-seconds=60',
        '--min-requests=20',
        `--server=${registryAdminUrl}`,
        `--reason=${reason}`,
      ],
      { REGISTRY_ADMIN_TOKEN: deployerToken },
    );
    stopWithThisProcess(cli.child.pid as number);
    return cli;
  }

  it('follows a rollout from the CLI; an abort through REST reverts it at once and the CLI exits 3', async () => {
    const before = await aliases();
    const cli = startRolloutCli(good, 'system test: CLI rollout then abort');
    const [, id] = await cli.waitFor(/^rollout (\S+): v2 against v1$/m, 60_000);
    await cli.waitFor(/step 1\/2 \(30 %\): started/, 60_000);
    const aborted = await api<RolloutJson>('POST', `/models/${MODEL}/rollouts/${id}/abort`, {
      reason: 'operator saw a spike',
    });
    expect(aborted.status).toBe(200);
    expect([aborted.json.status, aborted.json.ended_because]).toEqual([
      'aborted',
      'aborted by release-bot: operator saw a spike',
    ]);
    expect(await cli.exited).toBe(3);
    expect(cli.output).toMatch(/aborted: aborted by release-bot: operator saw a spike/);
    const now = await aliases();
    expect([now[ALIAS], now['champion'], now['challenger']]).toEqual([before[ALIAS], before['champion'], undefined]);
    expect(Number((await tags())['traffic.challenger_share'])).toBe(0);
    await replicasWithoutChallenger();
    expect(load.failures).toEqual([]);
    const events = (await rolloutEvents(id)).map((record) => record.rollout?.event);
    expect(events).toEqual(['started', 'step_started', 'aborted']);
    // Ended: a second abort is refused.
    expect((await api('POST', `/models/${MODEL}/rollouts/${id}/abort`, {})).status).toBe(409);
  }, 120_000);

  it('aborts a rollout whose alias is moved by hand, and says so', async () => {
    const cli = startRolloutCli(good, 'system test: manual move during a rollout');
    const [, id] = await cli.waitFor(/^rollout (\S+): v2 against v1$/m, 60_000);
    await cli.waitFor(/step 1\/2 \(30 %\): started/, 60_000);
    // Someone moves the challenger straight in MLflow, past registry-admin.
    await client.registeredModels.setAlias({ name: MODEL, alias: 'challenger', version: bad });
    const ended = await settled(id);
    expect(ended.status).toBe('aborted');
    expect(ended.ended_because).toMatch(/alias challenger was moved manually \(v2 -> v3\) during the rollout/);
    expect(await cli.exited).toBe(3);
    expect(Number((await tags())['traffic.challenger_share'])).toBe(0);
    expect(load.failures).toEqual([]);
  }, 120_000);

  describe('with a second registry-admin replica', () => {
    let standbyUrl = '';

    beforeAll(async () => {
      standbyUrl = `http://127.0.0.1:${await freePort()}`;
      standby = startRegistryAdmin(Number(new URL(standbyUrl).port));
      await waitUntilAnswering(standbyUrl, standby);
    }, 120_000);

    async function stepStarted(id: string): Promise<void> {
      await waitUntil(
        'the first step to start',
        async () => (await rolloutEvents(id)).some((record) => record.rollout?.event === 'step_started'),
        60_000,
      );
    }

    it('ends a rollout aborted through the replica that does not drive it; the driver stops without a word more', async () => {
      const started = await startRollout(good, [0.3, 0.5]);
      await stepStarted(started.id);
      const aborted = await api<RolloutJson>(
        'POST',
        `/models/${MODEL}/rollouts/${started.id}/abort`,
        { reason: 'sent to the other replica' },
        standbyUrl,
      );
      expect(aborted.status).toBe(200);
      expect(aborted.json.status).toBe('aborted');
      await replicasWithoutChallenger();
      // Well past the driver's watch tick (0.5 s) and its step window (4 s): nothing is written after.
      await new Promise((r) => setTimeout(r, 5_000));
      const ended = (await api<RolloutJson>('GET', `/models/${MODEL}/rollouts/${started.id}`)).json;
      expect([ended.status, ended.ended_because]).toEqual([
        'aborted',
        'aborted by release-bot: sent to the other replica',
      ]);
      expect((await rolloutEvents(started.id)).map((record) => record.rollout?.event)).toEqual([
        'started',
        'step_started',
        'aborted',
      ]);
      expect(Number((await tags())['traffic.challenger_share'])).toBe(0);
      expect(load.failures).toEqual([]);
    }, 120_000);

    it('leaves a live rollout to its driver; when the driver dies, the other replica adopts it and promotes it', async () => {
      const driverPid = registryAdmin.child.pid as number;
      const started = await startRollout(good, [0.3, 0.5]);
      await stepStarted(started.id);
      // The standby has looked for orphans at least twice (every 1.5 s) and left it alone.
      await new Promise((r) => setTimeout(r, 3_500));
      expect((await rolloutEvents(started.id)).map((record) => record.rollout?.event)).not.toContain('resumed');

      killGroup(driverPid, 'SIGKILL');
      await registryAdmin.exited;
      registryAdminUrl = standbyUrl;
      const ended = await settled(started.id, 90_000);
      expect([ended.status, ended.ended_because]).toEqual(['promoted', null]);
      const now = await aliases();
      expect([now[ALIAS], now['champion'], now['challenger']]).toEqual([good, good, undefined]);
      await replicasWithoutChallenger();
      expect(load.failures).toEqual([]);

      const events = await rolloutEvents(started.id);
      const resumed = events.filter((record) => record.rollout?.event === 'resumed');
      expect(resumed).toHaveLength(1);
      expect(resumed[0].rollout).toMatchObject({
        instance: expect.stringMatching(new RegExp(`^${hostname()}:${standby?.child.pid}:[0-9a-f]{6}$`)),
        previous_driver: expect.stringMatching(new RegExp(`^${hostname()}:${driverPid}:[0-9a-f]{6}$`)),
      });
      expect(events.at(-1)?.rollout?.event).toBe('promoted');
      // Each step started once per driver: none was driven twice at the same time.
      const before = events.slice(0, events.indexOf(resumed[0])).map((record) => record.rollout?.event);
      expect(before.filter((event) => event === 'step_started').length).toBeLessThanOrEqual(2);
    }, 150_000);
  });
});
