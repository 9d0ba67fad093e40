// Recommendation quality on franchise pairs (bench/franchise-pairs.json): how often a movie of
// the series' franchise is in the top 10 (hit rate@10), for
//   - embeddings: cosine shortlist over the configured embedder's vectors,
//   - hybrid: the same plus the lexical title-overlap boost (engine weight, and a small sweep),
//   - tfidf: plain TF-IDF cosine over overviews (bench/lib/tfidf.ts),
//   - engine: the full recommend path with the fallback ranker (what the CLI shows, no LLM).
// Runs on the catalogue imported from ../shared/data/raw (skipped when absent).
// Usage: node_modules/.bin/tsx bench/quality.ts. One JSON line on stdout; progress on stderr.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createEmbedder } from "../loaders/vectors/embedders.ts";
import { LEXICAL_WEIGHT, buildLexicalIndex, lexicalBoosts, titleTokens } from "../lib/lexical.ts";
import { shortlist } from "../lib/shortlist.ts";
import { rowOf } from "../lib/vectors.ts";
import { readCatalog } from "../loaders/catalog/store.ts";
import { openEngine } from "../loaders/engine.ts";
import { loadCatalogVectors } from "../loaders/vectors/catalog-vectors.ts";
import { cosine, fitTfIdf } from "./lib/tfidf.ts";
import { RAW, rawAvailable, rawCatalogDir } from "./lib/raw-catalog.ts";

const K = 10;
// The engine hands this many candidates to the reranker: a franchise movie must get this far.
const SHORTLIST = 30;
const SWEEP = [0.05, 0.1, 0.2, 0.3];

