import type { GateResult } from '../errors/registry-errors';

/** One input column of an MLmodel signature (`{"type": "double", "name": "tenure", "required": true}`). */
export interface SignatureColumn {
  name: string;
  type: string;
  required: boolean;
}

/** What the gates need to know about a version. */
export interface VersionFacts {
  version: string;
  /** The `gate_passed` version tag as written (`true`/`false`), undefined when absent. */
  gatePassed: string | undefined;
  /** F1 on the held-out split: the `f1` version tag, else the source run's `f1` metric. */
  f1: number | undefined;
  /** Whether the version carries any evaluation metric at all (tags or source run). */
  hasMetrics: boolean;
  /** Signature inputs from its MLmodel file; null when it has none (or no MLmodel). */
  inputs: SignatureColumn[] | null;
}

/**
 * The promotion gates of a gated alias (`production`, `champion`): a candidate passes when
 *  - gate_passed: its training gate did not fail (`gate_passed` is not `false`);
 *  - has_metrics: it carries evaluation metrics (a version registered elsewhere carries none);
 *  - f1_drop: its F1 is at most `maxF1Drop` below the current holder's;
 *  - signature: it accepts the inputs the current holder accepts: every holder column, same name
 *    and type, and no required column the holder's callers do not send.
 * With no current holder the comparisons pass (nothing to fall behind). Inputs are not modified.
 *
 * @example evaluateGates({ version: '2', gatePassed: 'true', f1: 0.6, hasMetrics: true, inputs }, holder, 0.01)
 *   // [{ gate: 'gate_passed', passed: true, detail: 'gate_passed=true' }, ...]
 */
export function evaluateGates(candidate: VersionFacts, holder: VersionFacts | null, maxF1Drop: number): GateResult[] {
  return [
    gatePassedGate(candidate),
    hasMetricsGate(candidate),
    f1DropGate(candidate, holder, maxF1Drop),
    signatureGate(candidate, holder),
  ];
}

function gatePassedGate(candidate: VersionFacts): GateResult {
  if (candidate.gatePassed === 'false')
    return {
      gate: 'gate_passed',
      passed: false,
      detail: `v${candidate.version} failed its training gate (gate_passed=false)`,
    };
  return { gate: 'gate_passed', passed: true, detail: `gate_passed=${candidate.gatePassed ?? '(not set)'}` };
}

function hasMetricsGate(candidate: VersionFacts): GateResult {
  if (!candidate.hasMetrics) {
    return {
      gate: 'has_metrics',
      passed: false,
      detail: `v${candidate.version} has no metrics (no f1 tag and no run metrics: registered elsewhere?)`,
    };
  }
  return { gate: 'has_metrics', passed: true, detail: 'metrics present' };
}

function f1DropGate(candidate: VersionFacts, holder: VersionFacts | null, maxF1Drop: number): GateResult {
  if (holder === null) return { gate: 'f1_drop', passed: true, detail: 'no current holder to compare with' };
  if (holder.f1 === undefined)
    return { gate: 'f1_drop', passed: true, detail: `current holder v${holder.version} has no F1 to compare with` };
  if (candidate.f1 === undefined)
    return {
      gate: 'f1_drop',
      passed: false,
      detail: `v${candidate.version} has no F1 to compare with v${holder.version}'s ${holder.f1.toFixed(4)}`,
    };
  const drop = holder.f1 - candidate.f1;
  const comparison = `F1 ${candidate.f1.toFixed(4)} vs v${holder.version}'s ${holder.f1.toFixed(4)}, drop ${drop.toFixed(4)}, allowed ${maxF1Drop}`;
  return { gate: 'f1_drop', passed: drop <= maxF1Drop, detail: comparison };
}

function signatureGate(candidate: VersionFacts, holder: VersionFacts | null): GateResult {
  if (holder === null || holder.inputs === null)
    return { gate: 'signature', passed: true, detail: 'no current signature to compare with' };
  if (candidate.inputs === null)
    return {
      gate: 'signature',
      passed: false,
      detail: `v${candidate.version} has no signature; v${holder.version} has ${holder.inputs.length} input columns`,
    };
  const candidateByName = new Map(candidate.inputs.map((column) => [column.name, column]));
  const holderNames = new Set(holder.inputs.map((column) => column.name));
  const problems: string[] = [];
  for (const column of holder.inputs) {
    const match = candidateByName.get(column.name);
    if (match === undefined) problems.push(`lacks column ${column.name}`);
    else if (match.type !== column.type) problems.push(`column ${column.name} is ${match.type}, not ${column.type}`);
  }
  for (const column of candidate.inputs) {
    if (column.required && !holderNames.has(column.name))
      problems.push(`requires column ${column.name} that v${holder.version}'s callers do not send`);
  }
  if (problems.length > 0)
    return { gate: 'signature', passed: false, detail: `v${candidate.version} ${problems.join(', ')}` };
  return {
    gate: 'signature',
    passed: true,
    detail: `accepts v${holder.version}'s ${holder.inputs.length} input columns`,
  };
}
