// The one ranking pipeline: from the chosen series, the movies that pass the filters and the
// catalogue's vectors to the candidate list the reranker (LLM or fallback) sees. The command
// line engine, the build's precompute and the Recommend page all call rankingInput(), so they
// rank alike: same limits, same signals, same vectors. Pure and browser-safe.
//
// For each chosen series, three retrievals run separately over the allowed movies: dense
// (cosine of story vectors), lexical (BM25 over title and overview) and franchise (the
// series' name or its story's names in a title). Their ranks are fused by weighted
// reciprocal rank, with small priors (Bayesian rating, popularity, shared language) for the
// movies they found. Several series then share the list in proportion to their weights
// (D'Hondt), and each candidate says which series it is there for (`because`).
//
// A visitor's feedback reshapes the list (Rocchio's relevance feedback over the same vectors):
// liked movies pull every query toward theirs, disliked ones push it away and leave the list.
// A movie can also be the starting point instead of a series: its vector is the query, its
// title and story the lexical and franchise query, its people and keywords the metadata one.
import { tvGenresToMovieGenres } from "./catalog.ts";
import { bm25Search, buildBm25Index, type Bm25Index } from "./bm25.ts";
import type { Filters } from "./filters.ts";
import { franchiseMatches } from "./franchise.ts";
import { buildLexicalIndex, lexicalScores, type LexicalIndex } from "./lexical.ts";
import { buildMetadataIndex, keywordFrequency, metadataLinks, metadataMatches, type MetadataIndex } from "./metadata-links.ts";
import type { MovieMetadata, SeriesMetadata } from "./catalog.ts";
import { movieCandidate, type CandidateMovie, type RerankCandidate, type RerankInput, type RerankSeries } from "./rerank-types.ts";
import { genreAgreement, qualityPrior, reachPrior } from "./priors.ts";
import { queryVector, shortlist } from "./shortlist.ts";
import { dequantizeRow, dot, rowOf, type Int8VectorSet, type VectorSet } from "./vectors.ts";

/** Cards shown for a selection. */
export const RESULT_LIMIT = 10;
/** Candidates handed to the reranker (and drawn in the page's chart). */
export const SHORTLIST_SIZE = 30;

/** A movie as the pipeline reads it; catalogue rows and the page's decoded rows both fit. */
export interface RankableMovie extends CandidateMovie, Partial<MovieMetadata> {
  language?: string;
}

/** A series as the pipeline reads it. */
export interface RankableSeries extends Partial<SeriesMetadata> {
  id: number;
  name: string;
  year: number | null;
  genre_names: string[];
  overview: string;
  language?: string;
}

/**
 * Weights of the fusion, fitted on the dev split of bench/ (bench/quality.ts). Each retrieval
 * adds weight / (RRF_K + rank); a franchise match adds its weight times its strength as if
 * ranked first; the priors add their weight times a 0..1 value, also on the rank-1 scale, so
 * they order the movies the retrievals found. Only a retrieved movie gets a prior: the story
 * match chooses the pool, and the priors (quality, reach, genre agreement) decide which of the
 * story-close films a fan would actually pick.
 */
export interface RankingWeights {
  dense: number;
  lexical: number;
  franchise: number;
  metadata: number;
  quality: number;
  popularity: number;
  language: number;
  /** Genre agreement with the series (lib/priors.ts genreAgreement). */
  genre: number;
  /** How widely the movie was seen (lib/priors.ts reachPrior). */
  reach: number;
}

// Tuned by `tsx bench/quality.ts --tune` on the dev split only (2026-12-01, energetic:use-en-512,
// 11,679 imported movies): franchise 1–5 tie; quality 0.9 tied 0.6 on the objective with lower
// franchise recall, so 0.6 stays. Genre 0.6 and reach 1 lifted dev thematic hit@10 from 0.43 to
// 0.51; reach 1.5–2 gained 0.03 more on dev at a cost in franchise recall, so 1 stays.
export const RANKING_WEIGHTS: Readonly<RankingWeights> = Object.freeze({
  dense: 1,
  lexical: 0.3,
  franchise: 2,
  metadata: 1,
  quality: 0.6,
  popularity: 0.2,
  language: 0,
  genre: 0.6,
  reach: 1,
});

/** How much a favourite series (love) weighs against one that is only liked, in the shared list. */
export const FAVOURITE_WEIGHT = 2;

