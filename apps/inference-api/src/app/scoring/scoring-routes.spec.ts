import { invocationsResponseJson } from './scoring-routes';

describe('invocationsResponseJson', () => {
  it('writes exactly what JSON.stringify writes for the response object, float32 probabilities included', () => {
    const probabilities = Float32Array.from([0.1, 0.999999, 1e-8, 0, 1, 0.5, Number.NaN]);
    const labels = Int32Array.from([0, 1, 0, 0, 1, 1, 0]);
    const expected = JSON.stringify({
      predictions: Array.from(labels, (label, row) => ({ label, probability: probabilities[row] })),
    });
    expect(invocationsResponseJson({ labels, probabilities }, labels.length)).toBe(expected);
    expect(JSON.parse(invocationsResponseJson({ labels, probabilities }, 1))).toEqual({
      predictions: [{ label: 0, probability: probabilities[0] }],
    });
  });
});
