/**
 * `registry-admin rollout --to=N`: creates the rollout on registry-admin's server (which drives it,
 * so it outlives this command), follows it and prints each step as it happens. Exit codes: 0
 * promoted, 3 reverted (or aborted), 1 error.
 */
import { CliFlagError, EXIT, parseFlags, processOutput, type CommandOutput } from '@churn/service-kit';

import type { RolloutState } from './rollout-state';

/** The kit's exit codes: a rollout its guards reverted (or someone aborted) ends like a refused gate. */
export const ROLLOUT_EXIT = { promoted: EXIT.ok, error: EXIT.failed, reverted: EXIT.gateRefused } as const;

const ROLLOUT_FLAGS = {
  command: 'rollout',
  values: ['to', 'model-name', 'steps', 'step-seconds', 'min-requests', 'max-holds', 'reason', 'server'],
} as const;

export interface RolloutCliOptions {
  server: string;
  model: string;
  body: Record<string, unknown>;
}

/** `--steps=5%,25%,0.5`: shares as fractions or percentages. */
function parseSteps(text: string): number[] {
  return text.split(',').map((share) => {
    const parsed = Number(share.trim().replace(/%$/, ''));
    if (share.trim() === '' || !Number.isFinite(parsed))
      throw new CliFlagError('--steps', `must be comma-separated shares, got ${JSON.stringify(share)}`);
    return share.trim().endsWith('%') ? parsed / 100 : parsed;
  });
}

/**
 * The kit's flag parsing, then the request body (the server checks the ranges and names the field).
 * @throws {CliFlagError} naming the flag at fault
 */
export function parseRolloutArguments(
  args: readonly string[],
  environment: Record<string, string | undefined>,
): RolloutCliOptions {
  const { values } = parseFlags(ROLLOUT_FLAGS, args);
  if (values.to === undefined) throw new CliFlagError('--to', 'is required: the candidate version, e.g. --to=3');
  const body: Record<string, unknown> = { to: values.to };
  if (values.steps !== undefined) body['steps'] = parseSteps(values.steps);
  for (const [key, flag] of [
    ['step_seconds', 'step-seconds'],
    ['min_requests', 'min-requests'],
    ['max_holds', 'max-holds'],
  ] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const parsed = Number(text);
    if (!Number.isFinite(parsed)) throw new CliFlagError(`--${flag}`, `must be a number, got ${JSON.stringify(text)}`);
    body[key] = parsed;
  }
  if (values.reason !== undefined) body['reason'] = values.reason;
  const server = values.server ?? environment['REGISTRY_ADMIN_URL'] ?? 'http://127.0.0.1:8001';
  return {
    server: server.replace(/\/+$/, ''),
    model: values['model-name'] ?? environment['MODEL_NAME'] ?? 'churn_model',
    body,
  };
}

/** The lines that are new in `now` compared with `before` (what happened since the last poll). */
export function describeProgress(before: RolloutState | undefined, now: RolloutState): string[] {
  const lines: string[] = [];
  for (const step of now.step_results) {
    const earlier = before?.step_results[step.index];
    const label = `step ${step.index + 1}/${now.steps.length} (${Math.round(step.share * 10_000) / 100} %)`;
    if (earlier === undefined || earlier.started_at !== step.started_at) lines.push(`${label}: started`);
    const seen = earlier !== undefined && earlier.started_at === step.started_at ? earlier.windows.length : 0;
    for (const window of step.windows.slice(seen)) {
      const verdicts = window.verdicts.map((verdict) => `${verdict.guard}=${verdict.status}`).join(' ');
      lines.push(
        `${label}: window ${window.decision} (candidate ${window.figures.challenger.requests} req, ${window.figures.challenger.errors} failed; champion ${window.figures.champion.requests} req) ${verdicts}`,
      );
    }
  }
  if (now.status !== 'running' && before?.status !== now.status)
    lines.push(
      now.status === 'promoted' ? `promoted v${now.candidate_version}` : `${now.status}: ${now.ended_because}`,
    );
  return lines;
}

export async function runRolloutCli(
  args: readonly string[],
  environment: Record<string, string | undefined> = process.env,
  pollMs = 1000,
  output: CommandOutput = processOutput,
): Promise<number> {
  try {
    const options = parseRolloutArguments(args, environment);
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${environment['REGISTRY_ADMIN_TOKEN'] ?? ''}`,
    };
    const base = `${options.server}/models/${encodeURIComponent(options.model)}/rollouts`;
    const created = await fetch(base, { method: 'POST', headers, body: JSON.stringify(options.body) });
    const answer = (await created.json()) as RolloutState & { detail?: string; title?: string };
    if (created.status !== 201) {
      output.stderr(
        `[FAILED] rollout: HTTP ${created.status}: ${answer.detail ?? answer.title ?? JSON.stringify(answer)}`,
      );
      return created.status === 409 && /refused/.test(answer.detail ?? '') ? ROLLOUT_EXIT.reverted : ROLLOUT_EXIT.error;
    }
    output.stdout(`rollout ${answer.id}: v${answer.candidate_version} against v${answer.champion_version}`);
    let before: RolloutState | undefined;
    for (;;) {
      const response = await fetch(`${base}/${answer.id}`, { headers });
      if (response.ok) {
        const now = (await response.json()) as RolloutState;
        for (const line of describeProgress(before, now)) output.stdout(line);
        before = now;
        if (now.status === 'promoted') return ROLLOUT_EXIT.promoted;
        if (now.status === 'reverted' || now.status === 'aborted') return ROLLOUT_EXIT.reverted;
        if (now.status === 'failed') return ROLLOUT_EXIT.error;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } catch (error) {
    output.stderr(`[FAILED] rollout: ${error instanceof Error ? error.message : String(error)}`);
    return ROLLOUT_EXIT.error;
  }
}