if (!rawAvailable()) {
  console.log(JSON.stringify({ bench: "quality", skipped: `raw data absent: ${RAW}` }));
  process.exit(0);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const pairsFile = path.join(import.meta.dirname, "franchise-pairs.json");
const { pairs: allPairs } = JSON.parse(await readFile(pairsFile, "utf8")) as {
  pairs: { series: number; name: string; movies: number[] }[];
};

const dir = await rawCatalogDir(log);
const catalog = await readCatalog(dir);
const embedder = await createEmbedder();
const vectors = await loadCatalogVectors(catalog, { embedder });
const seriesById = new Map(catalog.series.map((s) => [s.id, s]));
const movieIds = new Set(catalog.movies.map((m) => m.id));
const movieTitle = new Map(catalog.movies.map((m) => [m.id, m.title]));

const pairs = allPairs
  .map((p) => ({ ...p, movies: p.movies.filter((id) => movieIds.has(id)) }))
  .filter((p) => seriesById.has(p.series) && p.movies.length > 0);
const missing = allPairs.length - pairs.length;
if (missing > 0) log(`quality: ${missing} pairs reference ids missing from the imported catalogue and are left out`);

// Pairs whose series name shares a word with a franchise movie title: the lexical signal can
// only help there, so both subsets are reported.
const sharesTitle = (p: (typeof pairs)[number]) => {
  const name = new Set(titleTokens(p.name));
  return p.movies.some((id) => titleTokens(movieTitle.get(id)!).some((t) => name.has(t)));
};

type Ranker = (p: (typeof pairs)[number]) => number[];

function seriesVector(id: number): Float32Array {
  const row = rowOf(vectors.series, id);
  return vectors.series.data.subarray(row * vectors.series.dims, (row + 1) * vectors.series.dims);
}

const lexicon = buildLexicalIndex(catalog.movies);
const byEmbedding =
  (weight: number): Ranker =>
  (p) =>
    shortlist({
      query: seriesVector(p.series),
      movies: vectors.movies,
      k: SHORTLIST,
      boosts: weight > 0 ? lexicalBoosts(lexicon, [seriesById.get(p.series)!.name], weight) : undefined,
    }).map((h) => h.id);

const tfidf = fitTfIdf([...catalog.movies.map((m) => m.overview), ...catalog.series.map((s) => s.overview)]);
const movieTfIdf = catalog.movies.map((m) => ({ id: m.id, v: tfidf.vectorize(m.overview) }));
const byTfIdf: Ranker = (p) => {
  const q = tfidf.vectorize(seriesById.get(p.series)!.overview);
  return movieTfIdf
    .map(({ id, v }) => ({ id, s: cosine(q, v) }))
    .sort((a, b) => b.s - a.s || a.id - b.id)
    .slice(0, SHORTLIST)
    .map((x) => x.id);
};

interface Score {
  hit_rate_at_10: number;
  hits: number;
  /** Hit rate in the first 30: the franchise movie reaches the reranker. */
  hit_rate_at_30: number;
  title_sharing: string;
  no_title_sharing: string;
}

function evaluate(rank: Ranker | ((p: (typeof pairs)[number]) => Promise<number[]>), results: Map<number, number[]>) {
  return async (): Promise<Score> => {
    let hits = 0;
    let hits30 = 0;
    const sub = { title: [0, 0], other: [0, 0] };
    for (const p of pairs) {
      const ranked = await rank(p);
      const top = ranked.slice(0, K);
      results.set(p.series, top);
      const hit = top.some((id) => p.movies.includes(id));
      if (hit) hits++;
      if (ranked.slice(0, SHORTLIST).some((id) => p.movies.includes(id))) hits30++;
      const bucket = sharesTitle(p) ? sub.title : sub.other;
      bucket[0] += Number(hit);
      bucket[1]++;
    }
    return {
      hit_rate_at_10: Number((hits / pairs.length).toFixed(3)),
      hits,
      hit_rate_at_30: Number((hits30 / pairs.length).toFixed(3)),
      title_sharing: `${sub.title[0]}/${sub.title[1]}`,
      no_title_sharing: `${sub.other[0]}/${sub.other[1]}`,
    };
  };
}

log(`quality: ${pairs.length} franchise pairs, ${catalog.movies.length} movies, embedder ${vectors.embedderId}`);
const tops = { embeddings: new Map<number, number[]>(), hybrid: new Map<number, number[]>(), tfidf: new Map<number, number[]>() };
const embeddings = await evaluate(byEmbedding(0), tops.embeddings)();
const hybrid = await evaluate(byEmbedding(LEXICAL_WEIGHT), tops.hybrid)();
const tfidfScore = await evaluate(byTfIdf, tops.tfidf)();
const sweep: Record<string, number> = {};
for (const w of SWEEP) sweep[String(w)] = (await evaluate(byEmbedding(w), new Map())()).hit_rate_at_10;

// The whole recommend path (shortlist of 30 + fallback rerank to 10), with and without the
// lexical signal (the shortlist boost and the ranker's title overlap); its hit_rate_at_30
// equals its hit rate at 10 (it returns 10).
async function engineScore(lexicalWeight: number): Promise<Score> {
  const engine = await openEngine({ catalogDir: dir, vectors, lexicalWeight, log: () => {} });
  try {
    return await evaluate(
      async (p) => (await engine.recommend({ series: [p.series], useLlm: false, limit: K, k: SHORTLIST, filters: { ageAppropriateOnly: false } })).picks.map((x) => x.id),
      new Map(),
    )();
  } finally {
    engine.close();
  }
}
const engineEmbeddings = await engineScore(0);
const engineHybrid = await engineScore(LEXICAL_WEIGHT);

// Pairs where the methods disagree, for reading the figures (names are our pairs file's).
const disagreements = pairs
  .filter((p) => {
    const h = (m: Map<number, number[]>) => m.get(p.series)!.some((id) => p.movies.includes(id));
    return h(tops.embeddings) !== h(tops.hybrid) || h(tops.embeddings) !== h(tops.tfidf);
  })
  .map((p) => {
    const h = (m: Map<number, number[]>) => (m.get(p.series)!.some((id) => p.movies.includes(id)) ? 1 : 0);
    return `${p.name}: emb ${h(tops.embeddings)} hyb ${h(tops.hybrid)} tfidf ${h(tops.tfidf)}`;
  });

console.log(
  JSON.stringify({
    bench: "quality",
    embedder: vectors.embedderId,
    pairs: pairs.length,
    movies: catalog.movies.length,
    k: K,
    embeddings: embeddings.hit_rate_at_10,
    hybrid: hybrid.hit_rate_at_10,
    tfidf: tfidfScore.hit_rate_at_10,
    lexical_weight: LEXICAL_WEIGHT,
    engine_fallback: engineEmbeddings.hit_rate_at_10,
    engine_fallback_hybrid: engineHybrid.hit_rate_at_10,
    detail: { embeddings, hybrid, tfidf: tfidfScore, engine_fallback: { embeddings: engineEmbeddings, hybrid: engineHybrid } },
    hybrid_sweep: sweep,
    disagreements,
  }),
);
