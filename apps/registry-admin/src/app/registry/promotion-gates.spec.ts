import { evaluateGates, type SignatureColumn, type VersionFacts } from './promotion-gates';

const columns: SignatureColumn[] = [
  { name: 'tenure', type: 'double', required: true },
  { name: 'Contract', type: 'string', required: true },
];

function facts(overrides: Partial<VersionFacts> = {}): VersionFacts {
  return { version: '2', gatePassed: 'true', f1: 0.6, hasMetrics: true, inputs: columns, ...overrides };
}

const failing = (candidate: VersionFacts, holder: VersionFacts | null) =>
  evaluateGates(candidate, holder, 0.01)
    .filter((gate) => !gate.passed)
    .map((gate) => `${gate.gate}: ${gate.detail}`);

describe('evaluateGates', () => {
  const holder = facts({ version: '1', f1: 0.6 });

  it('passes a candidate as good as the holder, and any candidate when nothing holds the alias', () => {
    expect(failing(facts(), holder)).toEqual([]);
    expect(failing(facts({ f1: 0.595 }), holder)).toEqual([]);
    expect(failing(facts({ inputs: null }), null)).toEqual([]);
  });

  it('refuses gate_passed=false but not a missing tag', () => {
    expect(failing(facts({ gatePassed: 'false' }), holder)).toEqual([
      'gate_passed: v2 failed its training gate (gate_passed=false)',
    ]);
    expect(failing(facts({ gatePassed: undefined }), holder)).toEqual([]);
  });

  it('refuses an F1 more than the allowed drop below the holder (the boundary itself passes)', () => {
    expect(failing(facts({ f1: 0.58 }), holder)).toEqual([
      "f1_drop: F1 0.5800 vs v1's 0.6000, drop 0.0200, allowed 0.01",
    ]);
    expect(
      evaluateGates(facts({ f1: 0.5 }), facts({ version: '1', f1: 0.51 }), 0.01 + 1e-12).every((gate) => gate.passed),
    ).toBe(true);
  });

  it('refuses a version without metrics, and cannot compare its F1', () => {
    expect(failing(facts({ hasMetrics: false, f1: undefined, gatePassed: undefined }), holder)).toEqual([
      'has_metrics: v2 has no metrics (no f1 tag and no run metrics: registered elsewhere?)',
      "f1_drop: v2 has no F1 to compare with v1's 0.6000",
    ]);
  });

  it('refuses a signature that lacks a column, changes a type, requires a new column, or is missing', () => {
    expect(failing(facts({ inputs: [columns[0]] }), holder)).toEqual(['signature: v2 lacks column Contract']);
    expect(failing(facts({ inputs: [columns[0], { ...columns[1], type: 'double' }] }), holder)).toEqual([
      'signature: v2 column Contract is double, not string',
    ]);
    expect(
      failing(facts({ inputs: [...columns, { name: 'Region', type: 'string', required: true }] }), holder),
    ).toEqual(["signature: v2 requires column Region that v1's callers do not send"]);
    expect(
      failing(facts({ inputs: [...columns, { name: 'Region', type: 'string', required: false }] }), holder),
    ).toEqual([]);
    expect(failing(facts({ inputs: null }), holder)).toEqual([
      'signature: v2 has no signature; v1 has 2 input columns',
    ]);
  });

  it('does not modify its inputs', () => {
    const candidate = facts();
    const snapshot = JSON.stringify([candidate, holder]);
    evaluateGates(candidate, holder, 0.01);
    expect(JSON.stringify([candidate, holder])).toBe(snapshot);
  });
});
