import { qualityGate } from './training-run';

describe('qualityGate', () => {
  it('passes a model whose F1 reaches the gate, the boundary included', () => {
    expect(qualityGate(0.61, 0.5)).toEqual({ threshold: 0.5, f1: 0.61, passed: true });
    expect(qualityGate(0.5, 0.5).passed).toBe(true);
  });

  it('refuses a model below the gate, with the reason', () => {
    expect(qualityGate(0.579, 0.99)).toEqual({
      threshold: 0.99,
      f1: 0.579,
      passed: false,
      reason: 'F1 0.5790 is below the gate 0.99',
    });
  });
});
