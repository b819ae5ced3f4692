import type { AliasAuditRecord } from './alias-audit.store';
import { OwedSettlements, type OwedSettlement } from './owed-settlements';

function record(id: string, model = 'm', alias = 'production'): AliasAuditRecord {
  return {
    id,
    model,
    alias,
    action: 'promote',
    from_version: '1',
    to_version: '2',
    actor: 'alice',
    reason: null,
    forced: false,
    gates: null,
    outcome: 'pending',
    error: null,
    observed_version: null,
    rollback_stack: ['1'],
    recorded_at: '2026-01-01T00:00:00.000Z',
    settled_at: null,
    rollout: null,
    details: null,
  };
}

const moved = (id: string, model?: string, alias?: string): OwedSettlement => ({
  kind: 'moved',
  record: record(id, model, alias),
  outcome: 'committed',
  observed_version: '2',
  cause: 'MLflow went away',
});

/** A write that fails while `failing` is true, and counts its calls per record. */
function flakyWrite() {
  const state = { failing: true, calls: new Map<string, number>() };
  const write = async (owed: OwedSettlement): Promise<AliasAuditRecord> => {
    state.calls.set(owed.record.id, (state.calls.get(owed.record.id) ?? 0) + 1);
    await new Promise((resolve) => setImmediate(resolve));
    if (state.failing) throw new Error('connection refused');
    return { ...owed.record, outcome: 'committed' };
  };
  return { state, write };
}

const quiet = { log: () => undefined, warn: () => undefined };

describe('OwedSettlements', () => {
  it('keeps a settlement owed while writes fail, throws only when strict, and forgets it once written', async () => {
    const { state, write } = flakyWrite();
    // A zero window: no background retries, so only the calls below write.
    const owed = new OwedSettlements(write, 0, quiet);
    owed.add(moved('a'));
    expect(owed.has('a')).toBe(true);
    await expect(owed.settleNow('m', 'production', false)).resolves.toBeUndefined();
    await expect(owed.settleNow('m', 'production', true)).rejects.toThrow('connection refused');
    expect(owed.has('a')).toBe(true);
    state.failing = false;
    await owed.settleNow('m', 'production', true);
    expect(owed.has('a')).toBe(false);
    expect(state.calls.get('a')).toBe(3);
    await owed.settleNow('m', 'production', true);
    expect(state.calls.get('a')).toBe(3);
  });

  it('writes only the named model and alias, one write at a time per record', async () => {
    const { state, write } = flakyWrite();
    state.failing = false;
    const owed = new OwedSettlements(write, 0, quiet);
    owed.add(moved('a'));
    owed.add(moved('b', 'm', 'staging'));
    owed.add(moved('c', 'other'));
    await Promise.all([owed.settleNow('m', 'production', true), owed.settleNow('m', 'production', true)]);
    expect(Object.fromEntries(state.calls)).toEqual({ a: 1 });
    await owed.settleNow('m', undefined, true);
    expect(Object.fromEntries(state.calls)).toEqual({ a: 1, b: 1 });
    expect(owed.has('c')).toBe(true);
  });

  it('makes one last attempt for each on close, and keeps what still fails', async () => {
    const { state, write } = flakyWrite();
    const warnings: string[] = [];
    const owed = new OwedSettlements(write, 0, { log: () => undefined, warn: (line: string) => warnings.push(line) });
    owed.add(moved('a'));
    await owed.close();
    expect(state.calls.get('a')).toBe(1);
    expect(owed.has('a')).toBe(true);
    expect(warnings.at(-1)).toMatch(/^audit record a is left pending in MLflow \(connection refused\)/);
  });

  it('retries in the background until the write lands', async () => {
    const { state, write } = flakyWrite();
    const owed = new OwedSettlements(write, 60_000, quiet);
    owed.add(moved('a'));
    // The first background retry comes after 1 s; the write succeeds from then on.
    state.failing = false;
    const deadline = Date.now() + 30_000;
    while (owed.has('a') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(owed.has('a')).toBe(false);
    expect(state.calls.get('a')).toBe(1);
  });
});
