// Vector types and arithmetic shared by Node loaders and the browser shortlist.
// Pure: no node: imports, no I/O.

/** Float vectors, one L2-normalised row of `dims` values per id, rows packed in `data`. */
export interface VectorSet {
  embedderId: string;
  dims: number;
  ids: number[];
  data: Float32Array;
}

/** Int8 rows with one symmetric scale per row: value ≈ data[i] * scales[row]. */
export interface Int8VectorSet {
  embedderId: string;
  dims: number;
  ids: number[];
  data: Int8Array;
  scales: Float32Array;
}

/** The text embedded for a movie or a series, so both live in the same space. */
export function embeddingText(title: string, overview: string): string {
  const t = (title ?? "").trim();
  const o = (overview ?? "").trim();
  if (!o) return t;
  if (!t) return o;
  return /[.!?]$/.test(t) ? `${t} ${o}` : `${t}. ${o}`;
}

/** Returns a unit-length copy of `v`; a zero vector stays zero (it has no direction). */
export function normalise(v: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(v);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] * out[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

/** Dot product of `dims` values starting at the given offsets (rows of packed arrays). */
export function dot(
  a: ArrayLike<number>,
  aOffset: number,
  b: ArrayLike<number>,
  bOffset: number,
  dims: number,
): number {
  let s = 0;
  for (let i = 0; i < dims; i++) s += a[aOffset + i] * b[bOffset + i];
  return s;
}

/** Index of the row for `id`, or -1. Builds and memoises an id→row map per set. */
export function rowOf(set: { ids: number[] }, id: number): number {
  let index = rowIndexes.get(set.ids);
  if (!index) {
    index = new Map();
    for (let r = 0; r < set.ids.length; r++) index.set(set.ids[r], r);
    rowIndexes.set(set.ids, index);
  }
  return index.get(id) ?? -1;
}

// Keyed by the ids array so a set that is rebuilt gets a fresh index.
const rowIndexes = new WeakMap<number[], Map<number, number>>();

/** Per-row symmetric int8 quantisation: scale = max|x| / 127, q = round(x / scale). */
export function quantizeInt8(set: VectorSet): Int8VectorSet {
  const { dims, ids } = set;
  const rows = ids.length;
  const data = new Int8Array(rows * dims);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const off = r * dims;
    let max = 0;
    for (let i = 0; i < dims; i++) max = Math.max(max, Math.abs(set.data[off + i]));
    const scale = max / 127;
    scales[r] = scale;
    if (scale === 0) continue;
    for (let i = 0; i < dims; i++) {
      data[off + i] = Math.max(-127, Math.min(127, Math.round(set.data[off + i] / scale)));
    }
  }
  return { embedderId: set.embedderId, dims, ids: ids.slice(), data, scales };
}

/** Float values of one quantised row (not renormalised: the error stays visible). */
export function dequantizeRow(set: Int8VectorSet, row: number): Float32Array {
  const out = new Float32Array(set.dims);
  const off = row * set.dims;
  const scale = set.scales[row];
  for (let i = 0; i < set.dims; i++) out[i] = set.data[off + i] * scale;
  return out;
}

/** Float set from a quantised one, each row renormalised so dot products stay cosines. */
export function dequantize(set: Int8VectorSet): VectorSet {
  const data = new Float32Array(set.ids.length * set.dims);
  for (let r = 0; r < set.ids.length; r++) {
    data.set(normalise(dequantizeRow(set, r)), r * set.dims);
  }
  return { embedderId: set.embedderId, dims: set.dims, ids: set.ids.slice(), data };
}
