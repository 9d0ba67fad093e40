// Accuracy lost by shipping int8 vectors instead of float32: top-10 overlap of the
// nearest-neighbour rankings and the cosine error, on real TMDB overviews.
// Usage: node_modules/.bin/tsx bench/quantization.ts [texts=2000] [queries=200]
// Uses the configured embedder (EMBEDDING_BACKEND; energetic when offline); vectors are cached
// under cacheDir()/bench-vectors so a rerun takes seconds. Prints one JSON line on stdout.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { cacheDir } from "../loaders/shared/config.ts";
import { createEmbedder } from "../loaders/vectors/embedders.ts";
import { dot, quantizeInt8, type VectorSet } from "../lib/vectors.ts";
import { embedWithCache } from "../loaders/vectors/cache.ts";
import { writeVectorsParquet } from "../loaders/vectors/catalog-vectors.ts";
import { rawMovieTexts, RAW_TOP10K } from "./raw-overviews.ts";

const count = Number(process.argv[2] ?? 2000);
const queries = Number(process.argv[3] ?? 200);
const K = 10;
const texts = await rawMovieTexts(count);
if (!texts) {
  console.log(JSON.stringify({ bench: "quantization", skipped: `raw data absent: ${RAW_TOP10K}` }));
  process.exit(0);
}

const embedder = await createEmbedder();
const vectors = await embedWithCache(embedder, texts, { dir: path.join(cacheDir(), "bench-vectors") });
const { dims } = embedder;
const set: VectorSet = { embedderId: embedder.id, dims, ids: texts.map((_, i) => i), data: new Float32Array(texts.length * dims) };
vectors.forEach((v, i) => set.data.set(v, i * dims));
const q = quantizeInt8(set);

function topK(scores: Float64Array, self: number): number[] {
  const order = Array.from(scores.keys()).filter((i) => i !== self);
  order.sort((a, b) => scores[b] - scores[a]);
  return order.slice(0, K);
}

const n = texts.length;
const overlaps: number[] = [];
let maxError = 0;
let errorSum = 0;
for (let a = 0; a < Math.min(queries, n); a++) {
  const exact = new Float64Array(n);
  const approx = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    exact[b] = dot(set.data, a * dims, set.data, b * dims, dims);
    // What the browser computes from the shipped file: int8 dot product times both row scales.
    approx[b] = dot(q.data, a * dims, q.data, b * dims, dims) * q.scales[a] * q.scales[b];
    const error = Math.abs(exact[b] - approx[b]);
    maxError = Math.max(maxError, error);
    errorSum += error;
  }
  const exactTop = new Set(topK(exact, a));
  overlaps.push(topK(approx, a).filter((i) => exactTop.has(i)).length / K);
}

const dir = await mkdtemp(path.join(tmpdir(), "marquee-quant-"));
const file = path.join(dir, "vectors.parquet");
await writeVectorsParquet(q, file);
const parquetBytes = (await stat(file)).size;
await rm(dir, { recursive: true, force: true });

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
console.log(
  JSON.stringify({
    bench: "quantization",
    embedder: embedder.id,
    texts: n,
    queries: overlaps.length,
    top10OverlapMean: round(overlaps.reduce((s, x) => s + x, 0) / overlaps.length),
    top10OverlapMin: round(Math.min(...overlaps)),
    top10Identical: round(overlaps.filter((x) => x === 1).length / overlaps.length),
    cosineErrorMax: round(maxError, 5),
    cosineErrorMean: round(errorSum / (overlaps.length * n), 6),
    float32Bytes: n * dims * 4,
    int8Bytes: n * dims + n * 4,
    int8ParquetBytes: parquetBytes,
  }),
);