/** Reciprocal-rank constant (Cormack et al.'s 60): how fast a lower rank stops counting. */
export const RRF_K = 60;
/** A same-name film counts as the franchise only if its story is as close as the dense hit of this rank. */
export const FRANCHISE_STORY_RANK = 50;
/** How deep each retrieval reads before fusion. */
export const RETRIEVAL_DEPTH = 200;

export interface RankingVectors {
  movies: VectorSet | Int8VectorSet;
  series: VectorSet | Int8VectorSet;
}

/** What the pipeline needs of a catalogue, built once and reused for every selection. */
export interface RankingContext {
  movieById: ReadonlyMap<number, RankableMovie>;
  vectors: RankingVectors;
  /** Title index for the franchise signal. */
  lexicon: LexicalIndex;
  /** Title + overview index for the lexical retrieval. */
  bm25: Bm25Index;
  /** People, keywords and companies, for the metadata retrieval. */
  metadata: MetadataIndex;
  weights: Readonly<RankingWeights>;
  /** log(1 + the catalogue's highest popularity), for the popularity prior. */
  maxLogPopularity: number;
  /** log(1 + the catalogue's highest vote count), for the reach prior. */
  maxLogVotes: number;
}

export class RankingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RankingError";
  }
}

export function createRankingContext(
  movies: readonly RankableMovie[],
  vectors: RankingVectors,
  options: { weights?: Partial<RankingWeights> } = {},
): RankingContext {
  if (vectors.movies.dims !== vectors.series.dims || vectors.movies.embedderId !== vectors.series.embedderId) {
    throw new RankingError("movie and series vectors come from different embedders; rebuild the vectors");
  }
  return {
    ...createFusionContext(movies, options),
    vectors,
    lexicon: buildLexicalIndex(movies),
    bm25: buildBm25Index(movies),
    metadata: buildMetadataIndex(movies),
  };
}

export interface RankingRequest {
  series: readonly { series: RankableSeries; weight?: number }[];
  /** Catalogue movie ids the visitor liked: every query moves toward them. */
  likes?: readonly number[];
  /** Catalogue movie ids the visitor disliked: every query moves away from them, and they leave the list. */
  dislikes?: readonly number[];
  /** Start from this movie (more like this): ranked like a series, the movie itself left out. */
  movie?: RankableMovie;
  /** Movies passing the filters (DuckDB or the exact JS filter). */
  allowedIds: readonly number[];
  /** The filters behind allowedIds, passed on to the reranker. */
  filters: Filters;
  limit?: number;
  k?: number;
  /** Diversity over the dense retrieval. */
  mmr?: { lambda: number };
}

export interface RankingInput extends RerankInput {
  /** Chosen series that have no vector in this build; ranked by the others. */
  missingVectors: RankableSeries[];
  /**
   * The likes and dislikes that shaped the list (those with a vector in this build); absent
   * without any, so an input without feedback (and the LLM cache key made from it) stays as it was.
   */
  feedback?: { likes: number[]; dislikes: number[] };
}

/**
 * Rocchio's weights: the query, the mean of the liked vectors, the mean of the disliked ones
 * (his classic 1, 0.75, 0.15, with dislikes a little stronger: a "not for me" should show).
 */
export const FEEDBACK_WEIGHTS = Object.freeze({ query: 1, liked: 0.75, disliked: 0.25 });

/**
 * The query moved toward the liked movies' vectors and away from the disliked ones', unit
 * length again. Ids without a vector are ignored; no feedback returns the query as it is.
 */
export function feedbackQuery(query: Float32Array, movies: VectorSet | Int8VectorSet, likes: readonly number[], dislikes: readonly number[]): Float32Array {
  const rows = (ids: readonly number[]) => ids.map((id) => rowOf(movies, id)).filter((row) => row >= 0);
  const liked = rows(likes);
  const disliked = rows(dislikes);
  if (liked.length === 0 && disliked.length === 0) return query;
  const sum = new Float64Array(movies.dims);
  for (let i = 0; i < movies.dims; i++) sum[i] = FEEDBACK_WEIGHTS.query * query[i];
  const add = (rowList: number[], weight: number) => {
    for (const row of rowList) {
      const vector = seriesVector(movies, row);
      for (let i = 0; i < movies.dims; i++) sum[i] += (weight / rowList.length) * vector[i];
    }
  };
  add(liked, FEEDBACK_WEIGHTS.liked);
  add(disliked, -FEEDBACK_WEIGHTS.disliked);
  let norm = 0;
  for (let i = 0; i < movies.dims; i++) norm += sum[i] * sum[i];
  norm = Math.sqrt(norm);
  if (norm === 0) return query;
  return Float32Array.from(sum, (v) => v / norm);
}

