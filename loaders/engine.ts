// The recommendation engine on Node: the catalogue and its vector files in memory, filters
// in DuckDB over the catalogue Parquet, then lib/pipeline.ts's one ranking pipeline (the
// same the page and the precompute use) and the rerank (LLM or the deterministic fallback).
// Used by `npm run recommend`, `npm run data:picks` and the benchmarks.
import type { DuckDBConnection } from "@duckdb/node-api";
import path from "node:path";
import { MOVIE_GENRES, yearOf, type Catalog, type CatalogMeta, type Movie, type Series } from "../lib/catalog.ts";
import { DEFAULT_FILTERS, buildMovieFilterQuery, validateFilters, type FilterVocabulary, type Filters } from "../lib/filters.ts";
import { languageNames } from "../lib/languages.ts";
import { RESULT_LIMIT, SHORTLIST_SIZE, createRankingContext, rankingInput, type RankableMovie, type RankableSeries, type RankingVectors, type RankingWeights } from "../lib/pipeline.ts";
import type { RerankCandidate, RerankInput } from "../lib/rerank-types.ts";
import { describeSeries, seriesFinder } from "../lib/series-lookup.ts";
import { describeMovie, movieFinder } from "../lib/movie-lookup.ts";
import { buildTitleIndex } from "../lib/proposals.ts";
import { dequantizeRow, dot, rowOf, type Int8VectorSet, type VectorSet } from "../lib/vectors.ts";
import { activeCatalog } from "./catalog/active.ts";
import { CATALOG_FILES, connectDuckDB, readCatalog, sqlPath } from "./catalog/store.ts";
import { rerank, type RerankOptions } from "./llm/rerank.ts";
import type { Embedder } from "./vectors/embedders.ts";
import { catalogVectorFiles } from "./vectors/files.ts";

export { SeriesLookupError } from "../lib/series-lookup.ts";

/** The vectors an engine ranks on: the catalogue's int8 files by default, as the site. */
export interface EngineVectors extends RankingVectors {
  embedderId: string;
}

export interface EngineOptions {
  /** Catalogue directory; default: the active catalogue (TMDB, import, or the demo), never refreshed here. */
  catalogDir?: string;
  /** Embedder for building stale vector files; default: createEmbedder() with the configured backend. */
  embedder?: Embedder;
  /** Vectors already computed for this catalogue (benchmarks, tests); skips the vector files. */
  vectors?: EngineVectors;
  /** Fusion weights over RANKING_WEIGHTS (lib/pipeline.ts); 0 turns a signal off (tests, benchmarks' ablations). */
  weights?: Partial<RankingWeights>;
  /** Passed to rerank (LLM client, cache directory, notice log). */
  rerank?: RerankOptions;
  /** One-line notices (which catalogue); default stderr. */
  log?: (line: string) => void;
}

export interface RecommendRequest {
  /** Series ids or names (case-insensitive). */
  series: (string | number)[];
  /** Relative weight per series, same order; 1 each when omitted. */
  weights?: number[];
  /** Missing fields take DEFAULT_FILTERS (age-appropriate only, all else open). */
  filters?: Filters;
  limit?: number;
  /** Shortlist size handed to the reranker. */
  k?: number;
  /** False: deterministic fallback ranker, no LLM call. */
  useLlm?: boolean;
  /** Diversity over the shortlist; off by default. */
  mmr?: { lambda: number };
  /** Movie ids the visitor liked: the ranking moves toward them (lib/pipeline.ts). */
  likes?: number[];
  /** Movie ids the visitor disliked: the ranking moves away from them, and they are left out. */
  dislikes?: number[];
  /** A movie id or title to start from ("more like this"), with or instead of series. */
  movie?: string | number;
}

export interface ChosenSeries {
  id: number;
  name: string;
  year: number | null;
  genres: string[];
}

/** What the reranker gets for a request, with what the engine learnt on the way. */
export interface Shortlist {
  input: RerankInput;
  series: ChosenSeries[];
  /** The movie the list starts from, when the request named one. */
  movie?: { id: number; title: string; year: number | null };
  /** Movies passing the filters. */
  matching: number;
}

/** A shortlisted movie as the engine returns it: the candidate without its overview, ranked and explained. */
export interface RecommendedMovie extends Omit<RerankCandidate, "overview"> {
  reason: string;
  rank: number;
}

