/**
 * A rollout's state, kept in MLflow (one run per rollout in the experiment `<model>.rollouts`, run
 * status RUNNING while it is under way) so that it survives a registry-admin restart and every
 * replica or command line reads the same one.
 */
import {
  InvalidParameterValueError,
  MlflowClient,
  ResourceDoesNotExistError,
  tagsToRecord,
  type Run,
} from '@churn/mlflow-client';

import type { GuardSettings, GuardVerdict } from './rollout-guards';
import { leaseOf, type Lease } from './rollout-lease';

export type RolloutStatus = 'running' | 'promoted' | 'reverted' | 'aborted' | 'failed';

/** What one window of a step measured, and what the guards said. */
export interface RolloutWindow {
  /** When its figures started to be read (they count what the replicas served until each answered). */
  closed_at: string;
  figures: {
    champion: { requests: number; errors: number; scores: number | null };
    challenger: { requests: number; errors: number; scores: number | null };
    replicas: number;
    unreachable: string[];
  };
  verdicts: GuardVerdict[];
  decision: 'pass' | 'breach' | 'hold';
}

export interface RolloutStep {
  index: number;
  share: number;
  started_at: string;
  ended_at: string | null;
  outcome: 'running' | 'passed' | 'breached' | 'held_too_long' | 'aborted';
  windows: RolloutWindow[];
}

export interface RolloutPlan {
  /** Challenger shares of the steps, rising, each below 1; the promotion follows the last. */
  steps: number[];
  step_seconds: number;
  min_requests: number;
  /** Windows a step may be extended by while a guard lacks data, before the rollout reverts. */
  max_holds: number;
  guards: GuardSettings;
}

export interface RolloutState extends RolloutPlan {
  id: string;
  model: string;
  candidate_version: string;
  champion_version: string;
  actor: string;
  reason: string | null;
  status: RolloutStatus;
  /** Why it ended: the breached guard, the abort, the manual move; null while running or promoted. */
  ended_because: string | null;
  created_at: string;
  ended_at: string | null;
  /** From the breached window's close (before its figures are read) to the last replica's push answer (the revert bench). */
  revert_ms: number | null;
  step_results: RolloutStep[];
}

/** A rollout as stored, and the lease of the replica driving it (null: none ever written). */
export interface LeasedRollout {
  state: RolloutState;
  lease: Lease | null;
  /** Why another replica asked the driver to abort it; null when none did. */
  abortRequest: string | null;
  /** Who set out to end it and how; null until someone did (see {@link RolloutStore.claimEnd}). */
  endClaim: EndClaim | null;
  /**
   * Whether its start went on past the race with other starts ({@link RolloutStore.markWentOn}), so
   * it may have pointed aliases and taken traffic. A rollout is created marked as not gone on; one
   * with no mark at all was created before the mark existed and reads as gone on.
   */
  wentOn: boolean;
}

/**
 * One attempt to end a rollout: `by` names the replica and the attempt, `because` is cut to fit a
 * param. `generation` counts the attempts: 1 for the first claim, one more for each replica that
 * took over an end whose claimer stopped.
 */
export interface EndClaim {
  by: string;
  status: Exclude<RolloutStatus, 'running'>;
  because: string | null;
  generation: number;
}

const ENDED_STATUSES: readonly EndClaim['status'][] = ['promoted', 'reverted', 'aborted', 'failed'];

/** The param of the first end claim; later generations add `.<generation>`. */
export const END_CLAIM_PARAM = 'rollout.end';
/** MLflow keeps param values up to 6000 characters (longer ones are cut); a claim stays under this. */
const CLAIM_VALUE_LIMIT = 5000;

function endClaimParam(generation: number): string {
  return generation === 1 ? END_CLAIM_PARAM : `${END_CLAIM_PARAM}.${generation}`;
}

const ABORT_REQUEST_TAG = 'rollout.abort_request';
export const WENT_ON_TAG = 'rollout.went_on';

const STATE_TAG = 'rollout.state';
const STEP_TAG = (index: number) => `rollout.step.${index}`;
/** MLflow keeps tag values up to 8000 characters; a step keeps its last windows within that. */
const TAG_LIMIT = 7900;

