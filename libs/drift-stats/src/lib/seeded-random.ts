import { DriftInputError } from './errors';

/**
 * A small seeded pseudo-random generator (Tommy Ettinger's Mulberry32) whose whole state is one
 * 32-bit integer, so a sampler can be written to JSON and resumed exactly. Statistical quality is
 * ample for choosing which rows to keep in a sample; it is not for cryptography.
 *
 * Reference: Mulberry32, https://gist.github.com/tommyettinger/46a874533244883189143505d203312c
 */
export class SeededRandom {
  private state: number;

  /** @throws {DriftInputError} when the seed is not an integer. */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new DriftInputError('seed', `must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** The current state; `new SeededRandom(r.snapshot())` continues the same sequence. */
  snapshot(): number {
    return this.state;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.next() * bound);
  }
}
