import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runToCompletion, workspaceRoot } from './support/processes';

// The README's benchmark command, on its quickest suite, written to a scratch folder so the
// committed bench/results stay as measured.
describe('nx run bench:run', () => {
  it('runs a suite and writes its raw JSON and a RESULTS.md naming the machine and the targets', async () => {
    const output = mkdtempSync(join(tmpdir(), 'churn-bench-'));
    const committed = readFileSync(join(workspaceRoot, 'bench/results/drift.json'), 'utf8');
    try {
      const { code, output: log } = await runToCompletion(
        'npx',
        ['nx', 'run', 'bench:run', '--only=drift', `--output=${output}`, '--outputStyle=static', '--skipNxCache'],
        { NX_DAEMON: 'false' },
        240_000,
      );
      expect({ code, log: code === 0 ? '' : log }).toEqual({ code: 0, log: '' });
      const result = JSON.parse(readFileSync(join(output, 'results/drift.json'), 'utf8')) as {
        targets: { description: string; pass: boolean }[];
      };
      expect(result.targets.length).toBeGreaterThan(0);
      for (const target of result.targets) expect(typeof target.pass).toBe('boolean');
      const markdown = readFileSync(join(output, 'RESULTS.md'), 'utf8');
      expect(markdown).toMatch(/Machine: .*\d+ logical cores/);
      expect(markdown).toContain('drift report under 200 ms');
      expect(readFileSync(join(workspaceRoot, 'bench/results/drift.json'), 'utf8')).toBe(committed);
    } finally {
      rmSync(output, { recursive: true, force: true });
    }
  });
});