export interface Recommendation {
  series: ChosenSeries[];
  /** The movie the list starts from, when the request named one. */
  movie?: { id: number; title: string; year: number | null };
  /** The filters applied, validated and with defaults filled in. */
  filters: Filters;
  picks: RecommendedMovie[];
  source: "llm" | "fallback";
  model: string | null;
  fallbackReason?: string;
  /** Movies passing the filters, and how many of them were shortlisted for the reranker. */
  counts: { matching: number; shortlisted: number };
}

export interface Engine {
  catalog: Catalog;
  meta: CatalogMeta;
  dir: string;
  vectors: EngineVectors;
  findSeries(query: string | number): Series;
  findMovie(query: string | number): Movie;
  /** The candidates the reranker sees for a request (lib/pipeline.ts), without reranking. */
  shortlist(request: RecommendRequest): Promise<Shortlist>;
  /** rerank(await shortlist(request)), as picks with reasons. */
  recommend(request: RecommendRequest): Promise<Recommendation>;
  close(): void;
}

export class RecommendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecommendError";
  }
}

function vocabularyOf(catalog: Catalog): FilterVocabulary {
  const genres = new Set(MOVIE_GENRES.map((g) => g.name));
  const languages = new Set<string>();
  for (const movie of catalog.movies) {
    movie.genre_names.forEach((g) => genres.add(g));
    languages.add(movie.language);
  }
  const codes = [...languages].sort();
  return { genres: [...genres], languages: codes, languageNames: languageNames(codes) };
}

function positiveInteger(value: number, field: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RecommendError(`${field} must be a whole number from 1 to ${max}, got ${value}`);
  }
  return value;
}

function rankableMovie(movie: Movie): RankableMovie {
  return { ...movie, year: yearOf(movie.release_date) };
}

function rankableSeries(series: Series): RankableSeries {
  return { ...series, year: yearOf(series.first_air_date) };
}

async function engineVectors(dir: string, catalog: Catalog, options: EngineOptions, log: (line: string) => void): Promise<EngineVectors> {
  if (options.vectors) return options.vectors;
  const files = await catalogVectorFiles({ catalogDir: dir, catalog, embedder: options.embedder, log });
  return { embedderId: files.embedderId, movies: files.movies, series: files.series };
}

function rowVector(set: VectorSet | Int8VectorSet, row: number): Float32Array {
  if (set.data instanceof Int8Array) return dequantizeRow(set as Int8VectorSet, row);
  return (set.data as Float32Array).subarray(row * set.dims, (row + 1) * set.dims);
}

/** A proposed movie's similarity for its card: its best cosine with the chosen series (0 without vectors). */
function similarityTo(vectors: EngineVectors, seriesIds: readonly number[]): (id: number) => number {
  const queries = seriesIds.map((id) => rowOf(vectors.series, id)).filter((row) => row >= 0).map((row) => rowVector(vectors.series, row));
  return (id) => {
    const row = rowOf(vectors.movies, id);
    if (row < 0 || queries.length === 0) return 0;
    const movie = rowVector(vectors.movies, row);
    return Math.max(...queries.map((q) => dot(q, 0, movie, 0, vectors.movies.dims)));
  };
}

