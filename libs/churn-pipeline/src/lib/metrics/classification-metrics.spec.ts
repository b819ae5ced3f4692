import { MetricsError } from '../errors';
import { confusionMatrix, evaluateClassifier, f1From, logLoss, precisionFrom, rocAuc } from './classification-metrics';

// The values against scikit-learn are checked in test/sklearn-parity.spec.ts; these are the edges.
describe('classification metrics', () => {
  it('counts a confusion matrix', () => {
    expect(confusionMatrix([0, 1, 1, 0, 1], [0, 1, 0, 1, 1])).toEqual({
      trueNegatives: 1,
      falsePositives: 1,
      falseNegatives: 1,
      truePositives: 2,
    });
  });

  it('gives 0 precision and F1 when nothing is predicted positive (scikit-learn zero_division)', () => {
    const matrix = confusionMatrix([0, 1], [0, 0]);
    expect([precisionFrom(matrix), f1From(matrix)]).toEqual([0, 0]);
  });

  it('treats tied scores as one ROC point', () => {
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
  });

  it('refuses a single class, mismatched lengths and probabilities outside [0, 1]', () => {
    expect(() => rocAuc([1, 1], [0.2, 0.3])).toThrow(
      new MetricsError('ROC AUC is undefined when only one class is present in the labels'),
    );
    expect(() => confusionMatrix([1], [1, 0])).toThrow(new MetricsError('1 labels but 2 predictions'));
    expect(() => logLoss([1], [1.2])).toThrow(MetricsError);
  });

  it('does not modify its inputs', () => {
    const labels = [1, 0, 1, 0];
    const probabilities = [0.9, 0.8, 0.3, 0.1];
    evaluateClassifier(labels, probabilities);
    expect([labels, probabilities]).toEqual([
      [1, 0, 1, 0],
      [0.9, 0.8, 0.3, 0.1],
    ]);
  });
});