/**
 * A movie as the starting point of a ranking: its title and story stand for a series' name and
 * overview, its directors and writers for the series' creators.
 */
export function movieAsSeries(movie: RankableMovie): RankableSeries {
  return {
    id: movie.id,
    name: movie.title,
    year: movie.year,
    genre_names: movie.genre_names,
    overview: movie.overview,
    language: movie.language,
    keywords: movie.keywords ?? [],
    creators: [...(movie.directors ?? []), ...(movie.writers ?? [])],
    cast: movie.cast ?? [],
    companies: movie.companies ?? [],
    networks: [],
  };
}

/** The series' unit vector: float rows as they are, int8 rows dequantised (as the page does). */
function seriesVector(set: VectorSet | Int8VectorSet, row: number): Float32Array {
  if (set.data instanceof Int8Array) return dequantizeRow(set as Int8VectorSet, row);
  return (set.data as Float32Array).subarray(row * set.dims, (row + 1) * set.dims);
}

/** Cosine of a unit query with a movie's row (int8 rows dequantised), or 0 without a row. */
function cosineWith(query: Float32Array, movies: VectorSet | Int8VectorSet, id: number): number {
  const row = rowOf(movies, id);
  if (row < 0) return 0;
  const vector = seriesVector(movies, row);
  return dot(query, 0, vector, 0, movies.dims);
}

/** One series' ranking of the allowed movies, best first, with what each signal said. */
export interface SeriesRanking {
  seriesId: number;
  ranked: { id: number; score: number; cosine: number; franchise?: "title" | "entity" }[];
}

/** What each retrieval found for one series, before any weight: ranks from 0, franchise strengths. */
export interface SeriesSignals {
  seriesId: number;
  language?: string;
  /** The series' genres as movie genres, for the genre prior. */
  genres?: readonly string[];
  /**
   * The query's cosine with a movie, for the movies the dense retrieval did not score (a
   * franchise match's story check, a movie only the lexical or metadata retrieval found).
   */
  cosine: (id: number) => number;
  dense: { id: number; cosine: number }[];
  lexical: number[];
  franchise: { id: number; strength: number; kind: "title" | "entity"; sharedNames: string[] }[];
  metadata: number[];
}

/** What one retrieval run starts from besides the series: a query vector already made, a collection to count as the franchise. */
export interface SignalSource {
  query?: Float32Array;
  /** A movie start's collection: its other films are the franchise, whatever their titles. */
  collection?: string | null;
}

/**
 * Runs the retrievals for one series over the allowed movies, each `depth` deep
 * (RETRIEVAL_DEPTH; the build's signal lists read deeper, lib/signal-lists.ts).
 */
export function seriesSignals(
  context: RankingContext,
  series: RankableSeries,
  allowed: ReadonlySet<number>,
  allowedIds: readonly number[],
  mmr?: { lambda: number },
  source: SignalSource = {},
  depth = RETRIEVAL_DEPTH,
): SeriesSignals {
  const seriesSet = context.vectors.series;
  const query = source.query ?? queryVector([{ vector: seriesVector(seriesSet, rowOf(seriesSet, series.id)) }]);
  const w = context.weights;
  const franchise = w.franchise > 0 ? franchiseMatches(context.lexicon, context.movieById, series).filter((m) => allowed.has(m.id)) : [];
  if (w.franchise > 0 && source.collection) {
    // A collection is TMDB's own word that films belong together: the strongest franchise link.
    const named = new Set(franchise.map((m) => m.id));
    for (const movie of context.movieById.values()) {
      if (movie.collection === source.collection && allowed.has(movie.id) && !named.has(movie.id)) {
        franchise.push({ id: movie.id, strength: 1, kind: "title", sharedNames: [source.collection] });
      }
    }
  }
  return {
    seriesId: series.id,
    language: series.language,
    genres: tvGenresToMovieGenres(series.genre_names),
    cosine: (id) => cosineWith(query, context.vectors.movies, id),
    dense: w.dense > 0 ? shortlist({ query, movies: context.vectors.movies, allowedIds, k: depth, mmr }).map((h) => ({ id: h.id, cosine: h.similarity })) : [],
    lexical: w.lexical > 0 ? bm25Search(context.bm25, { title: series.name, overview: series.overview }, depth, allowed).map((h) => h.id) : [],
    franchise,
    metadata: w.metadata > 0 ? metadataMatches(context.metadata, series).filter((m) => allowed.has(m.id)).slice(0, depth).map((m) => m.id) : [],
  };
}

