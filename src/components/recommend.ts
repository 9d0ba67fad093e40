// From the page's state to the results it shows: the precomputed picks when they apply
// (one series, default filters), otherwise a similarity shortlist of the movies that pass
// the filters, ordered and explained by the deterministic ranker of lib/fallback.ts.
import type { ResultItem } from "./cards.js";
import type { ResultPoint } from "./charts.js";
import { filterIds, isDefaultFilters, movieMatches, normaliseFilters } from "./js-filter.js";
import {
  LEXICAL_WEIGHT,
  buildLexicalIndex,
  dequantizeRow,
  fallbackRank,
  lexicalScores,
  queryVector,
  rowOf,
  scaledBoosts,
  sharedGenres,
  shortlist,
  type Filters,
  type LexicalIndex,
  type RerankCandidate,
} from "./lib.bundle.js";
import type { LoadedSiteData, SiteMovie, SiteSeries } from "./site-data.js";
import type { RecommendState } from "./url-state.js";

export type RecommendData = LoadedSiteData;

/** What produced the results: the precomputed picks, the in-page filter or DuckDB-WASM. */
export type Engine = "picks" | "js" | "duckdb";

export interface Recommendation {
  kind: "picks" | "ranked" | "empty";
  engine: Engine;
  items: ResultItem[];
  /** The shortlist behind the cards, for the chart. */
  points: ResultPoint[];
  source: "llm" | "fallback" | null;
  model: string | null;
  generatedAt: string | null;
  /** Movies that pass the filters (ranked results only). */
  matching: number | null;
  /** For empty results: what to change. */
  message: string | null;
  notes: string[];
}

export interface RankOptions {
  /** Cards shown. */
  limit?: number;
  /** Shortlist size handed to the ranker (and drawn in the chart). */
  candidates?: number;
}

// The same shortlist size and card count as the Node engine (loaders/engine.ts), so the page
// and `npm run recommend` rank alike (the title-overlap weight is lib/lexical.ts's, shared).
export const RESULT_LIMIT = 10;
export const SHORTLIST_SIZE = 30;

const lexicons = new WeakMap<readonly SiteMovie[], LexicalIndex>();

function lexiconOf(movies: readonly SiteMovie[]): LexicalIndex {
  let index = lexicons.get(movies);
  if (!index) {
    index = buildLexicalIndex(movies);
    lexicons.set(movies, index);
  }
  return index;
}

function empty(engine: Engine, message: string, notes: string[] = []): Recommendation {
  return { kind: "empty", engine, items: [], points: [], source: null, model: null, generatedAt: null, matching: null, message, notes };
}

/** Movie genres shared with any of the series (TV genres mapped), in the movie's order. */
function sharedWith(series: readonly SiteSeries[], movie: SiteMovie): string[] {
  return sharedGenres(
    series.flatMap((s) => s.genre_names),
    movie.genre_names,
  );
}

/** The precomputed picks for the state, when it is one series with the default filters. */
export function picksRecommendation(data: RecommendData, state: RecommendState): Recommendation | null {
  if (state.seriesIds.length !== 1 || !isDefaultFilters(state.filters)) return null;
  const picks = data.picks.get(state.seriesIds[0]);
  const series = data.seriesById.get(state.seriesIds[0]);
  if (!picks?.length || !series) return null;
  const items: ResultItem[] = [];
  for (const pick of picks) {
    const movie = data.movieById.get(pick.movie_id);
    if (!movie) continue;
    items.push({ movie, rank: items.length + 1, similarity: pick.similarity, sharedGenres: sharedWith([series], movie), reason: pick.reason });
  }
  if (items.length === 0) return null;
  const first = picks[0];
  return {
    kind: "picks",
    engine: "picks",
    items,
    points: items.map((item) => point(item, true)),
    source: first.source,
    model: first.model,
    generatedAt: first.generated_at,
    matching: null,
    message: null,
    notes: [],
  };
}

