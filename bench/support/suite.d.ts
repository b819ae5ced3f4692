/**
 * The contract between bench/run.mjs, support/run-suite.cjs, support/results-markdown.mjs and the
 * suites (described in words at the top of bench/run.mjs), so that the type checker holds all of
 * them to it.
 */

/** What run-suite.cjs hands a suite's `run`. */
export interface BenchContext {
  workspaceRoot: string;
  /** A temporary folder, removed after the suite. */
  scratchDir: string;
  /**
   * True under `node bench/run.mjs --quick`: tiny settings (one short round) that only check a suite
   * works; its figures mean nothing, so run.mjs writes them only under `--output`.
   */
  quick: boolean;
  /** The pinned MLflow venv's interpreter. */
  python(): string;
  log(message: string): void;
  /** Runs a .ts file in a fresh Node process and parses the JSON object it prints last. */
  runTypeScript(file: string, args?: (string | number)[]): Record<string, unknown>;
  /** The same for a Python script, run by `python()`. */
  runPython(script: string, args?: (string | number)[]): Record<string, unknown>;
}

/** One figure: a result of ours or a reference measured in the same run. */
export interface Figure {
  id: string;
  label: string;
  /** The figure quoted: for a figure measured over rounds, the median of `rounds`. */
  value: number;
  unit: string;
  /** Id of the reference this result is printed beside (results only). */
  reference?: string;
  /** Every round's value, in round order, when the figure is a median over rounds (printed as min–max). */
  rounds?: number[];
}

export interface Target {
  id: string;
  description: string;
  value: number;
  limit: number;
  unit: string;
  /** The suite decides. */
  pass: boolean;
}

/** What a suite's `run` resolves with. */
export interface SuiteOutcome {
  /** One paragraph: what exactly is inside the timed sections. */
  timed: string;
  results: Figure[];
  references: Figure[];
  targets: Target[];
  notes?: string[];
  /** Anything else worth keeping in the raw JSON (not rendered). */
  raw?: unknown;
}

export interface Machine {
  cpuModel: string;
  logicalCores: number;
  memoryBytes: number;
  node: string;
  python: string;
  platform: string;
  loadAverageAtStart: number[];
}

/** A suite's outcome as bench/results/<suite>.json holds it. */
export interface SuiteRecord extends SuiteOutcome {
  title: string;
  suite: string;
  source: string;
  startedAt: string;
  durationSeconds: number;
  /** True when run with `--quick` (never in the committed results). */
  quick?: boolean;
  machine: Machine;
}
