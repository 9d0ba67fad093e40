// Recommendation quality on our labelled sets, split dev/test (tune on dev, report test):
//   - franchise (bench/franchise-pairs.json): a series and the movies of its franchise;
//   - thematic (bench/thematic-pairs.json): a series and the movies critics agree its fans enjoy;
//   - collisions (thematic-pairs.json "collisions"): unrelated movies sharing a series' name,
//     which must stay out of the top 10;
//   - pairs of thematic series chosen together: the list must serve both.
// Rankers, all without an LLM and under the default filters:
//   - tfidf: plain TF-IDF cosine over title + overview (bench/lib/tfidf.ts);
//   - previous: the ranker before the fusion (cosine shortlist with the title-overlap boost,
//     then the blended fallback order);
//   - current: lib/pipeline.ts + lib/fallback.ts, exactly what the command line and the page run.
// Metrics per set and split: recall@10, hit@10, nDCG@10 (binary relevance). The ablation
// drops one signal of the current ranker at a time, on the test split.
//   node_modules/.bin/tsx bench/quality.ts            report (one JSON line on stdout)
//   node_modules/.bin/tsx bench/quality.ts --tune     grid search of the fusion weights on dev only
// Runs on the catalogue imported from ../shared/data/raw (skipped when absent); progress on stderr.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { yearOf, type Movie, type Series } from "../lib/catalog.ts";
import { fallbackRank } from "../lib/fallback.ts";
import { LEXICAL_WEIGHT, buildLexicalIndex, lexicalBoosts, lexicalScores } from "../lib/lexical.ts";
import {
  RANKING_WEIGHTS,
  RESULT_LIMIT,
  SHORTLIST_SIZE,
  createRankingContext,
  fuseSignals,
  rankingInput,
  seriesSignals,
  shareByWeight,
  type RankableMovie,
  type RankableSeries,
  type RankingWeights,
  type SeriesSignals,
} from "../lib/pipeline.ts";
import type { RerankCandidate } from "../lib/rerank-types.ts";
import { queryVector, shortlist } from "../lib/shortlist.ts";
import { dequantizeRow, rowOf } from "../lib/vectors.ts";
import { readCatalog } from "../loaders/catalog/store.ts";
import { catalogVectorFiles } from "../loaders/vectors/files.ts";
import { cosine, fitTfIdf } from "./lib/tfidf.ts";
import { RAW, rawAvailable, rawCatalogDir } from "./lib/raw-catalog.ts";

const K = RESULT_LIMIT;