/** What fusing needs of a catalogue: its movies (for the priors) and the weights; no index, no vector. */
export type FusionContext = Pick<RankingContext, "movieById" | "weights" | "maxLogPopularity" | "maxLogVotes">;

/** The fusion's part of a ranking context, for movies decoded without vectors or texts (the page's signal lists). */
export function createFusionContext(movies: readonly RankableMovie[], options: { weights?: Partial<RankingWeights> } = {}): FusionContext {
  return {
    movieById: new Map(movies.map((m) => [m.id, m])),
    weights: { ...RANKING_WEIGHTS, ...options.weights },
    // reduce, not Math.max(...): spreading a million-movie catalogue overflows the call stack.
    maxLogPopularity: Math.log1p(movies.reduce((max, m) => Math.max(max, m.popularity), 0)),
    maxLogVotes: Math.log1p(movies.reduce((max, m) => Math.max(max, m.vote_count), 0)),
  };
}

/** Fuses one series' signals by weighted reciprocal rank, plus the priors (see the top of this file). */
export function fuseSignals(context: FusionContext, signals: SeriesSignals, weights: Readonly<RankingWeights> = context.weights): SeriesRanking {
  const fused = new Map<number, { score: number; cosine?: number; franchise?: "title" | "entity" }>();
  const entry = (id: number) => {
    let e = fused.get(id);
    if (!e) fused.set(id, (e = { score: 0 }));
    return e;
  };
  signals.dense.forEach((hit, rank) => {
    const e = entry(hit.id);
    e.score += weights.dense / (RRF_K + rank + 1);
    e.cosine = hit.cosine;
  });
  signals.lexical.forEach((id, rank) => {
    entry(id).score += weights.lexical / (RRF_K + rank + 1);
  });
  signals.metadata.forEach((id, rank) => {
    entry(id).score += weights.metadata / (RRF_K + rank + 1);
  });
  // A same-name film must also share the story world: a name both overviews use (Fargo's
  // Minnesota), or a story as close as the dense hit of rank FRANCHISE_STORY_RANK.
  // Outlander (2008) shares a title with Outlander, and nothing else.
  const storyFloor = signals.dense.length >= FRANCHISE_STORY_RANK ? signals.dense[FRANCHISE_STORY_RANK - 1].cosine : -Infinity;
  for (const match of signals.franchise) {
    const cosine = signals.cosine(match.id);
    if (match.sharedNames.length === 0 && cosine < storyFloor) continue;
    const e = entry(match.id);
    e.score += (weights.franchise * match.strength) / (RRF_K + 1);
    // The dense retrieval's figure stays when it has one, so a movie's similarity reads the same either way.
    e.cosine ??= cosine;
    if (weights.franchise > 0) e.franchise = match.kind;
  }
  const ranked: SeriesRanking["ranked"] = [];
  for (const [id, e] of fused) {
    const movie = context.movieById.get(id);
    if (!movie || e.score <= 0) continue;
    const popularity = context.maxLogPopularity > 0 ? Math.log1p(Math.max(0, movie.popularity)) / context.maxLogPopularity : 0;
    const language = signals.language && movie.language === signals.language ? 1 : 0;
    const prior =
      weights.quality * qualityPrior(movie) +
      weights.popularity * popularity +
      weights.language * language +
      weights.genre * genreAgreement(signals.genres ?? [], movie.genre_names) +
      weights.reach * reachPrior(movie, context.maxLogVotes);
    ranked.push({
      id,
      score: e.score + prior / (RRF_K + 1),
      cosine: e.cosine ?? signals.cosine(id),
      ...(e.franchise ? { franchise: e.franchise } : {}),
    });
  }
  ranked.sort((a, b) => b.score - a.score || a.id - b.id);
  return { seriesId: signals.seriesId, ranked };
}

/** One series' fused ranking of the allowed movies. */
export function rankForSeries(context: RankingContext, series: RankableSeries, allowed: ReadonlySet<number>, allowedIds: readonly number[], mmr?: { lambda: number }): SeriesRanking {
  return fuseSignals(context, seriesSignals(context, series, allowed, allowedIds, mmr));
}

