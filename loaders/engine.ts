// The recommendation engine on Node: catalogue + vectors in memory, filters in DuckDB over
// the catalogue Parquet, then shortlist (cosine, optional lexical boost) and rerank (LLM or
// the deterministic fallback, which also sees the title overlap). Used by `npm run recommend`
// and the benchmarks.
import type { DuckDBConnection } from "@duckdb/node-api";
import path from "node:path";
import { MOVIE_GENRES, sharedGenres, yearOf, type Catalog, type CatalogMeta, type Movie, type Series } from "../lib/catalog.ts";
import type { Embedder } from "./vectors/embedders.ts";
import { DEFAULT_FILTERS, buildMovieFilterQuery, validateFilters, type FilterVocabulary, type Filters } from "../lib/filters.ts";
import { languageNames } from "../lib/languages.ts";
import { LEXICAL_WEIGHT, buildLexicalIndex, lexicalScores, scaledBoosts, type LexicalIndex } from "../lib/lexical.ts";
import { rerank, type RerankCandidate, type RerankOptions, type RerankSeries } from "./llm/rerank.ts";
import { queryVector, shortlist } from "../lib/shortlist.ts";
import { rowOf } from "../lib/vectors.ts";
import { activeCatalog } from "./catalog/active.ts";
import { catalogVectorFiles, dequantizeCatalogVectors } from "./vectors/files.ts";
import { CATALOG_FILES, connectDuckDB, readCatalog, sqlPath } from "./catalog/store.ts";
import { loadCatalogVectors, type CatalogVectors } from "./vectors/catalog-vectors.ts";

export interface EngineOptions {
  /** Catalogue directory; default: the active catalogue (TMDB, import, or the demo). */
  catalogDir?: string;
  /** Embedder for the vectors; default: createEmbedder() with the configured backend. */
  embedder?: Embedder;
  /** Vectors already computed for this catalogue (benchmarks, tests); skips embedding. */
  vectors?: CatalogVectors;
  /**
   * Use the catalogue's int8 vector files (what the site ships; built first when stale)
   * instead of full-precision vectors from the cache. Default false.
   */
  vectorFiles?: boolean;
  /**
   * Title-overlap boost weight (LEXICAL_WEIGHT in lib/lexical.ts by default); 0 turns the
   * lexical signal off, both in the shortlist and in the fallback ranker.
   */
  lexicalWeight?: number;
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
}

export interface ChosenSeries {
  id: number;
  name: string;
  year: number | null;
  genres: string[];
}

/** A shortlisted movie as the engine returns it: the candidate without its overview, ranked and explained. */
export interface RecommendedMovie extends Omit<RerankCandidate, "overview"> {
  reason: string;
  rank: number;
}

export interface Recommendation {
  series: ChosenSeries[];
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
  vectors: CatalogVectors;
  findSeries(query: string | number): Series;
  recommend(request: RecommendRequest): Promise<Recommendation>;
  close(): void;
}

export class SeriesLookupError extends Error {
  constructor(
    message: string,
    readonly query: string | number,
    readonly matches: Series[],
  ) {
    super(message);
    this.name = "SeriesLookupError";
  }
}

export class RecommendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecommendError";
  }
}

/** Lowercase, accent- and punctuation-free form of a name, so "Grey's Anatomy" finds "Greys Anatomy". */
export function foldName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function describeSeries(s: Series): string {
  const year = yearOf(s.first_air_date);
  return `${s.name} (${year ?? "year unknown"}, id ${s.id})`;
}

/** Up to `count` series whose names come closest to `query`: containing it first, then by edit distance. */
export function closestSeries(series: readonly Series[], query: string, count = 5): Series[] {
  const q = foldName(query);
  return series
    .map((s) => {
      const name = foldName(s.name);
      const contains = q.length > 0 && (name.includes(q) || q.includes(name));
      return { s, contains, distance: editDistance(q, name) };
    })
    .sort((a, b) => Number(b.contains) - Number(a.contains) || a.distance - b.distance || b.s.popularity - a.s.popularity)
    .slice(0, count)
    .map((x) => x.s);
}

