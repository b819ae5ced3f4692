/**
 * A deterministic stratified train/test split: each class is shuffled with a seeded generator and
 * its share of the test set taken from the front, so both sides keep the class balance of the whole
 * data and the same seed always gives the same rows.
 */
import { OptionError, SplitError } from '../errors';
import { randomIndex, seededRandom, type UniformRandom } from '../random/seeded-random';

/** Default share of rows held out for evaluation. */
export const DEFAULT_TEST_SHARE = 0.2;

/** A split as row indices (0-based, ascending, into the loaded rows), ready for JSON. */
export interface SplitIndices {
  seed: number;
  testShare: number;
  train: number[];
  test: number[];
}

/**
 * Splits rows with binary labels into train and test, stratified by label.
 *
 * The test set has `ceil(testShare · n)` rows (as scikit-learn's `train_test_split`). Each class gets
 * `testSize · n_c / n` of them, rounded down, and the rows left over go to the classes with the
 * largest remainders (ties to class 1); every class keeps at least one row on each side. Rows of each
 * class are shuffled by Fisher–Yates with {@link seededRandom}(seed), class 0 first.
 *
 * @param labels one 0/1 label per row; not modified.
 * @throws SplitError when a class has fewer than two rows or a label is not 0/1.
 * @throws OptionError when testShare is not in (0, 1) or the seed is not an integer in [0, 2^32).
 * @example stratifiedSplit(Uint8Array.of(0, 0, 0, 0, 1, 1, 1, 1, 1, 1), 7, 0.2).test.length // 2
 */
export function stratifiedSplit(labels: ArrayLike<number>, seed: number, testShare = DEFAULT_TEST_SHARE): SplitIndices {
  if (!(testShare > 0 && testShare < 1))
    throw new OptionError(`testShare must be between 0 and 1 exclusive, got ${testShare}`);
  const random = seededRandom(seed);
  const byClass: number[][] = [[], []];
  for (let row = 0; row < labels.length; row += 1) {
    const label = labels[row];
    if (label !== 0 && label !== 1) throw new SplitError(`row ${row}: label must be 0 or 1, got ${label}`);
    byClass[label].push(row);
  }
  byClass.forEach((rows, label) => {
    if (rows.length < 2) {
      throw new SplitError(`class ${label} has ${rows.length} row(s); a stratified split needs at least 2 per class`);
    }
  });
  const testSizes = allocateTestRows(
    byClass.map((rows) => rows.length),
    Math.ceil(testShare * labels.length),
  );
  const inTest = new Uint8Array(labels.length);
  byClass.forEach((rows, label) => {
    const shuffled = shuffle(rows, random);
    for (let k = 0; k < testSizes[label]; k += 1) inTest[shuffled[k]] = 1;
  });
  return { seed, testShare, ...sidesInRowOrder(inTest) };
}

/**
 * Train and test rows in ascending order, read off a mark per row in one pass: no sort, whose
 * comparator calls cost most of a small split before V8 has optimised them.
 */
function sidesInRowOrder(inTest: Uint8Array): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let row = 0; row < inTest.length; row += 1) (inTest[row] === 1 ? test : train).push(row);
  return { train, test };
}

/** Largest-remainder allocation of `testTotal` rows over classes, at least one row per side each. */
function allocateTestRows(classSizes: number[], testTotal: number): number[] {
  const total = classSizes.reduce((a, b) => a + b, 0);
  const exact = classSizes.map((size) => (testTotal * size) / total);
  const sizes = exact.map(Math.floor);
  let leftOver = testTotal - sizes.reduce((a, b) => a + b, 0);
  const byRemainder = classSizes
    .map((_, label) => label)
    .sort((a, b) => exact[b] - sizes[b] - (exact[a] - sizes[a]) || b - a);
  for (const label of byRemainder) {
    if (leftOver === 0) break;
    sizes[label] += 1;
    leftOver -= 1;
  }
  return sizes.map((size, label) => Math.min(Math.max(size, 1), classSizes[label] - 1));
}

/** Fisher–Yates shuffle of a copy. */
function shuffle(values: readonly number[], random: UniformRandom): number[] {
  const result = [...values];
  for (let i = result.length - 1; i > 0; i -= 1) {
    const j = randomIndex(random, i + 1);
    const held = result[i];
    result[i] = result[j];
    result[j] = held;
  }
  return result;
}
