// The recommend path end to end, warm: the engine opens once on the catalogue imported from
// ../shared/data/raw (vectors from the cache after the first run), then answers a mix of
// requests (one and three series, with and without filters) with the fallback ranker, no LLM.
// Target: warm recommend < 1 s. Usage: node_modules/.bin/tsx bench/recommend.ts [rounds=5]
// One JSON line on stdout; progress on stderr.
import type { Filters } from "../lib/filters.ts";
import { openEngine, type RecommendRequest } from "../loaders/engine.ts";
import { RAW, rawAvailable, rawCatalogDir } from "./lib/raw-catalog.ts";

const rounds = Number(process.argv[2] ?? 5);
const TARGET_MS = 1000;

if (!rawAvailable()) {
  console.log(JSON.stringify({ bench: "recommend", skipped: `raw data absent: ${RAW}` }));
  process.exit(0);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const dir = await rawCatalogDir(log);
const openStart = performance.now();
const engine = await openEngine({ catalogDir: dir, log });
const openMs = performance.now() - openStart;

const crime: Filters = { genres: ["Crime", "Thriller"], minVotes: 500, yearFrom: 1990, yearTo: 2020 };
const mix: RecommendRequest[] = [
  { series: ["Breaking Bad"] },
  { series: ["Game of Thrones"], filters: { genres: ["Fantasy"], genreMode: "all" } },
  { series: ["The Office"], filters: { languages: ["en"], minPopularity: 10 } },
  { series: ["Stranger Things", "Dark", "The X-Files"] },
  { series: ["Money Heist"], filters: crime },
  { series: ["Friends", "Modern Family", "The Big Bang Theory"], filters: { genres: ["Comedy"], yearFrom: 2000 } },
  { series: ["Chernobyl"], filters: { excludeIds: [] } },
  { series: ["Sherlock"], limit: 20, k: 60 },
];
const requests = mix.map((r) => ({ ...r, useLlm: false }));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const firstStart = performance.now();
await engine.recommend(requests[0]);
const firstMs = performance.now() - firstStart;

const samples: number[] = [];
let picks = 0;
for (let round = 0; round < rounds; round++) {
  for (const request of requests) {
    const start = performance.now();
    const result = await engine.recommend(request);
    samples.push(performance.now() - start);
    picks += result.picks.length;
  }
}
engine.close();

const median = percentile(samples, 0.5);
const round2 = (x: number) => Number(x.toFixed(1));
console.log(
  JSON.stringify({
    bench: "recommend",
    embedder: engine.vectors.embedderId,
    movies: engine.catalog.movies.length,
    series: engine.catalog.series.length,
    open_ms: round2(openMs),
    first_call_ms: round2(firstMs),
    calls: samples.length,
    warm_median_ms: round2(median),
    warm_p90_ms: round2(percentile(samples, 0.9)),
    warm_max_ms: round2(Math.max(...samples)),
    target_ms: TARGET_MS,
    pass: percentile(samples, 0.9) < TARGET_MS,
    picks_per_call: round2(picks / samples.length),
  }),
);