if (!rawAvailable()) {
  console.log(JSON.stringify({ bench: "quality", skipped: `raw data absent: ${RAW}` }));
  process.exit(0);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
type Split = "dev" | "test";
interface Pair {
  series: number;
  name: string;
  movies: number[];
  split: Split;
}
interface Collision {
  series: number;
  movie: number;
  title: string;
}

async function labelled(file: string): Promise<{ pairs: Pair[]; collisions: Collision[] }> {
  const json = JSON.parse(await readFile(path.join(import.meta.dirname, file), "utf8")) as { pairs: Pair[]; collisions?: Collision[] };
  return { pairs: json.pairs, collisions: json.collisions ?? [] };
}

const dir = await rawCatalogDir(log);
const catalog = await readCatalog(dir);
const files = await catalogVectorFiles({ catalogDir: dir, catalog, log });
const movies: RankableMovie[] = catalog.movies.map((m: Movie) => ({ ...m, year: yearOf(m.release_date) }));
const seriesById = new Map<number, RankableSeries>(catalog.series.map((s: Series) => [s.id, { ...s, year: yearOf(s.first_air_date) }]));
const movieIds = new Set(movies.map((m) => m.id));
const allowedIds = catalog.movies.filter((m) => m.age_appropriate).map((m) => m.id);
const allowed = new Set(allowedIds);

function usable(pairs: Pair[]): Pair[] {
  return pairs
    .map((p) => ({ ...p, movies: p.movies.filter((id) => movieIds.has(id) && allowed.has(id)) }))
    .filter((p) => seriesById.has(p.series) && rowOf(files.series, p.series) >= 0 && p.movies.length > 0);
}
const franchise = await labelled("franchise-pairs.json");
const thematic = await labelled("thematic-pairs.json").catch(() => ({ pairs: [] as Pair[], collisions: [] as Collision[] }));
const sets: Record<string, Pair[]> = { franchise: usable(franchise.pairs), thematic: usable(thematic.pairs) };
// Collisions alternate between the splits in file order, so tuning never sees the test half.
const collisions = thematic.collisions
  .filter((c) => seriesById.has(c.series) && movieIds.has(c.movie))
  .map((c, i) => ({ ...c, split: (i % 2 === 0 ? "dev" : "test") as Split }));

const context = createRankingContext(movies, { movies: files.movies, series: files.series });
const filters = { ageAppropriateOnly: true };

/** A ranker: the top K movie ids for one or several series. */
type Ranker = (series: number[]) => number[];

// The current ranker, end to end: pipeline then the fallback's order.
const current =
  (weights: Readonly<RankingWeights>): Ranker =>
  (series) => {
    const ctx = { ...context, weights };
    const input = rankingInput(ctx, { series: series.map((id) => ({ series: seriesById.get(id)! })), allowedIds, filters });
    return fallbackRank(input).picks.map((p) => p.id);
  };

// The current ranker from cached signals, for tuning and ablation (same fusion, same sharing).
const signalCache = new Map<number, SeriesSignals>();
function signalsOf(id: number): SeriesSignals {
  let s = signalCache.get(id);
  if (!s) signalCache.set(id, (s = seriesSignals(context, seriesById.get(id)!, allowed, allowedIds)));
  return s;
}
const fused =
  (weights: Readonly<RankingWeights>): Ranker =>
  (series) => {
    const rankings = series.map((id) => fuseSignals(context, signalsOf(id), weights));
    return shareByWeight(rankings, series.map(() => 1), K).map((p) => p.id);
  };

// The ranker before the fusion: cosine shortlist of 30 with the title-overlap boost, then the
// fallback's blend (candidates without a pipeline score are ranked by it).
const lexicon = buildLexicalIndex(movies);
const movieById = new Map(movies.map((m) => [m.id, m]));
const previous: Ranker = (series) => {
  const names = series.map((id) => seriesById.get(id)!.name);
  const query = queryVector(series.map((id) => ({ vector: dequantizeRow(files.series, rowOf(files.series, id)) })));
  const overlaps = lexicalScores(lexicon, names);
  const hits = shortlist({ query, movies: files.movies, allowedIds, k: SHORTLIST_SIZE, boosts: lexicalBoosts(lexicon, names, LEXICAL_WEIGHT) });
  const candidates: RerankCandidate[] = hits.map((h) => {
    const m = movieById.get(h.id)!;
    return {
      id: m.id, title: m.title, year: m.year, genres: m.genre_names, overview: m.overview, popularity: m.popularity,
      vote_average: m.vote_average, vote_count: m.vote_count, similarity: h.similarity, shared_genres: [], title_overlap: overlaps.get(m.id) ?? 0,
    };
  });
  const rs = series.map((id) => seriesById.get(id)!).map((s) => ({ id: s.id, name: s.name, year: s.year, genres: s.genre_names, overview: s.overview }));
  return fallbackRank({ series: rs, filters, candidates, limit: K }).picks.map((p) => p.id);
};

const tfidfModel = fitTfIdf([...movies.map((m) => `${m.title} ${m.overview}`), ...[...seriesById.values()].map((s) => `${s.name} ${s.overview}`)]);
const movieTfIdf = movies.filter((m) => allowed.has(m.id)).map((m) => ({ id: m.id, v: tfidfModel.vectorize(`${m.title} ${m.overview}`) }));
const tfidf: Ranker = (series) => {
  const scores = new Map<number, number>();
  for (const id of series) {
    const s = seriesById.get(id)!;
    const q = tfidfModel.vectorize(`${s.name} ${s.overview}`);
    for (const { id: m, v } of movieTfIdf) scores.set(m, (scores.get(m) ?? 0) + cosine(q, v));
  }
  return [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, K).map(([id]) => id);
};

interface Metrics {
  series: number;
  recall_at_10: number;
  hit_at_10: number;
  ndcg_at_10: number;
}

function metrics(rank: Ranker, pairs: readonly Pair[]): Metrics {
  let recall = 0;
  let hit = 0;
  let ndcg = 0;
  for (const p of pairs) {
    const top = rank([p.series]).slice(0, K);
    const relevant = new Set(p.movies);
    const found = top.filter((id) => relevant.has(id)).length;
    recall += found / Math.min(relevant.size, K);
    hit += found > 0 ? 1 : 0;
    const dcg = top.reduce((sum, id, i) => sum + (relevant.has(id) ? 1 / Math.log2(i + 2) : 0), 0);
    const ideal = Array.from({ length: Math.min(relevant.size, K) }, (_, i) => 1 / Math.log2(i + 2)).reduce((a, b) => a + b, 0);
    ndcg += dcg / ideal;
  }
  const n = Math.max(1, pairs.length);
  const r = (x: number) => Number((x / n).toFixed(3));
  return { series: pairs.length, recall_at_10: r(recall), hit_at_10: r(hit), ndcg_at_10: r(ndcg) };
}

const bySplit = (pairs: readonly Pair[], split: Split) => pairs.filter((p) => p.split === split);

/** Title collisions of a split in the top 10 (fewer is better). */
function collisionsIn(rank: Ranker, split: Split): { in_top_10: number; of: number; which: string[] } {
  const mine = collisions.filter((c) => c.split === split);
  const which = mine.filter((c) => rank([c.series]).includes(c.movie)).map((c) => `${seriesById.get(c.series)!.name} → ${c.title}`);
  return { in_top_10: which.length, of: mine.length, which };
}

/** Two thematic series chosen together: share of lists holding kin of both in the top 10. */
function bothServed(rank: Ranker, pairs: readonly Pair[]): { lists: number; both_served: number } {
  let both = 0;
  let lists = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const [a, b] = [pairs[i], pairs[i + 1]];
    const top = new Set(rank([a.series, b.series]));
    lists++;
    if (a.movies.some((id) => top.has(id)) && b.movies.some((id) => top.has(id))) both++;
  }
  return { lists, both_served: Number((both / Math.max(1, lists)).toFixed(3)) };
}