/**
 * Shares `k` places among the series' rankings in proportion to their weights (D'Hondt: the
 * next place goes to the series with the highest weight / (places taken + 1)), skipping movies
 * already placed. Returns the movies in the order placed, each with the series it came for.
 */
export function shareByWeight(
  rankings: readonly SeriesRanking[],
  weights: readonly number[],
  k: number,
): { id: number; seriesIndex: number; hit: SeriesRanking["ranked"][number] }[] {
  const placed: { id: number; seriesIndex: number; hit: SeriesRanking["ranked"][number] }[] = [];
  const taken = new Set<number>();
  const cursor = rankings.map(() => 0);
  const count = rankings.map(() => 0);
  while (placed.length < k) {
    let best = -1;
    let bestQuotient = -Infinity;
    rankings.forEach((ranking, i) => {
      while (cursor[i] < ranking.ranked.length && taken.has(ranking.ranked[cursor[i]].id)) cursor[i]++;
      if (cursor[i] >= ranking.ranked.length || !(weights[i] > 0)) return;
      const quotient = weights[i] / (count[i] + 1);
      if (quotient > bestQuotient) {
        bestQuotient = quotient;
        best = i;
      }
    });
    if (best < 0) break;
    const hit = rankings[best].ranked[cursor[best]];
    taken.add(hit.id);
    count[best]++;
    placed.push({ id: hit.id, seriesIndex: best, hit });
  }
  return placed;
}

/** The candidate's metadata links to its series, when there are any (the reason names them). */
function linksOf(series: RankableSeries, movie: RankableMovie, frequencies: (keyword: string) => number): Pick<RerankCandidate, "links"> {
  const links = metadataLinks(series, movie, frequencies);
  return links.people.length || links.keywords.length || links.companies.length ? { links } : {};
}

/** A query the list is ranked for: a chosen series, or the movie a "more like this" starts from. */
export interface RankingSource {
  series: RankableSeries;
  weight: number;
  /** The query before feedback (a movie start's own vector); undefined: the series' vector. */
  query?: Float32Array;
  collection?: string | null;
  /** Set for the start movie, so reasons speak of a film, not a series. */
  kind?: "movie";
}

/** The unit vector a source's retrievals start from, before feedback. */
function baseQuery(context: RankingContext, source: RankingSource): Float32Array {
  if (source.query) return source.query;
  const set = context.vectors.series;
  return queryVector([{ vector: seriesVector(set, rowOf(set, source.series.id)) }]);
}

/**
 * The liked movies a candidate is closer to than to the query it is there for: the likes that
 * brought it ("Because you liked Heat"), closest first.
 */
function likedFor(context: RankingContext, likedVectors: readonly { id: number; vector: Float32Array }[], query: Float32Array, id: number): number[] {
  const own = cosineWith(query, context.vectors.movies, id);
  return likedVectors
    .map((liked) => ({ id: liked.id, cosine: cosineWith(liked.vector, context.vectors.movies, id) }))
    .filter((liked) => liked.cosine > own)
    .sort((a, b) => b.cosine - a.cosine || a.id - b.id)
    .map((liked) => liked.id);
}

/** The sources as the reranker reads them (the series it explains the picks for). */
export function rerankSeriesOf(sources: readonly RankingSource[]): RerankSeries[] {
  return sources.map(({ series, kind }) => ({
    id: series.id,
    name: series.name,
    year: series.year,
    genres: series.genre_names,
    overview: series.overview,
    ...(kind ? { kind } : {}),
  }));
}

/** What a candidate carries besides its movie and ranking (placedCandidates). */
export interface CandidateExtras {
  /** The best share of a chosen series' name each movie's title repeats (lib/lexical.ts lexicalScores). */
  overlaps: ReadonlyMap<number, number>;
  /** How many catalogue movies have a keyword, so a reason names the rarest shared ones first. */
  keywordFrequency: (keyword: string) => number;
  /** The likes that brought a movie to the list, for the source it is there for. */
  liked?: (sourceIndex: number, id: number) => number[];
}

/**
 * The candidates, from each source's fused ranking: the list shared among the sources by
 * weight, each candidate with `because` (the source it is there for first, then any other
 * that ranks it in its own first k), its title overlap, likes and metadata links. The movies
 * must carry their overviews and metadata by now (the page fetches the candidates' texts first).
 */
