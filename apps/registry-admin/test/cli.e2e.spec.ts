import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

import {
  registerTrainedVersion,
  startReloadReceiver,
  testClient,
  trackingUri,
  uniqueName,
} from './support/registry-fixtures';
import { asAdmin, createTestApp } from './support/test-app';

const execFileAsync = promisify(execFile);
const workspaceRoot = resolve(__dirname, '../../..');
const builtMain = resolve(workspaceRoot, 'dist/apps/registry-admin/main.js');
// The first command goes through nx, which builds the app (webpack) before running it.
const CLI_TIMEOUT_MS = 420_000;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], environment: Record<string, string>): Promise<CliRun> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd: workspaceRoot,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', ...environment },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('promote and rollback on the command line, as a user runs them', () => {
  const mlflow = testClient();
  const model = uniqueName('cli');
  let receiver: Awaited<ReturnType<typeof startReloadReceiver>>;
  let environment: Record<string, string>;
  const cli = (...args: string[]) => run(process.execPath, [builtMain, ...args], environment);

  beforeAll(async () => {
    receiver = await startReloadReceiver(200);
    environment = {
      MLFLOW_TRACKING_URI: trackingUri(),
      REGISTRY_ACTOR: 'ci-bot',
      INFERENCE_URLS: receiver.url,
      INFERENCE_ADMIN_TOKEN: 'reload-secret-000002',
    };
    await registerTrainedVersion(mlflow, model);
    await registerTrainedVersion(mlflow, model);
    await registerTrainedVersion(mlflow, model, { gateF1: 0.99 });
  }, CLI_TIMEOUT_MS);

  afterAll(() => receiver.close());

  it(
    'nx run registry-admin:promote --to=1 --model-name=... builds, promotes, pushes and prints the move',
    async () => {
      const result = await run(
        'npx',
        ['nx', 'run', 'registry-admin:promote', '--to=1', `--model-name=${model}`, '--outputStyle=static'],
        environment,
      );
      expect(result.stdout).toContain(`${model}@production -> v1\n`);
      expect(result.stdout).toContain(`push ${receiver.url}: HTTP 200`);
      expect(result.code).toBe(0);
      expect(existsSync(builtMain)).toBe(true);
      expect(receiver.received.map((push) => push.body)).toEqual([{ name: model, alias: 'production' }]);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'promotes the latest gate-passed version by default, rolls back both ways, and refuses with one line and the right exit code',
    async () => {
      const promoted = await cli('promote', `--model-name=${model}`);
      expect(promoted.code).toBe(0);
      expect(promoted.stdout.split('\n')[0]).toBe(`${model}@production -> v2`);
      expect(promoted.stdout).toMatch(
        /^gate f1_drop: passed \(F1 0\.\d{4} vs v1's 0\.\d{4}, drop -?0\.\d{4}, allowed 0\.01\)$/m,
      );

      const back = await cli('rollback', `--model-name=${model}`, '--reason=bad canary');
      expect({ code: back.code, first: back.stdout.split('\n')[0] }).toEqual({
        code: 0,
        first: '[OK] rollback => v2 -> v1',
      });
      const explicit = await cli('rollback', `--model-name=${model}`, '--to=2');
      expect({ code: explicit.code, first: explicit.stdout.split('\n')[0] }).toEqual({
        code: 0,
        first: '[OK] rollback => v1 -> v2',
      });

      const unknown = await cli('rollback', `--model-name=${model}`, '--to=99');
      expect(unknown).toEqual({
        code: 1,
        stdout: '',
        stderr: `[FAILED] rollback: version 99 of '${model}' does not exist (valid versions: 1, 2, 3)\n`,
      });
      const notNumeric = await cli('rollback', `--model-name=${model}`, '--to=two');
      expect(notNumeric).toEqual({
        code: 1,
        stdout: '',
        stderr: '[FAILED] rollback: to must be a positive whole version number such as 3 (got "two")\n',
      });
      const badAlias = await cli('promote', `--model-name=${model}`, '--alias=latest');
      expect(badAlias).toEqual({
        code: 1,
        stdout: '',
        stderr: "[FAILED] promote: alias 'latest' is reserved by MLflow\n",
      });
      const badFlag = await cli('rollback', '--force');
      expect(badFlag).toEqual({
        code: 1,
        stdout: '',
        stderr:
          '[FAILED] rollback: --force: unknown flag (options of rollback: --to, --alias, --model-name, --reason)\n',
      });
      const noModel = await cli('promote', '--model-name=no-such-model-cli');
      expect(noModel).toEqual({
        code: 1,
        stdout: '',
        stderr: "[FAILED] promote: registered model 'no-such-model-cli' does not exist\n",
      });

      const gated = await cli('promote', `--model-name=${model}`, '--to=3');
      expect(gated.code).toBe(3);
      expect(gated.stderr).toMatch(
        new RegExp(
          `^\\[FAILED\\] promote: promotion of ${model}@production -> v3 refused: gate_passed: v3 failed its training gate \\(gate_passed=false\\).*\\n$`,
        ),
      );
      const forced = await cli(
        'promote',
        `--model-name=${model}`,
        '--to=3',
        '--force',
        '--reason=hotfix approved by on-call',
      );
      expect(forced.code).toBe(0);
      expect(forced.stdout).toContain(`${model}@production -> v3\ngate gate_passed: FAILED`);
      expect(forced.stdout).toContain('forced: hotfix approved by on-call\n');

      const unreachable = await run(process.execPath, [builtMain, 'rollback', `--model-name=${model}`], {
        ...environment,
        MLFLOW_TRACKING_URI: 'http://127.0.0.1:9',
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
      });
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(
        /^\[FAILED\] rollback: MLflow at http:\/\/127\.0\.0\.1:9 is unavailable \(.*\); nothing was changed, try again\n$/,
      );

      for (const output of [gated, forced, unknown, unreachable]) expect(output.stderr).not.toMatch(/\n\s+at /);

      const app = await createTestApp();
      try {
        const history = (await app.inject({ method: 'GET', url: `/models/${model}/history`, headers: asAdmin })).json()
          .records;
        expect(
          history.map((record: { action: string; to_version: string; actor: string; outcome: string }) => [
            record.action,
            record.to_version,
            record.actor,
            record.outcome,
          ]),
        ).toEqual([
          ['promote', '3', 'ci-bot', 'committed'],
          ['promote', '3', 'ci-bot', 'refused'],
          ['rollback', '2', 'ci-bot', 'committed'],
          ['rollback', '1', 'ci-bot', 'committed'],
          ['promote', '2', 'ci-bot', 'committed'],
          ['promote', '1', 'ci-bot', 'committed'],
        ]);
      } finally {
        await app.close();
      }
    },
    CLI_TIMEOUT_MS,
  );
});
