// From the page's state to the results it shows: the precomputed picks when they apply
// (one series, default filters), otherwise lib/pipeline.ts's shortlist of the movies that pass
// the filters (the same pipeline `npm run recommend` runs), ordered and explained by the
// deterministic ranker of lib/fallback.ts.
import type { ResultItem } from "./cards.js";
import type { ResultPoint } from "./charts.js";
import {
  FAVOURITE_WEIGHT,
  RESULT_LIMIT,
  SHORTLIST_SIZE,
  createRankingContext,
  fallbackRank,
  filterIds,
  isDefaultFilters,
  movieMatches,
  normaliseFilters,
  rankingInput,
  sharedGenres,
  type Filters,
  type RankingContext,
} from "./lib.bundle.js";
import type { LoadedSiteData, SiteMovie, SiteSeries } from "./site-data.js";
import type { RecommendState } from "./lib.bundle.js";

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

export { RESULT_LIMIT, SHORTLIST_SIZE };

// Built once per loaded data set: the lexical index and the id map are the costly parts.
const contexts = new WeakMap<RecommendData, RankingContext>();

function contextOf(data: RecommendData, vectors: NonNullable<RecommendData["vectors"]>): RankingContext {
  let context = contexts.get(data);
  if (!context) {
    context = createRankingContext(data.movies, vectors);
    contexts.set(data, context);
  }
  return context;
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
    items.push({ movie, rank: items.length + 1, similarity: pick.similarity, sharedGenres: sharedWith([series], movie), reason: pick.reason, because: [] });
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
  const input = rankingInput(contextOf(data, data.vectors), {
    series: series.map((s) => ({ series: s, weight: state.favourites?.includes(s.id) ? FAVOURITE_WEIGHT : 1 })),
    allowedIds,
    filters: state.filters,
    limit,
    k: options.candidates ?? SHORTLIST_SIZE,
  });
  const missing = input.missingVectors;
  if (missing.length) notes.push(`No story vector for ${missing.map((s) => s.name).join(", ")}; ranked by the other series.`);
  if (input.series.length === 0) return empty(engine, "None of the chosen series has a story vector in this build. Choose another series.", notes);
  if (allowedIds.length === 0) return { ...empty(engine, noMatchMessage(data, state.filters), notes), matching: 0 };
  const { candidates } = input;
  if (candidates.length === 0) {
    return { ...empty(engine, "None of the movies that pass these filters has a story vector in this build. Widen the filters.", notes), matching: allowedIds.length };
  }
  const sharedById = new Map(candidates.map((c) => [c.id, c.shared_genres]));
  const becauseById = new Map(candidates.map((c) => [c.id, c.because ?? []]));
  // "Because you like ..." only tells something when several series share the list.
  const seriesName = (id: number) => data.seriesById.get(id)?.name ?? "";
  const ranked = fallbackRank(input);
  const similarity = new Map(candidates.map((c) => [c.id, c.similarity]));
  const items: ResultItem[] = ranked.picks.map((pick) => ({
    movie: data.movieById.get(pick.id)!,
    rank: pick.rank,
    similarity: similarity.get(pick.id) ?? null,
    sharedGenres: sharedById.get(pick.id) ?? [],
    reason: pick.reason,
    because: input.series.length > 1 ? (becauseById.get(pick.id) ?? []).map(seriesName) : [],
  }));
  const picked = new Set(items.map((i) => i.movie.id));
  const points = candidates.map((c) =>
    point({ movie: data.movieById.get(c.id)!, rank: 0, similarity: c.similarity, sharedGenres: c.shared_genres, reason: "", because: [] }, picked.has(c.id)),
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
