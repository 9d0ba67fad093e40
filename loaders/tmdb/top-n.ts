// The N best ranking keys seen so far, in a bounded min-heap: the N-th best is the threshold a
// source must beat to be worth another page. Pure: no I/O.

/** Where a title ranks: higher popularity first, then the earlier sighting. */
export interface RankKey {
  popularity: number;
  /** Order of sighting; breaks popularity ties so the ranking is total. */
  seq: number;
}

/** True when `a` ranks strictly before `b`. */
export function ranksBefore(a: RankKey, b: RankKey): boolean {
  return a.popularity > b.popularity || (a.popularity === b.popularity && a.seq < b.seq);
}

export class TopN {
  // heap[0] is the worst of the kept keys, so a better newcomer replaces it in O(log N).
  readonly #heap: RankKey[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`size must be a positive whole number, got ${size}`);
  }

  get full(): boolean {
    return this.#heap.length >= this.size;
  }

  /** The N-th best key once N keys were added; undefined before. */
  get last(): RankKey | undefined {
    return this.full ? this.#heap[0] : undefined;
  }

  add(key: RankKey): void {
    const heap = this.#heap;
    if (heap.length < this.size) {
      heap.push(key);
      this.#up(heap.length - 1);
    } else if (ranksBefore(key, heap[0])) {
      heap[0] = key;
      this.#down(0);
    }
  }

  #up(index: number): void {
    const heap = this.#heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!ranksBefore(heap[parent], heap[index])) break;
      [heap[parent], heap[index]] = [heap[index], heap[parent]];
      index = parent;
    }
  }

  #down(index: number): void {
    const heap = this.#heap;
    for (;;) {
      let worst = index;
      for (const child of [2 * index + 1, 2 * index + 2]) {
        if (child < heap.length && ranksBefore(heap[worst], heap[child])) worst = child;
      }
      if (worst === index) return;
      [heap[worst], heap[index]] = [heap[index], heap[worst]];
      index = worst;
    }
  }
}
