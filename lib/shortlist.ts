// Cosine ranking of movies against the chosen series, with optional MMR diversity.
// Pure and browser-safe. Rows are L2-normalised, so a dot product is the cosine.
import { rowOf, type Int8VectorSet, type VectorSet } from "./vectors.ts";

export interface SeriesVector {
  vector: ArrayLike<number>;
  /** Relative importance of this series; 1 when omitted. */
  weight?: number;
}

export interface ShortlistHit {
  id: number;
  /** Cosine between the query and the movie. */
  similarity: number;
  /** What the ranking used: similarity plus any boost. */
  score: number;
}

export interface ShortlistOptions {
  query: ArrayLike<number>;
  movies: VectorSet | Int8VectorSet;
  /** Only these movie ids may be returned (the filter result); all when omitted. */
  allowedIds?: Set<number> | readonly number[];
  k?: number;
  /** Maximal marginal relevance: lambda 1 is pure relevance, lower trades it for variety. */
  mmr?: { lambda: number; pool?: number };
  /** Extra score per movie id, added to the cosine before ranking (the lexical signal). */
  boosts?: ReadonlyMap<number, number>;
}

export class ShortlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShortlistError";
  }
}

/** Weighted mean of the series' normalised vectors, renormalised to unit length. */
export function queryVector(seriesRows: readonly SeriesVector[]): Float32Array {
  if (seriesRows.length === 0) throw new ShortlistError("choose at least one series to build a query");
  const dims = seriesRows[0].vector.length;
  const sum = new Float64Array(dims);
  let totalWeight = 0;
  for (const [index, { vector, weight = 1 }] of seriesRows.entries()) {
    if (vector.length !== dims) {
      throw new ShortlistError(`series vector ${index} has ${vector.length} dimensions, expected ${dims}`);
    }
    if (!Number.isFinite(weight) || weight < 0) {
      throw new ShortlistError(`series weight ${index} must be a finite number ≥ 0, got ${weight}`);
    }
    let norm = 0;
    for (let i = 0; i < dims; i++) norm += vector[i] * vector[i];
    norm = Math.sqrt(norm);
    if (norm === 0 || weight === 0) continue;
    for (let i = 0; i < dims; i++) sum[i] += (weight * vector[i]) / norm;
    totalWeight += weight;
  }
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += sum[i] * sum[i];
  norm = Math.sqrt(norm);
  if (totalWeight === 0 || norm === 0) {
    throw new ShortlistError("the series vectors cancel out or all weights are zero; give at least one series a positive weight");
  }
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) out[i] = sum[i] / norm;
  return out;
}

function isInt8(set: VectorSet | Int8VectorSet): set is Int8VectorSet {
  return set.data instanceof Int8Array;
}

/**
 * Row scorer for either vector kind. Int8 rows are scored in integers against an int8 copy
 * of the query, then scaled back by both per-row scales.
 */
function rowScorer(query: ArrayLike<number>, set: VectorSet | Int8VectorSet): (row: number) => number {
  const dims = set.dims;
  if (isInt8(set)) {
    let max = 0;
    for (let i = 0; i < dims; i++) max = Math.max(max, Math.abs(query[i]));
    const qScale = max / 127 || 1;
    const q = new Int8Array(dims);
    for (let i = 0; i < dims; i++) q[i] = Math.round(query[i] / qScale);
    const { data, scales } = set;
    return (row) => {
      const off = row * dims;
      let s = 0;
      for (let i = 0; i < dims; i++) s += q[i] * data[off + i];
      return s * qScale * scales[row];
    };
  }
  const q = Float32Array.from(query);
  const data = set.data;
  return (row) => {
    const off = row * dims;
    let s = 0;
    for (let i = 0; i < dims; i++) s += q[i] * data[off + i];
    return s;
  };
}

/** Similarity between two rows of the same set (for MMR). */
function pairScorer(set: VectorSet | Int8VectorSet): (a: number, b: number) => number {
  const dims = set.dims;
  if (isInt8(set)) {
    const { data, scales } = set;
    return (a, b) => {
      let s = 0;
      for (let i = 0; i < dims; i++) s += data[a * dims + i] * data[b * dims + i];
      return s * scales[a] * scales[b];
    };
  }
  const data = set.data;
  return (a, b) => {
    let s = 0;
    for (let i = 0; i < dims; i++) s += data[a * dims + i] * data[b * dims + i];
    return s;
  };
}

/**
 * Fixed-capacity min-heap of (score, row): keeps the best `capacity` rows seen in O(n log k)
 * without sorting everything. Ties go to the lower row so results are deterministic.
 */
