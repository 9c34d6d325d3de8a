type NumberArray = Int32Array | Uint32Array | Float64Array | Uint8Array;

/** A typed array that doubles its capacity as values are pushed, for counts not known up front. */
export class GrowableArray<A extends NumberArray> {
  private values: A;
  private size = 0;

  constructor(
    private readonly create: (length: number) => A,
    capacity = 1024,
  ) {
    this.values = create(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.values.length) {
      const larger = this.create(this.values.length * 2);
      larger.set(this.values);
      this.values = larger;
    }
    this.values[this.size++] = value;
  }

  at(index: number): number {
    return this.values[index] as number;
  }

  /** Returns the pushed values, sharing memory with this array until a push grows it. */
  view(): A {
    return this.values.subarray(0, this.size) as A;
  }

  /** Returns a right-sized copy of the pushed values, so the growable array can be dropped. */
  toArray(): A {
    return this.values.slice(0, this.size) as A;
  }
}

export const growableInt32 = (capacity?: number) =>
  new GrowableArray((length) => new Int32Array(length), capacity);
export const growableUint32 = (capacity?: number) =>
  new GrowableArray((length) => new Uint32Array(length), capacity);
export const growableFloat64 = (capacity?: number) =>
  new GrowableArray((length) => new Float64Array(length), capacity);
export const growableUint8 = (capacity?: number) =>
  new GrowableArray((length) => new Uint8Array(length), capacity);
