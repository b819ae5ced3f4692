import { describeProgress, parseRolloutArguments } from './rollout-cli';
import type { RolloutState } from './rollout-state';

describe('rollout command line', () => {
  it('builds the request from --flag=value arguments', () => {
    expect(
      parseRolloutArguments(['--to=3', '--steps=5%,25%,0.5', '--step-seconds=4', '--model-name=m'], {
        REGISTRY_ADMIN_URL: 'http://admin:8001/',
      }),
    ).toEqual({
      server: 'http://admin:8001',
      model: 'm',
      body: { to: '3', steps: [0.05, 0.25, 0.5], step_seconds: 4 },
    });
  });

  it('names the flag at fault', () => {
    expect(() => parseRolloutArguments([], {})).toThrow(/^--to: is required/);
    expect(() => parseRolloutArguments(['--to=3', '--force'], {})).toThrow(/^--force: unknown flag/);
    expect(() => parseRolloutArguments(['--to=3', '--step-seconds=x'], {})).toThrow(
      /^--step-seconds: must be a number/,
    );
  });

  it('prints each step once, as it happens, and the end', () => {
    const state = (status: RolloutState['status'], windows: number): RolloutState =>
      ({
        id: 'r',
        steps: [0.05],
        status,
        candidate_version: '2',
        ended_because: status === 'reverted' ? 'guard error_rate breached' : null,
        step_results: [
          {
            index: 0,
            share: 0.05,
            started_at: 't',
            ended_at: null,
            outcome: 'running',
            windows: Array.from({ length: windows }, () => ({
              closed_at: 't',
              decision: 'breach',
              verdicts: [{ guard: 'error_rate', status: 'breach', value: 0.1, threshold: 0.01, detail: '' }],
              figures: {
                champion: { requests: 90, errors: 0, scores: 90 },
                challenger: { requests: 10, errors: 1, scores: 10 },
                replicas: 2,
                unreachable: [],
              },
            })),
          },
        ],
      }) as unknown as RolloutState;
    const first = describeProgress(undefined, state('running', 0));
    expect(first).toEqual(['step 1/1 (5 %): started']);
    const next = describeProgress(state('running', 0), state('reverted', 1));
    expect(next).toHaveLength(2);
    expect(next[0]).toContain('window breach');
    expect(next[1]).toBe('reverted: guard error_rate breached');
  });
});
