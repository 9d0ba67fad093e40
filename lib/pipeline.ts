// The one ranking pipeline: from the chosen series, the movies that pass the filters and the
// catalogue's vectors to the candidate list the reranker (LLM or fallback) sees. The command
// line engine, the build's precompute and the Recommend page all call rankingInput(), so they
// rank alike: same limits, same signals, same vectors. Pure and browser-safe.
import { sharedGenres } from "./catalog.ts";
import type { Filters } from "./filters.ts";
import { LEXICAL_WEIGHT, buildLexicalIndex, lexicalScores, scaledBoosts, type LexicalIndex } from "./lexical.ts";
import type { RerankCandidate, RerankInput, RerankSeries } from "./rerank-types.ts";
import { queryVector, shortlist } from "./shortlist.ts";
import { dequantizeRow, rowOf, type Int8VectorSet, type VectorSet } from "./vectors.ts";

/** Cards shown for a selection. */
export const RESULT_LIMIT = 10;
/** Candidates handed to the reranker (and drawn in the page's chart). */
export const SHORTLIST_SIZE = 30;

/** A movie as the pipeline reads it; catalogue rows and the page's decoded rows both fit. */
export interface RankableMovie {
  id: number;
  title: string;
  year: number | null;
  genre_names: string[];
  overview: string;
  popularity: number;
  vote_average: number;
  vote_count: number;
}

/** A series as the pipeline reads it. */
export interface RankableSeries {
  id: number;
  name: string;
  year: number | null;
  genre_names: string[];
  overview: string;
}

export interface RankingVectors {
  movies: VectorSet | Int8VectorSet;
  series: VectorSet | Int8VectorSet;
}

/** What the pipeline needs of a catalogue, built once and reused for every selection. */
export interface RankingContext {
  movieById: ReadonlyMap<number, RankableMovie>;
  vectors: RankingVectors;
  /** Title-overlap index; null when the lexical signal is off (weight 0). */
  lexicon: LexicalIndex | null;
  lexicalWeight: number;
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
  options: { lexicalWeight?: number } = {},
): RankingContext {
  if (vectors.movies.dims !== vectors.series.dims || vectors.movies.embedderId !== vectors.series.embedderId) {
    throw new RankingError("movie and series vectors come from different embedders; rebuild the vectors");
  }
  const lexicalWeight = options.lexicalWeight ?? LEXICAL_WEIGHT;
  return {
    movieById: new Map(movies.map((m) => [m.id, m])),
    vectors,
    lexicon: lexicalWeight > 0 ? buildLexicalIndex(movies) : null,
    lexicalWeight,
  };
}

export interface RankingRequest {
  series: readonly { series: RankableSeries; weight?: number }[];
  /** Movies passing the filters (DuckDB or the exact JS filter). */
  allowedIds: readonly number[];
  /** The filters behind allowedIds, passed on to the reranker. */
  filters: Filters;
  limit?: number;
  k?: number;
  mmr?: { lambda: number };
}

export interface RankingInput extends RerankInput {
  /** Chosen series that have no vector in this build; ranked by the others. */
  missingVectors: RankableSeries[];
}

/** The series' unit vector: float rows as they are, int8 rows dequantised (as the page does). */
function seriesVector(set: VectorSet | Int8VectorSet, row: number): Float32Array {
  if (set.data instanceof Int8Array) return dequantizeRow(set as Int8VectorSet, row);
  return (set.data as Float32Array).subarray(row * set.dims, (row + 1) * set.dims);
}

/**
 * The reranker's input for a selection: cosine shortlist of the allowed movies against the
 * weighted series query, with the title-overlap boost, as candidates in shortlist order.
 * Series without a vector are left out (listed in missingVectors); none with one → no candidates.
 */
export function rankingInput(context: RankingContext, request: RankingRequest): RankingInput {
  const limit = request.limit ?? RESULT_LIMIT;
  const k = Math.max(request.k ?? SHORTLIST_SIZE, limit);
  const withVector = request.series.filter(({ series }) => rowOf(context.vectors.series, series.id) >= 0);
  const missingVectors = request.series.filter((s) => !withVector.includes(s)).map((s) => s.series);
  const rerankSeries: RerankSeries[] = withVector.map(({ series }) => ({
    id: series.id,
    name: series.name,
    year: series.year,
    genres: series.genre_names,
    overview: series.overview,
  }));
  const base = { series: rerankSeries, filters: request.filters, limit, missingVectors };
  if (withVector.length === 0 || request.allowedIds.length === 0) return { ...base, candidates: [] };

  const seriesSet = context.vectors.series;
  const query = queryVector(withVector.map(({ series, weight }) => ({ vector: seriesVector(seriesSet, rowOf(seriesSet, series.id)), weight })));
  const names = withVector.map(({ series }) => series.name);
  const overlaps = context.lexicon ? lexicalScores(context.lexicon, names) : null;
  const boosts = overlaps ? scaledBoosts(overlaps, context.lexicalWeight) : undefined;
  const hits = shortlist({ query, movies: context.vectors.movies, allowedIds: request.allowedIds, k, mmr: request.mmr, boosts });

  const seriesGenres = withVector.flatMap(({ series }) => series.genre_names);
  const candidates: RerankCandidate[] = [];
  for (const hit of hits) {
    const movie = context.movieById.get(hit.id);
    if (!movie) continue;
    candidates.push({
      id: movie.id,
      title: movie.title,
      year: movie.year,
      genres: movie.genre_names,
      overview: movie.overview,
      popularity: movie.popularity,
      vote_average: movie.vote_average,
      vote_count: movie.vote_count,
      similarity: hit.similarity,
      shared_genres: sharedGenres(seriesGenres, movie.genre_names),
      ...(overlaps ? { title_overlap: overlaps.get(movie.id) ?? 0 } : {}),
    });
  }
  return { ...base, candidates };
}
