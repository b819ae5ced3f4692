import type { AliasAuditRecord } from '../registry/alias-audit.store';
import type { MoveResult } from '../registry/alias-moves.service';
import { describeMove, parseCliArguments } from './registry-cli';

describe('parseCliArguments', () => {
  it('reads --flag=value and --flag value, and --force bare or as nx writes it', () => {
    expect(
      parseCliArguments('promote', [
        '--to=2',
        '--alias',
        'champion',
        '--model-name=churn_model',
        '--force',
        '--reason=a=b c',
      ]),
    ).toEqual({
      to: '2',
      alias: 'champion',
      modelName: 'churn_model',
      force: true,
      reason: 'a=b c',
    });
    expect(parseCliArguments('promote', ['--force=false']).force).toBe(false);
    expect(parseCliArguments('rollback', [])).toEqual({ force: false });
  });

  it('names unknown, valueless and positional arguments', () => {
    expect(() => parseCliArguments('rollback', ['--force'])).toThrow('--force: unknown flag (options of rollback:');
    expect(() => parseCliArguments('promote', ['--versio=2'])).toThrow(
      '--versio: unknown flag (options of promote: --to, --alias, --model-name, --reason, --force)',
    );
    expect(() => parseCliArguments('promote', ['--to'])).toThrow('--to: needs a value');
    expect(() => parseCliArguments('promote', ['2'])).toThrow('2: unexpected argument, not a --flag=value');
    expect(() => parseCliArguments('promote', ['--force=yes'])).toThrow('--force: must be true or false, got "yes"');
  });
});

describe('describeMove', () => {
  const record = { id: 'r1', outcome: 'pending', reason: null } as AliasAuditRecord;
  const result: MoveResult = {
    model: 'churn_model',
    alias: 'production',
    action: 'promote',
    from_version: '1',
    to_version: '2',
    forced: false,
    gates: null,
    record,
    external_record: null,
    audit: 'pending',
    audit_error: 'MLflow failed after the alias moved, before its audit record was settled: connection refused',
    pushes: [{ target: 'http://10.0.0.7:8000', ok: true, status: 200, error: null, duration_ms: 4 }],
  };

  it('says the alias moved, the push went out and the record is pending, with why', () => {
    expect(describeMove('promote', result)).toEqual([
      'churn_model@production -> v2',
      'push http://10.0.0.7:8000: HTTP 200',
      'audit record r1 (pending)',
      'audit: the alias moved, but its record is not settled yet (MLflow failed after the alias moved, before its audit record was settled: connection refused); it is written when MLflow lets it, or settled by the next reader',
    ]);
    expect(
      describeMove('promote', {
        ...result,
        audit: 'settled',
        audit_error: null,
        record: { ...record, outcome: 'committed' },
      }).at(-1),
    ).toBe('audit record r1 (committed)');
  });
});
