import { InvalidFieldError } from '../errors/registry-errors';
import { DEFAULT_GUARDS } from './rollout-guards';
import { planOf } from './rollout-plan';

describe('planOf', () => {
  it('fills in the defaults: 5 % → 25 % → 50 %, every guard at its default', () => {
    expect(planOf({})).toEqual({
      steps: [0.05, 0.25, 0.5],
      step_seconds: 300,
      min_requests: 100,
      max_holds: 3,
      guards: DEFAULT_GUARDS,
    });
  });

  it('keeps per-rollout overrides and the other defaults', () => {
    const plan = planOf({ steps: [0.1, 0.6], step_seconds: 3, guards: { max_score_psi: 0.5 } });
    expect(plan.guards).toEqual({ ...DEFAULT_GUARDS, max_score_psi: 0.5 });
    expect(plan.steps).toEqual([0.1, 0.6]);
  });

  it('refuses steps that do not rise, naming steps', () => {
    expect(() => planOf({ steps: [0.5, 0.25] })).toThrow(InvalidFieldError);
    expect(() => planOf({ steps: [0.5, 0.5] })).toThrow(/^steps must rise/);
  });
});
