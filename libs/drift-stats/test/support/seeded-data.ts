import { SeededRandom } from '../../src';

/** n draws from N(mean, sd²) by Box–Muller on a seeded generator, so every run sees the same data. */
export function normalSample(n: number, mean: number, sd: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => {
    const u = 1 - random.next();
    const v = random.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

/** n draws of the given levels with the given probabilities. */
export function categoricalSample(
  n: number,
  levels: ReadonlyArray<string>,
  probabilities: ReadonlyArray<number>,
  seed: number,
): string[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => {
    let u = random.next();
    for (let i = 0; i < levels.length - 1; i++) {
      if (u < probabilities[i]) return levels[i];
      u -= probabilities[i];
    }
    return levels[levels.length - 1];
  });
}
