import { appendFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { runToCompletion } from './support/processes';
import { copyRepository, type RepositoryCopy } from './support/repository-copy';

/** The closing line `.ci/run` reads. */
const CLOSING_LINE = /^(\d+) passed, (\d+) failed$/;

// `npm test`'s closing line must count a task that fails without failing a test: a broken lint in a
// scratch copy of the repository, run through the test command's project filter so it stays quick.
describe('npm test counts every Nx task', () => {
  let copy: RepositoryCopy;

  beforeAll(() => {
    copy = copyRepository('churn-test-command-');
  });

  afterAll(() => copy.remove());

  it('says failed >= 1 and exits non-zero when a lint fails, naming the task', async () => {
    // Unformatted and unused: eslint (with prettier in it) refuses this line.
    appendFileSync(join(copy.root, 'libs/drift-stats/src/index.ts'), '\nconst   brokenOnPurpose=1\n');
    // A lock file newer than the install, as in a fresh worktree: the copy's node_modules is a link
    // to this checkout's, which `npm ci` would empty through the link. It must be left alone.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(copy.root, 'package-lock.json'), later, later);

    const { code, output } = await runToCompletion(
      'npm',
      ['test', '--', '--projects=drift-stats', '--targets=lint'],
      {},
      240_000,
      copy.root,
    );

    const lines = output.trimEnd().split('\n');
    const closing = CLOSING_LINE.exec(lines[lines.length - 1]);
    expect({ closing: lines[lines.length - 1], output: closing ? '' : output }).toEqual({
      closing: '0 passed, 1 failed',
      output: '',
    });
    expect(lines[lines.length - 2]).toBe('0 skipped, 0 todo');
    expect(output).toContain('task failed: drift-stats:lint (failed)');
    expect(output).not.toContain('installing npm packages');
    expect(code).not.toBe(0);
  }, 250_000);

  it('counts a Jest run that died before reporting (its global setup threw) as failed', async () => {
    writeFileSync(
      join(copy.root, 'tools/jest/python-global-setup.mjs'),
      "export default async function () {\n  throw new Error('the test environment would not start');\n}\n",
    );

    const { code, output } = await runToCompletion(
      'npm',
      ['test', '--', '--projects=drift-stats', '--targets=test'],
      {},
      240_000,
      copy.root,
    );

    const lines = output.trimEnd().split('\n');
    expect({
      closing: lines[lines.length - 1],
      output: CLOSING_LINE.test(lines[lines.length - 1]) ? '' : output,
    }).toEqual({
      closing: '0 passed, 1 failed',
      output: '',
    });
    expect(output).toContain('the test environment would not start');
    expect(output).toContain('task failed: drift-stats:test (never reported its tests)');
    expect(code).not.toBe(0);
  }, 250_000);
});
