/** A rollout's plan from its request: defaults filled in, steps checked to rise. */
import { InvalidFieldError } from '../errors/registry-errors';
import { DEFAULT_GUARDS, type GuardSettings } from './rollout-guards';
import type { RolloutPlan } from './rollout-state';

export const DEFAULT_PLAN = { steps: [0.05, 0.25, 0.5], step_seconds: 300, min_requests: 100, max_holds: 3 } as const;

/**
 * @throws {InvalidFieldError} naming `steps` when the shares do not rise
 * @example planOf({}).steps // [0.05, 0.25, 0.5]
 */
export function planOf(request: {
  steps?: number[];
  step_seconds?: number;
  min_requests?: number;
  max_holds?: number;
  guards?: Partial<GuardSettings>;
}): RolloutPlan {
  const steps = request.steps ?? [...DEFAULT_PLAN.steps];
  for (let index = 1; index < steps.length; index++)
    if (!(steps[index] > steps[index - 1]))
      throw new InvalidFieldError(
        'steps',
        `must rise from step to step (step ${index + 1} is ${steps[index]}, after ${steps[index - 1]})`,
      );
  const overrides = Object.fromEntries(Object.entries(request.guards ?? {}).filter(([, value]) => value !== undefined));
  return {
    steps,
    step_seconds: request.step_seconds ?? DEFAULT_PLAN.step_seconds,
    min_requests: request.min_requests ?? DEFAULT_PLAN.min_requests,
    max_holds: request.max_holds ?? DEFAULT_PLAN.max_holds,
    guards: { ...DEFAULT_GUARDS, ...overrides },
  };
}
