import { FitError, OptionError } from '../errors';
import { choleskySolve, fitLogisticRegression, sigmoid } from './logistic-regression';

/** A small separable-ish problem: one feature, labels mostly following its sign. */
const design = { values: Float64Array.of(-2, -1, -0.5, 0.5, 1, 2, -1.5, 1.5), rowCount: 8, featureCount: 1 };
const labels = Uint8Array.of(0, 0, 1, 0, 1, 1, 0, 1);

describe('fitLogisticRegression', () => {
  it('converges with a decreasing loss record and a gradient below the tolerance', () => {
    const fit = fitLogisticRegression(design, labels, { tolerance: 1e-12 });
    expect(fit.converged).toBe(true);
    expect(fit.lossHistory).toHaveLength(fit.iterations + 1);
    // Each step decreases the loss, except that a final full step may be taken within rounding
    // (relative 1e-12, the solver's documented slack) once the decrease is below what a sum can resolve.
    for (let k = 1; k < fit.lossHistory.length; k += 1) {
      expect(fit.lossHistory[k]).toBeLessThanOrEqual(fit.lossHistory[k - 1] * (1 + 1e-12));
    }
    expect(fit.lossHistory[fit.lossHistory.length - 1]).toBeLessThan(fit.lossHistory[0]);
    expect(fit.gradientNormHistory[fit.gradientNormHistory.length - 1]).toBeLessThanOrEqual(1e-12);
  });

  it('satisfies the optimality conditions of C·Σ wᵢ·lossᵢ + ½‖β‖² (intercept not penalised)', () => {
    for (const classWeight of [null, 'balanced'] as const) {
      const fit = fitLogisticRegression(design, labels, { C: 0.7, classWeight, tolerance: 1e-13 });
      const [w0, w1] = fit.classWeights;
      let gradientCoefficient = fit.coefficients[0];
      let gradientIntercept = 0;
      for (let i = 0; i < 8; i += 1) {
        const residual =
          0.7 *
          (labels[i] === 1 ? w1 : w0) *
          (sigmoid(design.values[i] * fit.coefficients[0] + fit.intercept) - labels[i]);
        gradientCoefficient += residual * design.values[i];
        gradientIntercept += residual;
      }
      // The stopping rule bounds the gradient at 1e-13 · C · Σw ≈ 6e-13; 1e-10 allows for rounding.
      expect(Math.abs(gradientCoefficient)).toBeLessThan(1e-10);
      expect(Math.abs(gradientIntercept)).toBeLessThan(1e-10);
    }
  });

  it('reaches the optimum on one-hot data whose rows share indicator patterns', () => {
    // Two continuous columns and two one-hot blocks (3 and 2 levels, one row with a block all zeros),
    // so rows repeat indicator patterns and the solver sums their Hessian blocks per pattern; the
    // optimality conditions are checked row by row, independently of that grouping.
    const rowCount = 60;
    const width = 7;
    const values = new Float64Array(rowCount * width);
    const oneHotLabels = new Uint8Array(rowCount);
    for (let i = 0; i < rowCount; i += 1) {
      const row = values.subarray(i * width, (i + 1) * width);
      row[0] = Math.sin(i * 1.7);
      row[1] = i % 5 === 0 ? 0 : Math.cos(i * 0.3);
      if (i !== 7) row[2 + (i % 3)] = 1;
      row[5 + ((i >> 1) % 2)] = 1;
      oneHotLabels[i] = Math.sin(i * 2.3) + row[0] + row[2] > 0.4 ? 1 : 0;
    }
    const fit = fitLogisticRegression({ values, rowCount, featureCount: width }, oneHotLabels, { tolerance: 1e-13 });
    expect(fit.converged).toBe(true);
    const gradient = [...fit.coefficients, 0];
    for (let i = 0; i < rowCount; i += 1) {
      const row = values.subarray(i * width, (i + 1) * width);
      let z = fit.intercept;
      for (let j = 0; j < width; j += 1) z += row[j] * fit.coefficients[j];
      const residual = sigmoid(z) - oneHotLabels[i];
      for (let j = 0; j < width; j += 1) gradient[j] += residual * row[j];
      gradient[width] += residual;
    }
    // The stopping rule bounds the gradient at 1e-13 · C · n = 6e-12; 1e-10 allows for rounding.
    for (const component of gradient) expect(Math.abs(component)).toBeLessThan(1e-10);
  });

  it('weighs classes n / (2 · count) when balanced', () => {
    expect(
      fitLogisticRegression(design, Uint8Array.of(0, 0, 0, 0, 0, 0, 1, 1), { classWeight: 'balanced' }).classWeights,
    ).toEqual([8 / 12, 8 / 4]);
  });

  it('does not modify its inputs', () => {
    const values = design.values.slice();
    const labelCopy = labels.slice();
    fitLogisticRegression(design, labels);
    expect(design.values).toEqual(values);
    expect(labels).toEqual(labelCopy);
  });

  it('refuses a single class, non-finite values, mismatched sizes and bad options', () => {
    expect(() => fitLogisticRegression(design, new Uint8Array(8))).toThrow(
      new FitError('the training rows hold a single class (8 negatives, 0 positives)'),
    );
    expect(() =>
      fitLogisticRegression({ ...design, values: Float64Array.of(1, Number.NaN, 0, 0, 0, 0, 0, 0) }, labels),
    ).toThrow(new FitError('design matrix value at row 1, feature 0 is NaN'));
    expect(() => fitLogisticRegression(design, labels.subarray(1))).toThrow(FitError);
    expect(() => fitLogisticRegression(design, labels, { C: 0 })).toThrow(OptionError);
  });

  it('reports iterations as they happen and stops at the iteration limit', () => {
    const seen: number[] = [];
    const fit = fitLogisticRegression(design, labels, {
      maxIterations: 1,
      onIteration: (iteration) => seen.push(iteration),
    });
    expect(fit).toMatchObject({ iterations: 1, converged: false });
    expect(seen).toEqual([0, 1]);
  });
});

describe('choleskySolve', () => {
  it('solves a symmetric positive definite system', () => {
    const x = new Float64Array(2);
    choleskySolve(Float64Array.of(4, 2, 2, 3), Float64Array.of(2, 1), x, 2);
    expect(Array.from(x)).toEqual([0.5, 0]);
    expect(() => choleskySolve(Float64Array.of(1, 2, 2, 1), Float64Array.of(1, 1), x, 2)).toThrow(FitError);
  });
});

describe('sigmoid', () => {
  it('is 1 / (1 + e^−z) on either sign, finite and in [0, 1] far past where e^|z| overflows', () => {
    for (const z of [-30, -2.5, -1e-9, 0, 1e-9, 2.5, 30]) {
      // Both forms divide by a number ≥ 1 after one exp, so they agree to a few units in the last place.
      expect(sigmoid(z)).toBeCloseTo(1 / (1 + Math.exp(-z)), 15);
    }
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-30)).toBeGreaterThan(0);
    // The negative side is e^z / (1 + e^z): its relative accuracy holds where 1 − sigmoid(−z) has none left.
    expect(sigmoid(-40) / Math.exp(-40)).toBeCloseTo(1, 12);
  });
});
