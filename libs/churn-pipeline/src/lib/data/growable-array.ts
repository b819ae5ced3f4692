/**
 * Append-only typed arrays that double their capacity: a column of a million rows costs 8 bytes a row
 * (numbers) or 4 bytes (category codes) instead of a JavaScript array of boxed values.
 */
type NumberArray = Float64Array | Int32Array | Uint8Array;

const INITIAL_CAPACITY = 1024;

/** A typed array being filled one value at a time; {@link toArray} returns an exact-length copy. */
export class GrowableArray<T extends NumberArray> {
  private storage: T;
  private size = 0;

  constructor(private readonly allocate: (capacity: number) => T) {
    this.storage = allocate(INITIAL_CAPACITY);
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.storage.length) {
      const larger = this.allocate(this.storage.length * 2);
      larger.set(this.storage);
      this.storage = larger;
    }
    this.storage[this.size] = value;
    this.size += 1;
  }

  toArray(): T {
    const result = this.allocate(this.size);
    result.set(this.storage.subarray(0, this.size));
    return result;
  }
}
