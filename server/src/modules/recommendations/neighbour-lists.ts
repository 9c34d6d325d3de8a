/**
 * Top neighbours of every item in compressed sparse row form: the neighbours of item `i` are
 * `items[offsets[i]]` … `items[offsets[i + 1] - 1]`, best first, with their similarity in `scores`.
 */
export interface NeighbourLists {
  offsets: Uint32Array;
  items: Int32Array;
  scores: Float32Array;
}

export const EMPTY_NEIGHBOURS: NeighbourLists = {
  offsets: new Uint32Array(1),
  items: new Int32Array(0),
  scores: new Float32Array(0),
};

/** Collects each item's neighbour list in item order and packs them into one NeighbourLists. */
export class NeighbourListsWriter {
  private readonly offsets: Uint32Array;
  private items: Int32Array;
  private scores: Float32Array;
  private length = 0;
  private nextItem = 0;

  constructor(private readonly itemCount: number) {
    this.offsets = new Uint32Array(itemCount + 1);
    this.items = new Int32Array(Math.max(16, itemCount * 4));
    this.scores = new Float32Array(this.items.length);
  }

  /** Appends the neighbours of the next item, which must be `item`; pass them best first. */
  append(item: number, neighbours: ArrayLike<number>, scores: ArrayLike<number>, count: number) {
    if (item !== this.nextItem) {
      throw new Error(`neighbour lists must be appended in item order: expected ${this.nextItem}`);
    }
    if (this.length + count > this.items.length) this.grow(this.length + count);
    for (let k = 0; k < count; k++) {
      this.items[this.length] = neighbours[k] as number;
      this.scores[this.length] = scores[k] as number;
      this.length++;
    }
    this.nextItem++;
    this.offsets[this.nextItem] = this.length;
  }

  finish(): NeighbourLists {
    while (this.nextItem < this.itemCount) this.append(this.nextItem, [], [], 0);
    return {
      offsets: this.offsets,
      items: this.items.slice(0, this.length),
      scores: this.scores.slice(0, this.length),
    };
  }

  private grow(minLength: number) {
    const length = Math.max(minLength, this.items.length * 2);
    const items = new Int32Array(length);
    items.set(this.items);
    const scores = new Float32Array(length);
    scores.set(this.scores);
    this.items = items;
    this.scores = scores;
  }
}

/**
 * Keeps the `limit` best of `count` candidates held in `items`/`scores` (scratch arrays that are
 * reordered in place) and returns how many were kept, best first. Ties go to the lower item index,
 * so results do not depend on the order candidates were found in.
 */
export function keepBest(
  items: Int32Array,
  scores: Float64Array,
  count: number,
  limit: number,
): number {
  const order = Array.from({ length: count }, (_, k) => k);
  order.sort(
    (a, b) =>
      (scores[b] as number) - (scores[a] as number) || (items[a] as number) - (items[b] as number),
  );
  const kept = Math.min(limit, count);
  const keptItems = order.slice(0, kept).map((k) => items[k] as number);
  const keptScores = order.slice(0, kept).map((k) => scores[k] as number);
  items.set(keptItems);
  scores.set(keptScores);
  return kept;
}
