import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runToCompletion, workspaceRoot } from './support/processes';

interface SuiteRecord {
  quick?: boolean;
  results: { id: string; value: number; rounds?: number[] }[];
  references: { id: string; value: number; rounds?: number[] }[];
  targets: { id: string; description: string; value: number; pass: boolean }[];
}

const readRecord = (output: string, suite: string) =>
  JSON.parse(readFileSync(join(output, 'results', `${suite}.json`), 'utf8')) as SuiteRecord;

// The README's benchmark command with --quick (one short round per suite), written to a scratch
// folder so the committed bench/results stay as measured: drift, and inference with every reference
// server of issue 15 (HTTP floor, fair ceiling, per-request, tuned Python, mlflow models serve).
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
        540_000,
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
  }, 600_000);

  it('refuses --quick without --output, so quick figures never replace the committed ones', async () => {
    const { code, output } = await runToCompletion('node', ['bench/run.mjs', '--quick'], {}, 60_000);
    expect(code).not.toBe(0);
    expect(output).toContain('--quick needs --output=DIR');
  });
});
