/**
 * A small seeded pseudo-random generator, so that splits and synthetic data are the same on every
 * machine and every run for the same seed (`Math.random` cannot be seeded).
 *
 * Mulberry32 (Tommy Ettinger, 2017; public domain): a 32-bit state advanced by a Weyl sequence
 * (+0x6D2B79F5) and scrambled by two multiply-xorshift rounds. Period 2^32, passes gjrand and
 * PractRand up to the limits of its 32-bit output; ample for shuffling rows and drawing synthetic
 * customers, and not for cryptography.
 * Reference: https://gist.github.com/tommyettinger/46a874533244883189143505d203312c
 */
import { OptionError } from '../errors';

/** A stream of uniform numbers in [0, 1), each with 32 random bits. */
export type UniformRandom = () => number;

/**
 * Creates a Mulberry32 generator.
 *
 * @param seed an integer in [0, 2^32).
 * @throws OptionError when the seed is not such an integer.
 * @example const next = seededRandom(42); next(); // 0.6011037519201636
 */
export function seededRandom(seed: number): UniformRandom {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new OptionError(`seed must be an integer from 0 to ${2 ** 32 - 1}, got ${seed}`);
  }
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n) from `random` (bias below 2^-32 · n, negligible for row counts). */
export function randomIndex(random: UniformRandom, n: number): number {
  return Math.floor(random() * n);
}

/** A standard normal draw by the Box–Muller transform (two uniforms per draw; simplicity over speed). */
export function randomNormal(random: UniformRandom): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
