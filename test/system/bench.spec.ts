import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runToCompletion, workspaceRoot } from './support/processes';

interface SuiteRecord {
  quick?: boolean;
  results: { id: string; value: number; reference?: string; rounds?: number[] }[];
  references: { id: string; value: number; rounds?: number[] }[];
  targets: { id: string; description: string; value: number; pass: boolean }[];
}

const readRecord = (output: string, suite: string) =>
  JSON.parse(readFileSync(join(output, 'results', `${suite}.json`), 'utf8')) as SuiteRecord;

// The README's benchmark command with --quick (one short round per suite), written to a scratch
// folder so the committed bench/results stay as measured: drift, inference with every reference
// server of issue 15 (HTTP floor, fair ceiling, per-request, tuned Python, mlflow models serve), and
// training with scikit-learn's newton-cholesky.
describe('nx run bench:run --quick', () => {
  it('runs the drift and inference suites and writes their raw JSON and a RESULTS.md naming the machine and the targets', async () => {
    const output = mkdtempSync(join(tmpdir(), 'churn-bench-'));
    const committed = ['drift', 'inference'].map((suite) =>
      readFileSync(join(workspaceRoot, `bench/results/${suite}.json`), 'utf8'),
    );
    try {
      const { code, output: log } = await runToCompletion(
        'npx',
        [
          'nx',
          'run',
          'bench:run',
          '--only=drift,inference',
          '--quick',
          `--output=${output}`,
          '--outputStyle=static',
          '--skipNxCache',
        ],
        { NX_DAEMON: 'false' },
        // Mostly set-up (builds, MLflow, two trainings, seven servers' starts): it took 472 s at a
        // load average of about 25 on two cores.
        840_000,
      );
      expect({ code, log: code === 0 ? '' : log }).toEqual({ code: 0, log: '' });

      const drift = readRecord(output, 'drift');
      expect(drift.quick).toBe(true);
      expect(drift.targets.map((target) => target.id)).toEqual(['service-under-200ms']);
      for (const target of drift.targets) expect(typeof target.pass).toBe('boolean');

      const inference = readRecord(output, 'inference');
      const references = new Map(inference.references.map((figure) => [figure.id, figure]));
      for (const server of ['floor', 'grouped', 'perRequest', 'python', 'incumbent', 'apiOff']) {
        const throughput = references.get(`${server}.throughput`);
        expect({ server, positive: (throughput?.value ?? 0) > 0, rounds: throughput?.rounds?.length }).toEqual({
          server,
          positive: true,
          rounds: 1,
        });
      }
      expect(inference.targets.map((target) => target.id)).toEqual([
        'predict.log-off-vs-fair-ceiling',
        'predict.vs-http-floor',
        'predict.vs-tuned-python',
        'predict.vs-mlflow-serve',
        'predict.p99-rounds',
        'batch.200k',
        'swap.push-under-1s',
        'moves.zero-errors',
      ]);
      const dropped = inference.results.find((result) => result.id === 'batch.log-dropped');
      expect(typeof dropped?.value).toBe('number');
      const errors = inference.results.find((result) => result.id === 'predict.errors');
      expect(errors?.value).toBe(0);

      const markdown = readFileSync(join(output, 'RESULTS.md'), 'utf8');
      expect(markdown).toMatch(/Machine: .*\d+ logical cores/);
      expect(markdown).toContain('with `--quick` settings');
      expect(markdown).toContain('drift intake as the service runs it plus the report');
      expect(markdown).toMatch(/\| (met|\*\*not met\*\*) \|/);
      expect(
        ['drift', 'inference'].map((suite) => readFileSync(join(workspaceRoot, `bench/results/${suite}.json`), 'utf8')),
      ).toEqual(committed);
    } finally {
      rmSync(output, { recursive: true, force: true });
    }
  }, 900_000);

  it("runs the training suite with scikit-learn's newton-cholesky beside lbfgs", async () => {
    const output = mkdtempSync(join(tmpdir(), 'churn-bench-'));
    const committed = readFileSync(join(workspaceRoot, 'bench/results/training.json'), 'utf8');
    try {
      const { code, output: log } = await runToCompletion(
        'node',
        ['bench/run.mjs', '--only=training', '--quick', `--output=${output}`],
        {},
        540_000,
      );
      expect({ code, log: code === 0 ? '' : log }).toEqual({ code: 0, log: '' });
      const training = readRecord(output, 'training');
      const references = new Map(training.references.map((figure) => [figure.id, figure]));
      for (const data of ['telco', 'synthetic'])
        for (const id of [`${data}.sklearn-newton.total`, `${data}.sklearn-newton.fit`, `${data}.sklearn.total`])
          expect({ id, positive: (references.get(id)?.value ?? 0) > 0 }).toEqual({ id, positive: true });
      expect(
        training.results.filter((result) => result.reference?.includes('sklearn-newton')).map((result) => result.id),
      ).toEqual([
        'telco.total-vs-newton',
        'telco.fit-vs-newton',
        'synthetic.total-vs-newton',
        'synthetic.fit-vs-newton',
      ]);
      expect(readFileSync(join(output, 'RESULTS.md'), 'utf8')).toContain('20,000 synthetic rows: load → metrics');
      expect(readFileSync(join(workspaceRoot, 'bench/results/training.json'), 'utf8')).toBe(committed);
    } finally {
      rmSync(output, { recursive: true, force: true });
    }
  }, 600_000);

  it('runs the rollout-revert suite: a breached rollout across two replicas, timed to the last push answer', async () => {
    const output = mkdtempSync(join(tmpdir(), 'churn-bench-'));
    const committed = readFileSync(join(workspaceRoot, 'bench/results/rollout-revert.json'), 'utf8');
    try {
      const { code, output: log } = await runToCompletion(
        'node',
        ['bench/run.mjs', '--only=rollout-revert', '--quick', `--output=${output}`],
        {},
        540_000,
      );
      expect({ code, log: code === 0 ? '' : log }).toEqual({ code: 0, log: '' });
      const suite = readRecord(output, 'rollout-revert');
      expect(suite.quick).toBe(true);
      const revert = suite.results.find((result) => result.id === 'revert-ms');
      expect(revert?.rounds).toHaveLength(1);
      expect(revert?.value).toBeGreaterThan(0);
      expect(suite.targets.map((target) => target.id)).toEqual(['revert-under-1s']);
      expect(readFileSync(join(output, 'RESULTS.md'), 'utf8')).toContain('Guards named in the reverts: ');
      expect(readFileSync(join(workspaceRoot, 'bench/results/rollout-revert.json'), 'utf8')).toBe(committed);
    } finally {
      rmSync(output, { recursive: true, force: true });
    }
  }, 600_000);

  it("runs the log-writer suite: the writer thread's path on both page sizes and the inserts alone, every row written", async () => {
    const output = mkdtempSync(join(tmpdir(), 'churn-bench-'));
    const committed = readFileSync(join(workspaceRoot, 'bench/results/log-writer.json'), 'utf8');
    try {
      // writer-once.ts fails the suite when a measurement writes other than every row it was given, or
      // a file's page size is not the one it is measured for.
      const { code, output: log } = await runToCompletion(
        'node',
        ['bench/run.mjs', '--only=log-writer', '--quick', `--output=${output}`],
        {},
        240_000,
      );
      expect({ code, log: code === 0 ? '' : log }).toEqual({ code: 0, log: '' });
      const suite = readRecord(output, 'log-writer');
      expect(suite.quick).toBe(true);
      for (const figure of [...suite.results, ...suite.references])
        expect({ id: figure.id, rounds: figure.rounds?.length, positive: figure.value > 0 }).toEqual({
          id: figure.id,
          rounds: 1,
          positive: true,
        });
      expect(suite.results.map((result) => [result.id, result.reference])).toEqual([
        ['writer', 'raw'],
        ['ratio', undefined],
        ['writer-pages', 'writer-default-pages'],
        ['page-ratio', undefined],
      ]);
      expect(suite.references.map((reference) => reference.id)).toEqual(['writer-default-pages', 'raw']);
      expect(readFileSync(join(workspaceRoot, 'bench/results/log-writer.json'), 'utf8')).toBe(committed);
    } finally {
      rmSync(output, { recursive: true, force: true });
    }
  }, 300_000);

  it('refuses --quick without --output, so quick figures never replace the committed ones', async () => {
    const { code, output } = await runToCompletion('node', ['bench/run.mjs', '--quick'], {}, 60_000);
    expect(code).not.toBe(0);
    expect(output).toContain('--quick needs --output=DIR');
  });
});
