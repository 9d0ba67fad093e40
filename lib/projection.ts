// Fewer dimensions for the story vectors: a linear projection onto the subspace that keeps the
// movies' dot products best (the top eigenvectors of their uncentred second-moment matrix,
// i.e. a truncated SVD), fitted when the vector files are built. The files then hold the
// projected vectors, so the command line, the precomputed picks and the page all rank on the
// same, smaller ones (the page downloads 128 int8 values a movie instead of 512).
// Pure and browser-safe.
import { normalise, type Int8VectorSet, type VectorSet } from "./vectors.ts";

/** `dims` orthonormal rows of `sourceDims` values each: y = basis · x. */
export interface Projection {
  sourceDims: number;
  dims: number;
  basis: Float32Array;
}

export class ProjectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProjectionError";
  }
}

export interface FitOptions {
  /** Rows the fit reads, from the first (the catalogue is ordered most popular first). */
  maxRows?: number;
  /** Subspace iterations; the ranking only depends on the subspace, which settles quickly. */
  iterations?: number;
}

function rowValues(set: VectorSet | Int8VectorSet, row: number, out: Float64Array): void {
  const off = row * set.dims;
  if (set.data instanceof Int8Array) {
    const scale = (set as Int8VectorSet).scales[row];
    for (let i = 0; i < set.dims; i++) out[i] = set.data[off + i] * scale;
  } else {
    for (let i = 0; i < set.dims; i++) out[i] = set.data[off + i];
  }
}

/** Modified Gram–Schmidt on the `k` columns of the column-major `q` (d values each), in place. */
function orthonormalise(q: Float64Array, d: number, k: number): void {
  for (let c = 0; c < k; c++) {
    const col = c * d;
    for (let p = 0; p < c; p++) {
      const prev = p * d;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[col + i] * q[prev + i];
      for (let i = 0; i < d; i++) q[col + i] -= dot * q[prev + i];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += q[col + i] * q[col + i];
    norm = Math.sqrt(norm);
    // A column that vanished (data of lower rank) restarts from a unit axis, re-orthogonalised next round.
    if (norm < 1e-12) {
      q.fill(0, col, col + d);
      q[col + (c % d)] = 1;
    } else {
      for (let i = 0; i < d; i++) q[col + i] /= norm;
    }
  }
}

/**
 * Fits a projection to `dims` dimensions on the rows of `set`, deterministically (a fixed
 * starting basis), so the same vectors always give the same projection.
 */
export function fitProjection(set: VectorSet | Int8VectorSet, dims: number, options: FitOptions = {}): Projection {
  const d = set.dims;
  if (!Number.isInteger(dims) || dims < 1 || dims > d) throw new ProjectionError(`a projection of ${d}-dimensional vectors needs 1 to ${d} dimensions, got ${dims}`);
  const rows = Math.min(set.ids.length, options.maxRows ?? 20_000);
  if (rows === 0) throw new ProjectionError("cannot fit a projection on no vectors");
  // The second-moment matrix, upper triangle first (the costly part: rows × d² / 2).
  const m = new Float64Array(d * d);
  const x = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    rowValues(set, r, x);
    for (let i = 0; i < d; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const off = i * d;
      for (let j = i; j < d; j++) m[off + j] += xi * x[j];
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) m[i * d + j] = m[j * d + i];
  // Subspace iteration from a fixed pseudo-random basis (a small LCG: reproducible everywhere).
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 0x100000000 - 0.5;
  };
  let q = new Float64Array(d * dims);
  for (let i = 0; i < q.length; i++) q[i] = random();
  orthonormalise(q, d, dims);
  const iterations = options.iterations ?? 30;
  for (let it = 0; it < iterations; it++) {
    const z = new Float64Array(d * dims);
    for (let c = 0; c < dims; c++) {
      const col = c * d;
      for (let i = 0; i < d; i++) {
        const row = i * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += m[row + j] * q[col + j];
        z[col + i] = s;
      }
    }
    orthonormalise(z, d, dims);
    q = z;
  }
  return { sourceDims: d, dims, basis: Float32Array.from(q) };
}

/** The set projected and each row renormalised, so dot products stay cosines. */
export function projectVectors(set: VectorSet | Int8VectorSet, projection: Projection): VectorSet {
  if (set.dims !== projection.sourceDims) {
    throw new ProjectionError(`the projection takes ${projection.sourceDims}-dimensional vectors, these have ${set.dims}`);
  }
  const { dims, basis, sourceDims } = projection;
  const out = new Float32Array(set.ids.length * dims);
  const x = new Float64Array(sourceDims);
  const y = new Float64Array(dims);
  for (let r = 0; r < set.ids.length; r++) {
    rowValues(set, r, x);
    for (let c = 0; c < dims; c++) {
      const off = c * sourceDims;
      let s = 0;
      for (let i = 0; i < sourceDims; i++) s += basis[off + i] * x[i];
      y[c] = s;
    }
    out.set(normalise(y), r * dims);
  }
  return { embedderId: set.embedderId, dims, ids: set.ids.slice(), data: out };
}
