// Shapes shared by the LLM rerank (Node) and the fallback ranker (Node and browser).
// Type-only module: importing it pulls no code into the browser bundle.
import { sharedGenres } from "./catalog.ts";
import type { Filters } from "./filters.ts";
import type { ProposalCounts } from "./proposals.ts";

export interface RerankCandidate {
  id: number;
  title: string;
  year: number | null;
  genres: string[];
  overview: string;
  popularity: number;
  vote_average: number;
  vote_count: number;
  /** Cosine similarity between the series' query vector and this movie (from the shortlist). */
  similarity: number;
  /** Movie genres this candidate shares with the chosen series (TV genres already mapped). */
  shared_genres: string[];
  /**
   * How much of a chosen series' name its title repeats, 0..1 (lexicalScores() in
   * lib/lexical.ts: IDF-weighted, best over the series). Absent when the caller has no lexical
   * signal; the fallback ranker then ranks by the other signals alone.
   */
  title_overlap?: number;
  /** The pipeline's fused score (lib/pipeline.ts); candidates arrive sorted by it and shared among the series. */
  score?: number;
  /** The chosen series this candidate is there for, first the one whose share it fills. */
  because?: number[];
  /** Set when the movie belongs with a series by name: its title ("title") or a name its story uses ("entity"). */
  franchise?: "title" | "entity";
  /** Movies the visitor liked that this one is closer to than to its series: the likes that brought it, closest first. */
  liked?: number[];
  /** People and TMDB keywords the movie shares with its series (lib/metadata-links.ts). */
  links?: { people: { name: string; role: "directed" | "wrote" | "stars"; inSeries: "created" | "starred" }[]; keywords: string[]; companies?: string[] };
  /** Set when the LLM named this movie from its own knowledge and it resolved to this catalogue id (lib/proposals.ts). */
  proposal?: boolean;
}

export interface RerankSeries {
  id: number;
  name: string;
  year: number | null;
  genres: string[];
  overview: string;
  /** "movie" for a start movie ("more like this"), which reasons must not call a series. */
  kind?: "series" | "movie";
}

export interface RerankInput {
  series: RerankSeries[];
  filters: Filters;
  candidates: RerankCandidate[];
  limit: number;
}

export interface RerankPick {
  id: number;
  rank: number;
  reason: string;
}

export interface RerankDropped {
  unknown_ids: number;
  duplicates: number;
  empty_reasons: number;
}

export interface RerankResult {
  picks: RerankPick[];
  model: string | null;
  source: "llm" | "fallback";
  dropped?: RerankDropped;
  /** Why the fallback ranker answered instead of the LLM (no client, auth, timeout, bad output...). */
  fallbackReason?: string;
  /** ISO time the picks were generated (for cached LLM answers: when the call was made). */
  generated_at?: string;
  /** Resolved proposals that were not in the input's candidates: the picks may name them. */
  added?: RerankCandidate[];
  /** What became of the model's proposals (resolved, unresolved, filtered out...). */
  proposals?: ProposalCounts;
}

/** One precomputed pick of the static site: a row of picks.parquet, and what the pages decode. */
export interface PickRow {
  series_id: number;
  rank: number;
  movie_id: number;
  reason: string;
  /** Shortlist similarity of the movie to the series. */
  similarity: number | null;
  source: RerankResult["source"];
  model: string | null;
  /** ISO timestamp the pick was generated (for cached LLM answers: the original call). */
  generated_at: string | null;
}

/** What a candidate is built from: a catalogue movie as the pipeline and the proposals read it. */
export interface CandidateMovie {
  id: number;
  title: string;
  year: number | null;
  genre_names: string[];
  overview: string;
  popularity: number;
  vote_average: number;
  vote_count: number;
}

/** The fields every candidate carries, from its movie, the series' genres and its story similarity. */
export function movieCandidate(movie: CandidateMovie, seriesGenres: readonly string[], similarity: number): RerankCandidate {
  return {
    id: movie.id,
    title: movie.title,
    year: movie.year,
    genres: movie.genre_names,
    overview: movie.overview,
    popularity: movie.popularity,
    vote_average: movie.vote_average,
    vote_count: movie.vote_count,
    similarity,
    shared_genres: sharedGenres(seriesGenres, movie.genre_names),
  };
}