function point(item: ResultItem, picked: boolean): ResultPoint {
  return {
    title: item.movie.title,
    year: item.movie.year,
    similarity: item.similarity ?? 0,
    popularity: item.movie.popularity,
    vote_average: item.movie.vote_average,
    sharedGenre: item.sharedGenres[0] ?? "No shared genre",
    picked,
  };
}

/** Counts what each single relaxation of the filters would let through, best first. */
export function relaxations(movies: readonly SiteMovie[], filters: Filters): { change: string; count: number }[] {
  const f = normaliseFilters(filters);
  const options: { change: string; filters: Filters }[] = [];
  const without = (key: keyof Filters, change: string) => {
    const next = { ...f };
    delete next[key];
    if (key === "genres") delete next.genreMode;
    options.push({ change, filters: next });
  };
  if (f.genres && f.genreMode === "all" && f.genres.length > 1) options.push({ change: "match any of the genres instead of all", filters: { ...f, genreMode: "any" } });
  if (f.genres) without("genres", "clear the genres");
  if (f.languages) without("languages", "clear the languages");
  if (f.minPopularity !== undefined) without("minPopularity", "set the minimum popularity to 0");
  if (f.minVotes !== undefined) without("minVotes", "set the minimum votes to 0");
  if (f.yearFrom !== undefined || f.yearTo !== undefined) {
    const next = { ...f };
    delete next.yearFrom;
    delete next.yearTo;
    options.push({ change: "clear the release years", filters: next });
  }
  if (f.ageAppropriateOnly) options.push({ change: "include titles for adults only", filters: { ...f, ageAppropriateOnly: false } });
  if (f.excludeIds) without("excludeIds", "stop excluding titles");
  return options
    .map((o) => ({ change: o.change, count: movies.reduce((n, m) => n + (movieMatches(m, o.filters) ? 1 : 0), 0) }))
    .filter((o) => o.count > 0)
    .sort((a, b) => b.count - a.count);
}

function noMatchMessage(data: RecommendData, filters: Filters): string {
  const ideas = relaxations(data.movies, filters).slice(0, 3);
  if (ideas.length === 0) return "No movie passes these filters. Reset the filters to start again.";
  const list = ideas.map((i) => `${i.change} (${i.count.toLocaleString("en")} movies)`);
  return `No movie passes these filters. Try one of these: ${list.join("; ")}.`;
}

/**
 * Ranks the movies in `allowedIds` (already filtered, by DuckDB-WASM or the in-page filter)
 * for the chosen series: cosine shortlist from the precomputed vectors, then the
 * deterministic ranker with its data-based reasons.
 */