export function placedCandidates(
  movieById: ReadonlyMap<number, RankableMovie>,
  sources: readonly RankingSource[],
  rankings: readonly SeriesRanking[],
  k: number,
  extras: CandidateExtras,
): RerankCandidate[] {
  const placed = shareByWeight(
    rankings,
    sources.map(({ weight }) => weight),
    k,
  );
  // Another series "also" wants a movie that its own ranking puts in its first k.
  const positions = rankings.map((r) => new Set(r.ranked.slice(0, k).map((hit) => hit.id)));
  const seriesGenres = sources.flatMap(({ series }) => series.genre_names);
  return placed.map(({ id, seriesIndex, hit }) => {
    const movie = movieById.get(id)!;
    const also = sources.map((_, i) => i).filter((i) => i !== seriesIndex && positions[i].has(id));
    const liked = extras.liked?.(seriesIndex, id) ?? [];
    return {
      ...movieCandidate(movie, seriesGenres, hit.cosine),
      title_overlap: extras.overlaps.get(id) ?? 0,
      score: hit.score,
      because: [seriesIndex, ...also].map((i) => sources[i].series.id),
      ...(hit.franchise ? { franchise: hit.franchise } : {}),
      ...(liked.length ? { liked } : {}),
      ...linksOf(sources[seriesIndex].series, movie, extras.keywordFrequency),
    };
  });
}

/**
 * The reranker's input for a selection: per series (and the start movie, when there is one),
 * the fused ranking of the allowed movies, its query moved by the visitor's likes and
 * dislikes; the list shared among them by weight; candidates in that order, each with
 * `because` (the series or start movie it is there for first, then any other that ranks it as
 * high) and `liked` (the likes that brought it). Disliked movies and the start movie never
 * appear. Series without a vector are left out (listed in missingVectors); none with one → no
 * candidates. Without feedback or a start movie the ranking is exactly the series' own.
 */
export function rankingInput(context: RankingContext, request: RankingRequest): RankingInput {
  const limit = request.limit ?? RESULT_LIMIT;
  const k = Math.max(request.k ?? SHORTLIST_SIZE, limit);
  const movies = context.vectors.movies;
  const withVector = request.series.filter(({ series }) => rowOf(context.vectors.series, series.id) >= 0);
  const missingVectors = request.series.filter((s) => !withVector.includes(s)).map((s) => s.series);
  const sources: RankingSource[] = withVector.map(({ series, weight }) => ({ series, weight: weight ?? 1 }));
  const start = request.movie;
  if (start) {
    const row = rowOf(movies, start.id);
    if (row >= 0) sources.push({ series: movieAsSeries(start), weight: 1, query: queryVector([{ vector: seriesVector(movies, row) }]), collection: start.collection, kind: "movie" });
    else missingVectors.push(movieAsSeries(start));
  }
  const withRow = (ids: readonly number[] | undefined) => [...new Set(ids ?? [])].filter((id) => rowOf(movies, id) >= 0);
  const dislikes = withRow(request.dislikes);
  const likes = withRow(request.likes).filter((id) => !dislikes.includes(id));
  const base = { series: rerankSeriesOf(sources), filters: request.filters, limit, missingVectors, ...(likes.length || dislikes.length ? { feedback: { likes, dislikes } } : {}) };
  // Disliked movies and the start movie leave the list; the same array otherwise, so the shortlist's row cache still applies.
  const leaving = new Set([...dislikes, ...(start ? [start.id] : [])]);
  const allowedIds = leaving.size ? request.allowedIds.filter((id) => !leaving.has(id)) : request.allowedIds;
  if (sources.length === 0 || allowedIds.length === 0) return { ...base, candidates: [] };

  const allowed = new Set(allowedIds);
  const baseQueries = sources.map((source) => baseQuery(context, source));
  const queries = baseQueries.map((query) => feedbackQuery(query, movies, likes, dislikes));
  const rankings = sources.map((source, i) =>
    fuseSignals(context, seriesSignals(context, source.series, allowed, allowedIds, request.mmr, source.query || likes.length || dislikes.length ? { query: queries[i], collection: source.collection } : {})),
  );
  const likedVectors = likes.map((id) => ({ id, vector: seriesVector(movies, rowOf(movies, id)) }));
  const candidates = placedCandidates(context.movieById, sources, rankings, k, {
    overlaps: lexicalScores(context.lexicon, sources.map(({ series }) => series.name)),
    keywordFrequency: keywordFrequency(context.metadata),
    liked: (sourceIndex, id) => (likes.includes(id) ? [] : likedFor(context, likedVectors, baseQueries[sourceIndex], id)),
  });
  return { ...base, candidates };
}