class TopK {
  readonly scores: Float64Array;
  readonly rows: Int32Array;
  size = 0;
  constructor(readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.rows = new Int32Array(capacity);
  }
  // a ranks below b: lower score, or same score and higher row.
  private worse(i: number, j: number): boolean {
    const d = this.scores[i] - this.scores[j];
    return d < 0 || (d === 0 && this.rows[i] > this.rows[j]);
  }
  private swap(i: number, j: number) {
    const s = this.scores[i];
    this.scores[i] = this.scores[j];
    this.scores[j] = s;
    const r = this.rows[i];
    this.rows[i] = this.rows[j];
    this.rows[j] = r;
  }
  push(score: number, row: number) {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      this.scores[i] = score;
      this.rows[i] = row;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    const rootScore = this.scores[0];
    if (score < rootScore || (score === rootScore && row > this.rows[0])) return;
    this.scores[0] = score;
    this.rows[0] = row;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < this.size && this.worse(l, smallest)) smallest = l;
      if (r < this.size && this.worse(r, smallest)) smallest = r;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
  }
  /** Rows best first. */
  sorted(): { row: number; score: number }[] {
    const out: { row: number; score: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ row: this.rows[i], score: this.scores[i] });
    return out.sort((a, b) => b.score - a.score || a.row - b.row);
  }
}

// The rows of one allowed-id list, per vector set: several series of one request share them.
const rowCache = new WeakMap<object, WeakMap<object, Int32Array>>();

/** Rows of the allowed ids, ascending so the scan reads the vector data front to back. */
function candidateRows(movies: VectorSet | Int8VectorSet, allowedIds: ShortlistOptions["allowedIds"]): ArrayLike<number> | null {
  if (allowedIds === undefined) return null;
  const cached = rowCache.get(movies.ids)?.get(allowedIds);
  if (cached) return cached;
  const rows = allowedRows(movies, allowedIds);
  let perSet = rowCache.get(movies.ids);
  if (!perSet) rowCache.set(movies.ids, (perSet = new WeakMap()));
  perSet.set(allowedIds, rows);
  return rows;
}

function allowedRows(movies: VectorSet | Int8VectorSet, allowedIds: NonNullable<ShortlistOptions["allowedIds"]>): Int32Array {
  const rows: number[] = [];
  for (const id of allowedIds) {
    const row = rowOf(movies, id);
    if (row >= 0) rows.push(row);
  }
  return Int32Array.from(rows).sort();
}

/**
 * The `k` movies closest to `query`, best first, among `allowedIds` when given.
 * With `mmr`, the best ~3k by relevance are re-picked greedily for variety.
 */
export function shortlist(options: ShortlistOptions): ShortlistHit[] {
  const { query, movies, allowedIds, k = 30, mmr, boosts } = options;
  if (query.length !== movies.dims) {
    throw new ShortlistError(`query has ${query.length} dimensions but the movie vectors have ${movies.dims} (were they made by the same embedder?)`);
  }
  if (!Number.isInteger(k) || k < 0) throw new ShortlistError(`k must be a non-negative integer, got ${k}`);
  if (mmr && !(mmr.lambda >= 0 && mmr.lambda <= 1)) throw new ShortlistError(`mmr.lambda must be between 0 and 1, got ${mmr.lambda}`);
  const score = rowScorer(query, movies);
  const poolSize = mmr ? Math.max(k, mmr.pool ?? 3 * k) : k;
  const heap = new TopK(poolSize);
  const rows = candidateRows(movies, allowedIds);
  const count = rows ? rows.length : movies.ids.length;
  const ids = movies.ids;
  const similarities = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const row = rows ? rows[i] : i;
    const boost = boosts?.get(ids[row]) ?? 0;
    heap.push(score(row) + boost, row);
  }
  const ranked = heap.sorted();
  const hit = ({ row, score: s }: { row: number; score: number }): ShortlistHit => {
    const boost = boosts?.get(ids[row]) ?? 0;
    return { id: ids[row], similarity: boost ? score(row) : s, score: s };
  };
  if (!mmr || ranked.length <= 1) return ranked.slice(0, k).map(hit);
  return mmrSelect(ranked, k, mmr.lambda, pairScorer(movies)).map(hit);
}

/** Greedy maximal marginal relevance over a pool already sorted by relevance. */
function mmrSelect(
  pool: { row: number; score: number }[],
  k: number,
  lambda: number,
  pair: (a: number, b: number) => number,
): { row: number; score: number }[] {
  const chosen: { row: number; score: number }[] = [];
  const maxSimToChosen = new Float64Array(pool.length).fill(-Infinity);
  const taken = new Uint8Array(pool.length);
  while (chosen.length < Math.min(k, pool.length)) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < pool.length; i++) {
      if (taken[i]) continue;
      const redundancy = chosen.length ? maxSimToChosen[i] : 0;
      const value = lambda * pool[i].score - (1 - lambda) * redundancy;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    taken[best] = 1;
    chosen.push(pool[best]);
    for (let i = 0; i < pool.length; i++) {
      if (!taken[i]) maxSimToChosen[i] = Math.max(maxSimToChosen[i], pair(pool[i].row, pool[best].row));
    }
  }
  return chosen;
}