export function rankedRecommendation(
  data: RecommendData,
  state: RecommendState,
  allowedIds: readonly number[],
  engine: Engine,
  options: RankOptions = {},
): Recommendation {
  const limit = options.limit ?? RESULT_LIMIT;
  if (state.seriesIds.length === 0) return empty(engine, "Choose at least one TV series you love to get movie picks.");
  if (!data.vectors) return empty(engine, "This build has no story vectors, so it cannot rank movies. Rebuild the site with an embedder available.");
  const series = state.seriesIds.map((id) => data.seriesById.get(id)).filter((s): s is SiteSeries => s !== undefined);
  const notes: string[] = [];
  const seriesVectors = data.vectors.series;
  const withVectors = series.filter((s) => rowOf(seriesVectors, s.id) >= 0);
  const missing = series.filter((s) => !withVectors.includes(s));
  if (missing.length) notes.push(`No story vector for ${missing.map((s) => s.name).join(", ")}; ranked by the other series.`);
  if (withVectors.length === 0) return empty(engine, "None of the chosen series has a story vector in this build. Choose another series.", notes);
  if (allowedIds.length === 0) return { ...empty(engine, noMatchMessage(data, state.filters), notes), matching: 0 };

  const query = queryVector(withVectors.map((s) => ({ vector: dequantizeRow(seriesVectors, rowOf(seriesVectors, s.id)) })));
  const overlaps = lexicalScores(lexiconOf(data.movies), withVectors.map((s) => s.name));
  const boosts = scaledBoosts(overlaps, LEXICAL_WEIGHT);
  const shortlisted = shortlist({ query, movies: data.vectors.movies, allowedIds, k: Math.max(options.candidates ?? SHORTLIST_SIZE, limit), boosts });
  if (shortlisted.length === 0) {
    return { ...empty(engine, "None of the movies that pass these filters has a story vector in this build. Widen the filters.", notes), matching: allowedIds.length };
  }
  const candidates: RerankCandidate[] = [];
  const sharedById = new Map<number, string[]>();
  for (const { id, similarity } of shortlisted) {
    const movie = data.movieById.get(id);
    if (!movie) continue;
    const shared = sharedWith(withVectors, movie);
    sharedById.set(id, shared);
    candidates.push({
      id,
      title: movie.title,
      year: movie.year,
      genres: movie.genre_names,
      overview: movie.overview,
      popularity: movie.popularity,
      vote_average: movie.vote_average,
      vote_count: movie.vote_count,
      similarity,
      shared_genres: shared,
      title_overlap: overlaps.get(id) ?? 0,
    });
  }
  const ranked = fallbackRank({
    series: withVectors.map((s) => ({ id: s.id, name: s.name, year: s.year, genres: s.genre_names, overview: s.overview })),
    filters: state.filters,
    candidates,
    limit,
  });
  const similarity = new Map(candidates.map((c) => [c.id, c.similarity]));
  const items: ResultItem[] = ranked.picks.map((pick) => ({
    movie: data.movieById.get(pick.id)!,
    rank: pick.rank,
    similarity: similarity.get(pick.id) ?? null,
    sharedGenres: sharedById.get(pick.id) ?? [],
    reason: pick.reason,
  }));
  const picked = new Set(items.map((i) => i.movie.id));
  const points = candidates.map((c) =>
    point({ movie: data.movieById.get(c.id)!, rank: 0, similarity: c.similarity, sharedGenres: c.shared_genres, reason: "" }, picked.has(c.id)),
  );
  return {
    kind: "ranked",
    engine,
    items,
    points,
    source: "fallback",
    model: null,
    generatedAt: null,
    matching: allowedIds.length,
    message: null,
    notes,
  };
}

/** What filters the movies: the in-page filter until DuckDB-WASM is ready, then DuckDB. */
export type FilterEngine =
  | { kind: "js" }
  | { kind: "duckdb"; db: { filterIds(filters: Filters): Promise<number[]> } }
  | { kind: "failed"; error: unknown };

export interface TimedRecommendation {
  rec: Recommendation;
  elapsedMs: number;
}

/** The results for a state: picks when they apply, else filter (engine) then rank. */
export async function computeRecommendation(data: RecommendData, state: RecommendState, engine: FilterEngine): Promise<TimedRecommendation> {
  const started = performance.now();
  const picks = picksRecommendation(data, state);
  if (picks) return { rec: picks, elapsedMs: performance.now() - started };
  if (state.seriesIds.length === 0) {
    return { rec: rankedRecommendation(data, state, [], engine.kind === "duckdb" ? "duckdb" : "js"), elapsedMs: performance.now() - started };
  }
  let rec: Recommendation;
  if (engine.kind === "duckdb") {
    rec = rankedRecommendation(data, state, await engine.db.filterIds(state.filters), "duckdb");
  } else {
    rec = rankedRecommendation(data, state, filterIds(data.movies, state.filters), "js");
    if (engine.kind === "failed") {
      const reason = engine.error instanceof Error ? engine.error.message : String(engine.error);
      rec.notes.push(`The in-browser database did not start (${reason}); the page filtered the movies itself.`);
    }
  }
  return { rec, elapsedMs: performance.now() - started };
}
