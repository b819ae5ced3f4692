import { OptionError, SplitError } from '../errors';
import { seededRandom } from '../random/seeded-random';
import { stratifiedSplit } from './stratified-split';

/** 7043 labels with Telco's balance (1869 positive), in a scattered order. */
const labels = Uint8Array.from({ length: 7043 }, (_, i) => ((i * 7919) % 7043 < 1869 ? 1 : 0));

describe('seededRandom', () => {
  it('is Mulberry32: the published first output for seed 42', () => {
    expect(seededRandom(42)()).toBe(0.6011037519201636);
  });

  it('refuses seeds that are not 32-bit unsigned integers', () => {
    expect(() => seededRandom(-1)).toThrow(OptionError);
    expect(() => seededRandom(1.5)).toThrow(OptionError);
  });
});

describe('stratifiedSplit', () => {
  it('is the same for the same seed and different for another seed', () => {
    const first = stratifiedSplit(labels, 42);
    expect(stratifiedSplit(labels, 42)).toEqual(first);
    expect(stratifiedSplit(labels, 43).test).not.toEqual(first.test);
  });

  it('holds out ceil(0.2 n) rows, keeps the class balance, covers every row once, and is JSON-able', () => {
    const split = stratifiedSplit(labels, 42);
    expect(split.test).toHaveLength(Math.ceil(0.2 * 7043));
    const positives = (rows: number[]): number => rows.filter((row) => labels[row] === 1).length;
    // Largest-remainder allocation: the test set's positives are 0.2 · 1869 rounded either way.
    expect([373, 374]).toContain(positives(split.test));
    expect(positives(split.train) + positives(split.test)).toBe(1869);
    const all = [...split.train, ...split.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 7043 }, (_, i) => i));
    expect(split.train).toEqual([...split.train].sort((a, b) => a - b));
    expect(JSON.parse(JSON.stringify(split))).toEqual(split);
  });

  it('keeps at least one row of each class on each side', () => {
    const split = stratifiedSplit(Uint8Array.of(1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 1, 0.1);
    expect(split.test.filter((row) => row < 2)).toHaveLength(1);
    expect(split.train.filter((row) => row < 2)).toHaveLength(1);
  });

  it('splits a million rows (no argument spreading that would overflow the stack)', () => {
    const many = Uint8Array.from({ length: 1_000_000 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const split = stratifiedSplit(many, 9);
    expect([split.train.length, split.test.length]).toEqual([800_000, 200_000]);
  });

  it('does not modify the labels', () => {
    const copy = labels.slice();
    stratifiedSplit(labels, 5);
    expect(labels).toEqual(copy);
  });

  it('refuses a class with fewer than two rows and a bad test share', () => {
    expect(() => stratifiedSplit(Uint8Array.of(1, 0, 0, 0), 1)).toThrow(
      new SplitError('class 1 has 1 row(s); a stratified split needs at least 2 per class'),
    );
    expect(() => stratifiedSplit(labels, 1, 1)).toThrow(OptionError);
  });
});