/** Opens a catalogue for recommending: reads it and its vector files (built when stale), opens DuckDB. */
export async function openEngine(options: EngineOptions = {}): Promise<Engine> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = options.catalogDir ? path.resolve(options.catalogDir) : (await activeCatalog({ log, readOnly: true })).dir;
  const catalog = await readCatalog(dir);
  const vectors = await engineVectors(dir, catalog, options, log);
  if (vectors.movies.dims !== vectors.series.dims || vectors.movies.embedderId !== vectors.series.embedderId) {
    throw new RecommendError("movie and series vectors come from different embedders; rebuild the vectors");
  }
  const context = createRankingContext(catalog.movies.map(rankableMovie), vectors, { weights: options.weights });
  const vocabulary = vocabularyOf(catalog);
  const findSeries = seriesFinder(catalog.series);
  const findMovie = movieFinder(catalog.movies);
  // The LLM's proposals are resolved against the whole catalogue (the filters apply after).
  const titleIndex = buildTitleIndex(catalog.movies.map((movie) => ({ ...movie, year: yearOf(movie.release_date) })));

  const connection: DuckDBConnection = await connectDuckDB();
  // A temp view is private to this connection, so two engines in one process do not collide.
  await connection.run(`CREATE OR REPLACE TEMP VIEW movies AS SELECT * FROM read_parquet(${sqlPath(path.join(dir, CATALOG_FILES.movies))})`);

  async function matchingIds(filters: Filters): Promise<number[]> {
    const { sql, params } = buildMovieFilterQuery(filters, { columns: ["id"] });
    const reader = await connection.runAndReadAll(sql, params);
    return reader.getColumnsJS()[0]?.map(Number) ?? [];
  }

  /** The chosen series with their summed weights; the same series named twice counts once. */
  function chosenSeries(request: RecommendRequest): { series: Series; weight: number }[] {
    if (request.series.length === 0 && request.movie === undefined) throw new RecommendError("choose at least one series or a movie to start from");
    const weights = request.weights ?? request.series.map(() => 1);
    if (weights.length !== request.series.length) {
      throw new RecommendError(`got ${weights.length} weights for ${request.series.length} series; give one weight per series`);
    }
    const chosen = new Map<number, { series: Series; weight: number }>();
    request.series.forEach((query, i) => {
      const series = findSeries(query);
      const previous = chosen.get(series.id);
      chosen.set(series.id, { series, weight: (previous?.weight ?? 0) + weights[i] });
    });
    return [...chosen.values()];
  }

  async function shortlist(request: RecommendRequest): Promise<Shortlist> {
    const limit = positiveInteger(request.limit ?? RESULT_LIMIT, "limit", 100);
    const k = Math.max(positiveInteger(request.k ?? SHORTLIST_SIZE, "k", 1000), limit);
    const picked = chosenSeries(request);
    const start = request.movie === undefined ? undefined : findMovie(request.movie);
    const dislikes = request.dislikes ?? [];
    const requested = validateFilters({ ...DEFAULT_FILTERS, ...request.filters }, vocabulary);
    // Dislikes and the start movie leave the list in the pipeline; as excluded ids they also stay out of what an LLM adds.
    const leaving = [...dislikes, ...(start ? [start.id] : [])].filter((id) => !requested.excludeIds?.includes(id));
    const filters = leaving.length ? { ...requested, excludeIds: [...(requested.excludeIds ?? []), ...leaving] } : requested;
    const allowedIds = await matchingIds(filters);
    const { missingVectors, feedback: _feedback, ...input } = rankingInput(context, {
      series: picked.map(({ series, weight }) => ({ series: rankableSeries(series), weight })),
      allowedIds,
      filters,
      limit,
      k,
      mmr: request.mmr,
      ...(request.likes?.length ? { likes: request.likes } : {}),
      ...(dislikes.length ? { dislikes } : {}),
      ...(start ? { movie: rankableMovie(start) } : {}),
    });
    if (missingVectors.length > 0) {
      // Missing series come first; the start movie, when it lacks a vector, last.
      const series = picked.find((p) => p.series.id === missingVectors[0].id)?.series;
      const what = series ? `series ${describeSeries(series)}` : `movie ${describeMovie(start!)}`;
      throw new RecommendError(`${what} has no vector; rebuild the vectors for ${dir}`);
    }
    const chosen = picked.map(({ series }) => ({ id: series.id, name: series.name, year: yearOf(series.first_air_date), genres: series.genre_names }));
    return { input, series: chosen, matching: allowedIds.length, ...(start ? { movie: { id: start.id, title: start.title, year: yearOf(start.release_date) } } : {}) };
  }

  async function recommend(request: RecommendRequest): Promise<Recommendation> {
    const { input, series, matching, movie } = await shortlist(request);
    const proposals = { index: titleIndex, similarityOf: similarityTo(vectors, series.map((s) => s.id)) };
    const result = await rerank(input, { proposals, ...options.rerank, ...(request.useLlm === false ? { client: null } : {}) });
    // Picks may name a proposal the shortlist did not have (result.added).
    const byId = new Map([...input.candidates, ...(result.added ?? [])].map((c) => [c.id, c]));
    const picks: RecommendedMovie[] = result.picks.map((pick) => {
      const { overview: _overview, ...candidate } = byId.get(pick.id)!;
      return { ...candidate, reason: pick.reason, rank: pick.rank };
    });
    return {
      series,
      ...(movie ? { movie } : {}),
      filters: input.filters,
      picks,
      source: result.source,
      model: result.model,
      ...(result.fallbackReason ? { fallbackReason: result.fallbackReason } : {}),
      counts: { matching, shortlisted: input.candidates.length },
    };
  }

  return {
    catalog,
    meta: catalog.meta,
    dir,
    vectors,
    findSeries,
    findMovie,
    shortlist,
    recommend,
    close: () => connection.closeSync(),
  };
}