function seriesFinder(series: readonly Series[]): (query: string | number) => Series {
  const byId = new Map(series.map((s) => [s.id, s]));
  const byName = new Map<string, Series[]>();
  for (const s of series) {
    const key = foldName(s.name);
    byName.set(key, [...(byName.get(key) ?? []), s]);
  }
  return (query) => {
    if (typeof query === "number") {
      const found = byId.get(query);
      if (found) return found;
      throw new SeriesLookupError(`no series with id ${query} in the catalogue`, query, []);
    }
    const text = query.trim();
    // Digits are an id when the catalogue has that id; otherwise they may be a name ("1883").
    if (/^\d+$/.test(text) && byId.has(Number(text))) return byId.get(Number(text))!;
    const exact = byName.get(foldName(text)) ?? [];
    if (exact.length === 1) return exact[0];
    if (exact.length > 1) {
      const sorted = [...exact].sort((a, b) => b.popularity - a.popularity);
      throw new SeriesLookupError(
        `"${text}" matches ${exact.length} series: ${sorted.map(describeSeries).join("; ")}. Pass the id instead, e.g. --series ${sorted[0].id}`,
        query,
        sorted,
      );
    }
    const closest = closestSeries(series, text);
    throw new SeriesLookupError(
      `no series named "${text}" in the catalogue. Closest: ${closest.map(describeSeries).join("; ") || "none"}`,
      query,
      closest,
    );
  };
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

/** Opens a catalogue for recommending: reads it, embeds (or loads cached vectors), opens DuckDB. */
export async function openEngine(options: EngineOptions = {}): Promise<Engine> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = options.catalogDir ? path.resolve(options.catalogDir) : (await activeCatalog({ log })).dir;
  const catalog = await readCatalog(dir);
  const vectors =
    options.vectors ??
    (options.vectorFiles
      ? dequantizeCatalogVectors(await catalogVectorFiles({ catalogDir: dir, catalog, embedder: options.embedder, log }))
      : await loadCatalogVectors(catalog, { embedder: options.embedder }));
  if (vectors.movies.dims !== vectors.series.dims || vectors.movies.embedderId !== vectors.series.embedderId) {
    throw new RecommendError("movie and series vectors come from different embedders; rebuild the vectors");
  }
  const moviesById = new Map<number, Movie>(catalog.movies.map((m) => [m.id, m]));
  const vocabulary = vocabularyOf(catalog);
  const lexicalWeight = options.lexicalWeight ?? LEXICAL_WEIGHT;
  const lexicon: LexicalIndex | null = lexicalWeight > 0 ? buildLexicalIndex(catalog.movies) : null;
  const findSeries = seriesFinder(catalog.series);

  const connection: DuckDBConnection = await connectDuckDB();
  // A temp view is private to this connection, so two engines in one process do not collide.
  await connection.run(`CREATE OR REPLACE TEMP VIEW movies AS SELECT * FROM read_parquet(${sqlPath(path.join(dir, CATALOG_FILES.movies))})`);

  async function matchingIds(filters: Filters): Promise<number[]> {
    const { sql, params } = buildMovieFilterQuery(filters, { columns: ["id"] });
    const reader = await connection.runAndReadAll(sql, params);
    return reader.getColumnsJS()[0]?.map(Number) ?? [];
  }

  async function recommend(request: RecommendRequest): Promise<Recommendation> {
    const limit = positiveInteger(request.limit ?? 10, "limit", 100);
    const k = Math.max(positiveInteger(request.k ?? 30, "k", 1000), limit);
    if (request.series.length === 0) throw new RecommendError("choose at least one series");
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
    const picked = [...chosen.values()];
    const filters = validateFilters({ ...DEFAULT_FILTERS, ...request.filters }, vocabulary);

    const allowed = await matchingIds(filters);
    const query = queryVector(
      picked.map(({ series, weight }) => {
        const row = rowOf(vectors.series, series.id);
        if (row < 0) throw new RecommendError(`series ${describeSeries(series)} has no vector; rebuild the vectors for ${dir}`);
        const { dims } = vectors.series;
        return { vector: vectors.series.data.subarray(row * dims, (row + 1) * dims), weight };
      }),
    );
    const overlaps = lexicon ? lexicalScores(lexicon, picked.map((p) => p.series.name)) : null;
    const boosts = overlaps ? scaledBoosts(overlaps, lexicalWeight) : undefined;
    const hits = shortlist({ query, movies: vectors.movies, allowedIds: allowed, k, mmr: request.mmr, boosts });

    const seriesGenres = picked.flatMap((p) => p.series.genre_names);
    const candidates: RerankCandidate[] = hits.map((hit) => {
      const movie = moviesById.get(hit.id)!;
      return {
        id: movie.id,
        title: movie.title,
        year: yearOf(movie.release_date),
        genres: movie.genre_names,
        overview: movie.overview,
        popularity: movie.popularity,
        vote_average: movie.vote_average,
        vote_count: movie.vote_count,
        similarity: hit.similarity,
        shared_genres: sharedGenres(seriesGenres, movie.genre_names),
        ...(overlaps ? { title_overlap: overlaps.get(movie.id) ?? 0 } : {}),
      };
    });
    const rerankSeries: RerankSeries[] = picked.map(({ series }) => ({
      id: series.id,
      name: series.name,
      year: yearOf(series.first_air_date),
      genres: series.genre_names,
      overview: series.overview,
    }));
    const result = await rerank(
      { series: rerankSeries, filters, candidates, limit },
      { ...options.rerank, ...(request.useLlm === false ? { client: null } : {}) },
    );
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const picks: RecommendedMovie[] = result.picks.map((pick) => {
      const c = byId.get(pick.id)!;
      return {
        id: c.id,
        title: c.title,
        year: c.year,
        genres: c.genres,
        popularity: c.popularity,
        vote_average: c.vote_average,
        vote_count: c.vote_count,
        similarity: c.similarity,
        shared_genres: c.shared_genres,
        ...(c.title_overlap !== undefined ? { title_overlap: c.title_overlap } : {}),
        reason: pick.reason,
        rank: pick.rank,
      };
    });
    return {
      series: rerankSeries.map(({ id, name, year, genres }) => ({ id, name, year, genres })),
      filters,
      picks,
      source: result.source,
      model: result.model,
      ...(result.fallbackReason ? { fallbackReason: result.fallbackReason } : {}),
      counts: { matching: allowed.length, shortlisted: candidates.length },
    };
  }

  return {
    catalog,
    meta: catalog.meta,
    dir,
    vectors,
    findSeries,
    recommend,
    close: () => connection.closeSync(),
  };
}