export class RolloutStore {
  private readonly experimentIds = new Map<string, string>();

  constructor(private readonly mlflow: MlflowClient) {}

  static experimentName(model: string): string {
    return `${model}.rollouts`;
  }

  /**
   * Creates the rollout's run (its id is the rollout's id), with `tags` written alongside its first
   * state and its mark as not gone on yet ({@link markWentOn}).
   */
  async create(state: Omit<RolloutState, 'id'>, tags: Record<string, string> = {}): Promise<RolloutState> {
    const experimentId = (await this.experimentId(state.model, true)) as string;
    const run = await this.mlflow.runs.create({
      experiment_id: experimentId,
      run_name: `rollout v${state.champion_version} -> v${state.candidate_version}`,
      start_time: Date.now(),
      tags: { 'mlflow.user': state.actor, model: state.model, candidate_version: state.candidate_version },
    });
    const created = { ...state, id: run.info.run_id };
    await this.save(created, { [WENT_ON_TAG]: 'false', ...tags });
    return created;
  }

  /** Writes the state and every step; the run ends (FINISHED/FAILED) once the rollout has. */
  async save(state: RolloutState, extraTags: Record<string, string> = {}): Promise<void> {
    const { step_results: steps, ...rest } = state;
    const tags: Record<string, string> = { ...extraTags, [STATE_TAG]: JSON.stringify(rest), status: state.status };
    for (const step of steps) tags[STEP_TAG(step.index)] = fitStep(step);
    await this.mlflow.runs.logBatch({ run_id: state.id, tags });
    if (state.status !== 'running')
      await this.mlflow.runs.update({
        run_id: state.id,
        status: state.status === 'promoted' ? 'FINISHED' : 'FAILED',
        end_time: Date.now(),
      });
  }

  /** @returns undefined when no rollout of this model has this id */
  async get(model: string, id: string): Promise<RolloutState | undefined> {
    return (await this.read(model, id))?.state;
  }

  /** The rollout and the lease of the replica driving it. @returns undefined when no rollout of this model has this id */
  async read(model: string, id: string): Promise<LeasedRollout | undefined> {
    let run: Run;
    try {
      run = await this.mlflow.runs.get(id);
    } catch (error) {
      if (error instanceof ResourceDoesNotExistError) return undefined;
      throw error;
    }
    const state = stateOf(run);
    return state?.model === model ? leased(run, state) : undefined;
  }

  /**
   * Marks that the rollout's start found it the model's first running rollout and goes on to point
   * the aliases: before this mark, it never took traffic (see {@link LeasedRollout.wentOn}).
   */
  async markWentOn(id: string): Promise<void> {
    await this.mlflow.runs.logBatch({ run_id: id, tags: { [WENT_ON_TAG]: 'true' } });
  }

  /** Asks the replica driving the rollout to abort it, saying why (it reads this at its next watch tick). */
  async requestAbort(id: string, because: string): Promise<void> {
    await this.mlflow.runs.logBatch({ run_id: id, tags: { [ABORT_REQUEST_TAG]: because } });
  }

  /**
   * Claims the right to end the rollout, once per generation: a run param, which MLflow refuses to
   * change (its database rejects a second row for the key), so of replicas claiming the same
   * generation at the same moment exactly one gets it. The same claim sent again (the client's
   * retry of a request whose answer was lost) succeeds.
   * @returns null when the claim is this one; the claim that stands when another got there first
   */
  async claimEnd(id: string, claim: EndClaim): Promise<EndClaim | null> {
    const { generation, ...fields } = claim;
    let because = fields.because;
    let value = JSON.stringify({ ...fields, because });
    // Cut by the text's escaped length: a reason of control characters grows six-fold in JSON.
    while (value.length > CLAIM_VALUE_LIMIT && because !== null) {
      because = because.slice(0, Math.floor(because.length / 2));
      value = JSON.stringify({ ...fields, because });
    }
    try {
      await this.mlflow.runs.logParameter({ run_id: id, key: endClaimParam(generation), value });
      return null;
    } catch (error) {
      if (!(error instanceof InvalidParameterValueError)) throw error;
      const standing = endClaimOf(await this.mlflow.runs.get(id));
      if (standing === null || standing.generation < generation || standing.by === claim.by) throw error;
      return standing;
    }
  }

