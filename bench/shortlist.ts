// Shortlist latency on synthetic unit vectors: 10k and 100k movies, 384-d and 512-d, one and
// three series, filtered to ~40% of the movies (as the engine passes the DuckDB result, an id
// array). Also the int8 vectors the site ships and MMR. Targets: < 20 ms (10k), < 150 ms (100k).
// Usage: node_modules/.bin/tsx bench/shortlist.ts [runs=21]. One JSON line on stdout.
import { queryVector, shortlist, type ShortlistOptions } from "../lib/shortlist.ts";
import { quantizeInt8, type VectorSet } from "../lib/vectors.ts";
import { randomUnitVector, seededRandom, syntheticVectorSet } from "../tests/fixtures/synthetic-vectors.ts";

const runs = Number(process.argv[2] ?? 21);
const TARGET_MS: Record<number, number> = { 10_000: 20, 100_000: 150 };
const log = (line: string) => process.stderr.write(`${line}\n`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall time of building the query and shortlisting, after two warm-up calls. */
function time(series: Float32Array[], options: Omit<ShortlistOptions, "query">): number {
  const once = () => shortlist({ ...options, query: queryVector(series.map((vector) => ({ vector }))) });
  once();
  once();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    once();
    samples.push(performance.now() - start);
  }
  return Number(median(samples).toFixed(2));
}

const results: Record<string, unknown>[] = [];
let pass = true;
for (const count of [10_000, 100_000]) {
  for (const dims of [384, 512]) {
    log(`shortlist: generating ${count} x ${dims} vectors`);
    const movies: VectorSet = syntheticVectorSet(count, dims, count + dims);
    const random = seededRandom(dims);
    const allowed = movies.ids.filter(() => random() < 0.4);
    const seriesSets = [1, 3].map((n) => Array.from({ length: n }, () => randomUnitVector(dims, random)));
    for (const series of seriesSets) {
      const ms = time(series, { movies, allowedIds: allowed, k: 30 });
      const ok = ms < TARGET_MS[count];
      pass &&= ok;
      results.push({ movies: count, dims, series: series.length, allowed: allowed.length, vectors: "float32", median_ms: ms, target_ms: TARGET_MS[count], ok });
    }
    // Unfiltered, int8 and MMR variants, one series: context for the figures above.
    const one = seriesSets[0];
    results.push({ movies: count, dims, series: 1, allowed: "all", vectors: "float32", median_ms: time(one, { movies, k: 30 }) });
    const int8 = quantizeInt8(movies);
    results.push({ movies: count, dims, series: 1, allowed: allowed.length, vectors: "int8", median_ms: time(one, { movies: int8, allowedIds: allowed, k: 30 }) });
    results.push({ movies: count, dims, series: 1, allowed: allowed.length, vectors: "float32", mmr: 0.7, median_ms: time(one, { movies, allowedIds: allowed, k: 30, mmr: { lambda: 0.7 } }) });
  }
}

console.log(JSON.stringify({ bench: "shortlist", runs, node: process.version, pass, results }));
