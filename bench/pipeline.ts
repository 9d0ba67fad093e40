// The ranking pipeline's latency (lib/pipeline.ts: dense + BM25 + franchise retrieval, fusion,
// sharing) on synthetic catalogues of 10k and 100k movies with int8 vectors of the files' default size (DEFAULT_VECTOR_DIMS), as the page
// and the command line run it, for one and three series, filtered to ~40% of the movies.
// Target: ≤ 10 ms median for one series at 10k movies. Building the context (indexes) is timed
// apart: it happens once per catalogue. Usage: node_modules/.bin/tsx bench/pipeline.ts [runs=15].
import { createRankingContext, rankingInput, type RankableMovie, type RankableSeries } from "../lib/pipeline.ts";
import { quantizeInt8 } from "../lib/vectors.ts";
import { seededRandom, syntheticVectorSet } from "../tests/fixtures/synthetic-vectors.ts";
import { DEFAULT_VECTOR_DIMS } from "../loaders/vectors/files.ts";

const runs = Number(process.argv[2] ?? 15);
const TARGET_MS = 10;
const log = (line: string) => process.stderr.write(`${line}\n`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.floor(sorted.length / 2)].toFixed(2));
}

/** Words with a Zipf-like spread, so postings are as skewed as real overviews'. */
function wordMaker(random: () => number): () => string {
  const vocabulary = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}`);
  return () => vocabulary[Math.floor(vocabulary.length * random() ** 3)];
}

const results: Record<string, unknown>[] = [];
let pass = true;
for (const count of [10_000, 100_000]) {
  const random = seededRandom(count);
  const word = wordMaker(random);
  const text = (n: number) => Array.from({ length: n }, word).join(" ");
  log(`pipeline: generating ${count} movies`);
  const movies: RankableMovie[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    title: text(1 + Math.floor(random() * 4)),
    year: 1950 + Math.floor(random() * 75),
    genre_names: ["Drama"],
    overview: text(40),
    popularity: random() * 100,
    vote_average: random() * 10,
    vote_count: Math.floor(random() * 10_000),
    language: "en",
  }));
  const series: RankableSeries[] = Array.from({ length: 3 }, (_, i) => ({ id: 1_000_000 + i, name: text(2), year: 2015, genre_names: ["Drama"], overview: text(40), language: "en" }));
  const vectors = {
    movies: quantizeInt8({ ...syntheticVectorSet(count, DEFAULT_VECTOR_DIMS, count), ids: movies.map((m) => m.id) }),
    series: quantizeInt8({ ...syntheticVectorSet(3, DEFAULT_VECTOR_DIMS, count + 1), ids: series.map((s) => s.id) }),
  };
  const built = performance.now();
  const context = createRankingContext(movies, vectors);
  const contextMs = Number((performance.now() - built).toFixed(1));
  const allowedIds = movies.filter(() => random() < 0.4).map((m) => m.id);
  for (const n of [1, 3]) {
    const request = { series: series.slice(0, n).map((s) => ({ series: s })), allowedIds, filters: {} };
    rankingInput(context, request);
    const samples: number[] = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      rankingInput(context, request);
      samples.push(performance.now() - start);
    }
    const ms = median(samples);
    const target = count === 10_000 && n === 1 ? TARGET_MS : undefined;
    if (target !== undefined) pass &&= ms <= target;
    results.push({ movies: count, series: n, allowed: allowedIds.length, median_ms: ms, context_ms: contextMs, ...(target !== undefined ? { target_ms: target, ok: ms <= target } : {}) });
  }
}

console.log(JSON.stringify({ bench: "pipeline", runs, node: process.version, pass, results }));