  /** Rollouts still under way (run RUNNING), of one model or of every model with a rollout experiment. */
  async active(model?: string): Promise<LeasedRollout[]> {
    const ids: string[] = [];
    if (model !== undefined) {
      const id = await this.experimentId(model, false);
      if (id !== undefined) ids.push(id);
    } else {
      for await (const experiment of this.mlflow.experiments.search({ filter: "name LIKE '%.rollouts'" }))
        ids.push(experiment.experiment_id);
    }
    if (ids.length === 0) return [];
    const runs = await this.mlflow.runs
      .search({ experiment_ids: ids, filter: "attributes.status = 'RUNNING'", max_results: 100 })
      .toArray();
    return runs
      .map((run) => {
        const state = stateOf(run);
        return state?.status === 'running' ? leased(run, state) : undefined;
      })
      .filter((entry): entry is LeasedRollout => entry !== undefined);
  }

  private async experimentId(model: string, create: boolean): Promise<string | undefined> {
    const cached = this.experimentIds.get(model);
    if (cached !== undefined) return cached;
    const name = RolloutStore.experimentName(model);
    let id: string;
    if (create) id = (await this.mlflow.experiments.getOrCreate(name)).experiment_id;
    else {
      try {
        id = (await this.mlflow.experiments.getByName(name)).experiment_id;
      } catch (error) {
        if (error instanceof ResourceDoesNotExistError) return undefined;
        throw error;
      }
    }
    this.experimentIds.set(model, id);
    return id;
  }
}

/** A step as JSON within the tag limit: its earliest windows are dropped first (the latest decided it). */
function fitStep(step: RolloutStep): string {
  let windows = step.windows;
  let text = JSON.stringify(step);
  while (text.length > TAG_LIMIT && windows.length > 1) {
    windows = windows.slice(1);
    text = JSON.stringify({ ...step, windows, windows_dropped: step.windows.length - windows.length });
  }
  return text;
}

function leased(run: Run, state: RolloutState): LeasedRollout {
  const tags = tagsToRecord(run.data.tags ?? []);
  return {
    state,
    lease: leaseOf(run),
    abortRequest: tags[ABORT_REQUEST_TAG] ?? null,
    endClaim: endClaimOf(run),
    wentOn: tags[WENT_ON_TAG] !== 'false',
  };
}

/** The latest generation's end claim; one that cannot be read ends the rollout as failed, saying so. */
function endClaimOf(run: Run): EndClaim | null {
  const params = new Map((run.data.params ?? []).map((param) => [param.key, param.value]));
  let generation = 0;
  while (params.has(endClaimParam(generation + 1))) generation++;
  if (generation === 0) return null;
  const text = params.get(endClaimParam(generation)) as string;
  try {
    const claim = JSON.parse(text) as Partial<EndClaim>;
    if (typeof claim.by === 'string' && ENDED_STATUSES.includes(claim.status as EndClaim['status']))
      return { by: claim.by, status: claim.status as EndClaim['status'], because: claim.because ?? null, generation };
  } catch {
    // Read as unreadable below.
  }
  return {
    by: 'unknown',
    status: 'failed',
    because: `its end claim could not be read: ${text.slice(0, 200)}`,
    generation,
  };
}

function stateOf(run: Run): RolloutState | undefined {
  const tags = tagsToRecord(run.data.tags ?? []);
  const text = tags[STATE_TAG];
  if (text === undefined) return undefined;
  const state = JSON.parse(text) as Omit<RolloutState, 'step_results'>;
  const steps: RolloutStep[] = [];
  for (let index = 0; tags[STEP_TAG(index)] !== undefined; index++)
    steps.push(JSON.parse(tags[STEP_TAG(index)]) as RolloutStep);
  return { ...state, id: run.info.run_id, step_results: steps };
}