function report(rank: Ranker) {
  const out: Record<string, unknown> = {};
  for (const [name, pairs] of Object.entries(sets)) out[name] = { dev: metrics(rank, bySplit(pairs, "dev")), test: metrics(rank, bySplit(pairs, "test")) };
  out.collisions = { dev: collisionsIn(rank, "dev"), test: collisionsIn(rank, "test") };
  out.two_series = { dev: bothServed(rank, bySplit(sets.thematic, "dev")), test: bothServed(rank, bySplit(sets.thematic, "test")) };
  return out;
}

/** The dev objective the weights are tuned for: franchise recall and thematic hit rate, collisions penalised. */
function devObjective(rank: Ranker): number {
  const f = metrics(rank, bySplit(sets.franchise, "dev"));
  const t = metrics(rank, bySplit(sets.thematic, "dev"));
  return f.recall_at_10 + t.hit_at_10 + t.ndcg_at_10 - 0.1 * collisionsIn(rank, "dev").in_top_10;
}

log(`quality: ${movies.length} movies; ${Object.entries(sets).map(([n, p]) => `${n} ${bySplit(p, "dev").length} dev / ${bySplit(p, "test").length} test`).join(", ")}; ${collisions.length} collisions; ${files.embedderId}`);

if (process.argv.includes("--tune")) {
  // --tune '{"franchise":[0,1]}' narrows the grid: the given lists replace the defaults.
  const narrowed = process.argv[process.argv.indexOf("--tune") + 1];
  const grid = {
    lexical: [0, 0.3, 0.6, 1],
    franchise: [0, 1.5, 3, 6],
    metadata: [0, 1],
    quality: [0, 0.3, 0.6],
    popularity: [0, 0.2, 0.5],
    language: [0, 0.2],
    genre: [0, 0.6],
    reach: [0, 1],
    ...(narrowed?.startsWith("{") ? (JSON.parse(narrowed) as Record<string, number[]>) : {}),
  };
  const results: { weights: RankingWeights; objective: number }[] = [];
  let done = 0;
  const total = Object.values(grid).reduce((n, values) => n * values.length, 1);
  for (const lexical of grid.lexical)
    for (const franchiseWeight of grid.franchise)
      for (const metadata of grid.metadata)
        for (const quality of grid.quality)
          for (const popularity of grid.popularity)
            for (const language of grid.language)
              for (const genre of grid.genre)
                for (const reach of grid.reach) {
            const weights = { dense: 1, lexical, franchise: franchiseWeight, metadata, quality, popularity, language, genre, reach };
            results.push({ weights, objective: devObjective(fused(weights)) });
            if (++done % 50 === 0) log(`tune: ${done}/${total}`);
          }
  results.sort((a, b) => b.objective - a.objective);
  const detail = (weights: RankingWeights) => ({
    franchise: metrics(fused(weights), bySplit(sets.franchise, "dev")),
    thematic: metrics(fused(weights), bySplit(sets.thematic, "dev")),
    collisions: collisionsIn(fused(weights), "dev").in_top_10,
  });
  console.log(
    JSON.stringify({
      bench: "quality-tune",
      split: "dev",
      best: results.slice(0, 5).map((r) => ({ ...r, dev: detail(r.weights) })),
      current: { weights: RANKING_WEIGHTS, objective: devObjective(fused(RANKING_WEIGHTS)), dev: detail({ ...RANKING_WEIGHTS }) },
    }),
  );
  process.exit(0);
}

const off = (signal: keyof RankingWeights) => fused({ ...RANKING_WEIGHTS, [signal]: 0 });
const testOnly = (rank: Ranker) => ({
  franchise: metrics(rank, bySplit(sets.franchise, "test")),
  thematic: metrics(rank, bySplit(sets.thematic, "test")),
  two_series: bothServed(rank, bySplit(sets.thematic, "test")).both_served,
  collisions: collisionsIn(rank, "test").in_top_10,
});

const started = performance.now();
const result = {
  bench: "quality",
  embedder: files.embedderId,
  movies: movies.length,
  weights: RANKING_WEIGHTS,
  tfidf: report(tfidf),
  previous: report(previous),
  current: report(current(RANKING_WEIGHTS)),
  ablation_test: {
    all: testOnly(fused(RANKING_WEIGHTS)),
    without_dense: testOnly(off("dense")),
    without_lexical: testOnly(off("lexical")),
    without_franchise: testOnly(off("franchise")),
    without_metadata: testOnly(off("metadata")),
    without_genre: testOnly(off("genre")),
    without_reach: testOnly(off("reach")),
    without_priors: testOnly(fused({ ...RANKING_WEIGHTS, quality: 0, popularity: 0, language: 0, genre: 0, reach: 0 })),
  },
};
log(`quality: ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(JSON.stringify(result));
