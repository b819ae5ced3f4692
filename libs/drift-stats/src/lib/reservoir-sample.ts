import { DriftInputError, requireFiniteNumbers } from './errors';
import { SeededRandom } from './seeded-random';

/** JSON form of a ReservoirSample. */
export interface ReservoirSampleJson {
  capacity: number;
  seen: number;
  values: number[];
  random_state: number;
}

/**
 * A uniform random sample of at most `capacity` values from a stream of any length, in O(capacity)
 * memory: Vitter's Algorithm R (keep the first `capacity` values, then replace a random kept value
 * with the t-th value with probability capacity / t). While the stream is no longer than the
 * capacity, the sample is the whole stream, in arrival order.
 *
 * Reference: Vitter J. S. (1985), Random sampling with a reservoir, ACM TOMS 11(1), 37–57.
 */
export class ReservoirSample {
  private readonly kept: number[];
  private readonly random: SeededRandom;
  private seenCount: number;

  /** @throws {DriftInputError} when capacity is not a positive integer or the seed is not an integer. */
  constructor(
    readonly capacity: number,
    seed: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new DriftInputError('capacity', `must be a positive integer, got ${capacity}`);
    }
    this.random = new SeededRandom(seed);
    this.kept = [];
    this.seenCount = 0;
  }

  /** How many values have been offered, kept or not. */
  get seen(): number {
    return this.seenCount;
  }

  /** A copy of the sample. */
  get values(): number[] {
    return [...this.kept];
  }

  /** Offers one value. @throws {DriftInputError} when it is not finite. */
  add(value: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DriftInputError('value', `expected a finite number, got ${String(value)}`);
    }
    this.seenCount += 1;
    if (this.kept.length < this.capacity) {
      this.kept.push(value);
      return;
    }
    const slot = this.random.nextInt(this.seenCount);
    if (slot < this.capacity) this.kept[slot] = value;
  }

  /**
   * A sample of both streams together, as if one reservoir had seen them all: `seen` adds up exactly,
   * and the kept values are a uniform sample of the union: each pick comes from one stream with
   * probability proportional to how many of its values are still unsampled (a hypergeometric split),
   * and is a uniform choice among that reservoir's values not yet taken. Neither input changes; the result continues this sample's
   * random sequence.
   *
   * @throws {DriftInputError} when the capacities differ.
   */
  merge(other: ReservoirSample): ReservoirSample {
    if (other.capacity !== this.capacity) {
      throw new DriftInputError(
        'other.capacity',
        `is ${other.capacity} but this sample's capacity is ${this.capacity}`,
      );
    }
    const merged = ReservoirSample.fromJSON(this.toJSON());
    merged.seenCount = this.seenCount + other.seenCount;
    if (merged.seenCount <= this.capacity) {
      merged.kept.push(...other.kept);
      return merged;
    }
    const pools = [[...this.kept], [...other.kept]];
    const unsampled = [this.seenCount, other.seenCount];
    merged.kept.length = 0;
    while (merged.kept.length < this.capacity) {
      const side = merged.random.next() * (unsampled[0] + unsampled[1]) < unsampled[0] ? 0 : 1;
      const pool = pools[side];
      const pick = merged.random.nextInt(pool.length);
      merged.kept.push(pool[pick]);
      pool[pick] = pool[pool.length - 1];
      pool.pop();
      unsampled[side] -= 1;
    }
    return merged;
  }

  toJSON(): ReservoirSampleJson {
    return {
      capacity: this.capacity,
      seen: this.seenCount,
      values: [...this.kept],
      random_state: this.random.snapshot(),
    };
  }

  /** @throws {DriftInputError} naming the field when the JSON is not a valid sample. */
  static fromJSON(json: ReservoirSampleJson, field = 'sample'): ReservoirSample {
    if (typeof json !== 'object' || json === null) throw new DriftInputError(field, 'expected an object');
    const sample = new ReservoirSample(json.capacity, json.random_state);
    if (!Number.isInteger(json.seen) || json.seen < 0) {
      throw new DriftInputError(`${field}.seen`, `must be an integer ≥ 0, got ${String(json.seen)}`);
    }
    requireFiniteNumbers(json.values, `${field}.values`);
    if (json.values.length !== Math.min(json.seen, json.capacity)) {
      throw new DriftInputError(
        `${field}.values`,
        `holds ${json.values.length} values but min(seen, capacity) is ${Math.min(json.seen, json.capacity)}`,
      );
    }
    sample.kept.push(...json.values);
    sample.seenCount = json.seen;
    return sample;
  }
}
