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
  createFusionContext,
  createRankingContext,
  fallbackRank,
  listRanking,
  filterIds,
  isDefaultFilters,
  movieMatches,
  normaliseFilters,
  rankingInput,
  sharedGenres,
  type Filters,
  type FusionContext,
  type RankingContext,
  type RankingInput,
} from "./lib.bundle.js";
import type { LoadedSiteData, SiteMovie, SiteRankingData, SiteSeries, SiteVectors } from "./site-data.js";
import type { RecommendState } from "./lib.bundle.js";

export type RecommendData = LoadedSiteData;

/**
 * What produced the results: the precomputed picks, or the page's own filter and ranking.
 * (The page has no DuckDB-WASM: lib/filters.ts's JS filter returns the same ids as the SQL
 * the command line runs, tests/lib/filters-parity.test.ts, in a few ms, without 6 MB of
 * WebAssembly on the wire.)
 */
export type Engine = "picks" | "js";

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

/**
 * What the visitor told the page (fan-state.ts): movies to leave out (seen, not for me, not on
 * their services), likes and dislikes that reshape the ranking (lib/pipeline.ts).
 */
export interface Feedback {
  exclude: readonly number[];
  likes: readonly number[];
  dislikes: readonly number[];
}

export interface RankOptions {
  /** Liked and disliked movie ids (lib/pipeline.ts's feedback). */
  likes?: readonly number[];
  dislikes?: readonly number[];
  /** Cards shown. */
  limit?: number;
  /** Shortlist size handed to the ranker (and drawn in the chart). */
  candidates?: number;
}

export { RESULT_LIMIT, SHORTLIST_SIZE };

// Built once per loaded data set: the lexical index and the id map are the costly parts.
const contexts = new WeakMap<RecommendData, RankingContext>();

function contextOf(data: RecommendData, vectors: SiteVectors): RankingContext {
  let context = contexts.get(data);
  if (!context) {
    context = createRankingContext(data.movies, vectors);
    contexts.set(data, context);
  }
  return context;
}

// The fusion's part alone (movies and priors), for ranking from the signal lists.
const fusions = new WeakMap<RecommendData, FusionContext>();

function fusionOf(data: RecommendData): FusionContext {
  let fusion = fusions.get(data);
  if (!fusion) fusions.set(data, (fusion = createFusionContext(data.movies)));
  return fusion;
}

function empty(engine: Engine, message: string, notes: string[] = []): Recommendation {
  return { kind: "empty", engine, items: [], points: [], source: null, model: null, generatedAt: null, matching: null, message, notes };
}

/** Movie genres shared with any of the series (TV genres mapped), in the movie's order. */
function sharedWith(series: readonly Pick<SiteSeries, "genre_names">[], movie: SiteMovie): string[] {
  return sharedGenres(
    series.flatMap((s) => s.genre_names),
    movie.genre_names,
  );
}

/**
 * What the picks need: the loaded data, or before it the cards picks.arrow carries (site-data.ts
 * decodePickCards), which have no texts() to fetch a story with.
 */
export interface PicksData {
  picks: RecommendData["picks"];
  movieById: ReadonlyMap<number, SiteMovie>;
  seriesById: ReadonlyMap<number, Pick<SiteSeries, "genre_names">>;
  /** Fills in these movies' texts (site-data.ts movieTexts); absent before the catalogue arrives. */
  movieTexts?: RecommendData["movieTexts"];
}

/** The precomputed picks for the state, when it is one series with the default filters. */
export function picksRecommendation(data: PicksData, state: RecommendState): Recommendation | null {
  if (state.seriesIds.length !== 1 || !isDefaultFilters(state.filters)) return null;
  const picks = data.picks.get(state.seriesIds[0]);
  const series = data.seriesById.get(state.seriesIds[0]);
  if (!picks?.length || !series) return null;
  const { movieTexts } = data;
  const items: ResultItem[] = [];
  for (const pick of picks) {
    const movie = data.movieById.get(pick.movie_id);
    if (!movie) continue;
    items.push({
      movie,
      rank: items.length + 1,
      similarity: pick.similarity,
      sharedGenres: sharedWith([series], movie),
      reason: pick.reason,
      because: [],
      // Picks show before the movies' texts are fetched; a card's story fetches its own.
      story: movieTexts && (() => movieTexts([movie.id]).then(() => movie.overview)),
    });
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
 * Ranks the movies in `allowedIds` (already filtered) for the chosen series: lib/pipeline.ts's
 * shortlist on the shipped vectors and texts (`ranking`, from data.ranking()), then the
 * deterministic ranker with its data-based reasons.
 */
export function rankedRecommendation(
  data: RecommendData,
  ranking: SiteRankingData,
  state: RecommendState,
  allowedIds: readonly number[],
  options: RankOptions = {},
): Recommendation {
  const engine: Engine = "js";
  const limit = options.limit ?? RESULT_LIMIT;
  if (state.seriesIds.length === 0 && state.movie === undefined) return empty(engine, "Choose at least one TV series you love to get movie picks.");
  const { vectors } = ranking;
  if (!vectors) return empty(engine, "This build has no story vectors, so it cannot rank movies. Rebuild the site with an embedder available.");
  const series = state.seriesIds.map((id) => data.seriesById.get(id)).filter((s): s is SiteSeries => s !== undefined);
  const input = rankingInput(contextOf(data, vectors), {
    series: weightedSeries(series, state),
    allowedIds,
    filters: state.filters,
    limit,
    k: options.candidates ?? SHORTLIST_SIZE,
    likes: options.likes,
    dislikes: options.dislikes,
    movie: state.movie === undefined ? undefined : data.movieById.get(state.movie),
  });
  return recommendationFrom(data, state, input, allowedIds);
}

/** The chosen series with their weights in the shared list (favourites count double). */
function weightedSeries(series: readonly SiteSeries[], state: RecommendState) {
  return series.map((s) => ({ series: s, weight: state.favourites?.includes(s.id) ? FAVOURITE_WEIGHT : 1 }));
}

/**
 * The ranking from the build's signal lists (lib/signal-lists.ts): the same results as
 * rankedRecommendation(), with no vectors and only the candidates' texts (fetched by byte
 * range); null when it does not apply (feedback, a start movie, a build without lists, or a
 * filter that leaves a list too short), and the page ranks from the full data instead.
 */
export async function listRecommendation(data: RecommendData, state: RecommendState, allowedIds: readonly number[], feedback?: Feedback): Promise<Recommendation | null> {
  if (state.movie !== undefined || feedback?.likes.length || feedback?.dislikes.length || state.seriesIds.length === 0) return null;
  const series = state.seriesIds.map((id) => data.seriesById.get(id)).filter((s): s is SiteSeries => s !== undefined);
  const request = { series: weightedSeries(series, state), allowedIds, filters: state.filters, limit: RESULT_LIMIT, k: SHORTLIST_SIZE };
  // The first tier answers most filters; a narrower one reads the deep lists (70 KB a series on
  // the imported catalogue), and only past those the full data.
  let plan = null;
  for (const tier of ["first", "deep"] as const) {
    const lists = await Promise.all(series.map((s) => data.signalLists(s.id, tier)));
    if (lists.some((l) => l === null)) return null;
    const byId = new Map(series.map((s, i) => [s.id, lists[i] ?? undefined]));
    plan = listRanking(fusionOf(data), request, (id) => byId.get(id));
    if (plan) break;
  }
  if (!plan) return null;
  await data.movieTexts(plan.ids);
  return recommendationFrom(data, state, plan.input(data.keywordFrequency), allowedIds);
}

/** Cards, chart points and notes from the reranker's input, ordered and explained by the deterministic ranker. */
function recommendationFrom(data: RecommendData, state: RecommendState, input: RankingInput, allowedIds: readonly number[]): Recommendation {
  const engine: Engine = "js";
  const notes: string[] = [];
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
  const seriesName = (id: number) => (id === state.movie ? data.movieById.get(id)?.title : data.seriesById.get(id)?.name) ?? "";
  const likedById = new Map(candidates.map((c) => [c.id, (c.liked ?? []).map((id) => data.movieById.get(id)?.title ?? "").filter(Boolean)]));
  const ranked = fallbackRank(input);
  const similarity = new Map(candidates.map((c) => [c.id, c.similarity]));
  const items: ResultItem[] = ranked.picks.map((pick) => ({
    movie: data.movieById.get(pick.id)!,
    rank: pick.rank,
    similarity: similarity.get(pick.id) ?? null,
    sharedGenres: sharedById.get(pick.id) ?? [],
    reason: pick.reason,
    because: input.series.length > 1 ? (becauseById.get(pick.id) ?? []).map(seriesName) : [],
    liked: likedById.get(pick.id) ?? [],
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

export interface TimedRecommendation {
  rec: Recommendation;
  /** The filter and ranking, plus any wait for the signal lists and the cards' texts (not for the full data). */
  elapsedMs: number;
  /** Ranked from the signal lists, or from the full data (vectors and every text). */
  ranking?: "lists" | "full";
}

/**
 * Fetches what live ranking needs (texts, vectors; once) and builds the ranking context
 * (the BM25, title and metadata indexes: ~600 ms at 10k movies), so that it is built once,
 * when the data arrives, and never inside an input event's handling.
 */
export async function prepareRanking(data: RecommendData): Promise<SiteRankingData> {
  const ranking = await data.ranking();
  if (ranking.vectors) contextOf(data, ranking.vectors);
  return ranking;
}

/** Whether the state shows live-ranked results (so the ranking data is needed). */
export function needsRanking(data: RecommendData, state: RecommendState): boolean {
  return (state.seriesIds.length > 0 || state.movie !== undefined) && picksRecommendation(data, state) === null;
}

/**
 * The results for a state: picks when they apply, else the movies that pass the filters
 * (lib/filters.ts's exact JS filter), ranked. `elapsedMs` is the filter and ranking only,
 * without the one-time wait for the ranking data.
 */
export async function computeRecommendation(data: RecommendData, state: RecommendState, feedback?: Feedback): Promise<TimedRecommendation> {
  let started = performance.now();
  // Likes, dislikes and a start movie reshape the ranking: the precomputed picks no longer apply.
  const reshaped = state.movie !== undefined || Boolean(feedback?.likes.length || feedback?.dislikes.length);
  const picks = reshaped ? null : withoutExcluded(picksRecommendation(data, state), feedback?.exclude ?? []);
  if (picks) return { rec: picks, elapsedMs: performance.now() - started };
  if (state.seriesIds.length === 0 && state.movie === undefined) {
    return { rec: empty("js", "Choose at least one TV series you love to get movie picks."), elapsedMs: performance.now() - started };
  }
  const exclude = feedback?.exclude ?? [];
  // The marks stay out of state.filters, which the page mirrors into the address: they are the visitor's own.
  const filters = exclude.length ? { ...state.filters, excludeIds: [...(state.filters.excludeIds ?? []), ...exclude] } : state.filters;
  const allowedIds = filterIds(data.movies, filters);
  const fromLists = await listRecommendation(data, state, allowedIds, feedback);
  if (fromLists) return { rec: fromLists, elapsedMs: performance.now() - started, ranking: "lists" };
  const ranking = await prepareRanking(data);
  started = performance.now();
  const rec = rankedRecommendation(data, ranking, state, allowedIds, { likes: feedback?.likes, dislikes: feedback?.dislikes });
  return { rec, elapsedMs: performance.now() - started, ranking: "full" };
}

/** The precomputed picks without the movies the visitor took out, ranks renumbered; null when none is left. */
function withoutExcluded(rec: Recommendation | null, exclude: readonly number[]): Recommendation | null {
  if (!rec || exclude.length === 0) return rec;
  const out = new Set(exclude);
  const items = rec.items.filter((item) => !out.has(item.movie.id)).map((item, i) => ({ ...item, rank: i + 1 }));
  if (items.length === 0) return null;
  const kept = new Set(items.map((item) => item.movie.title));
  return { ...rec, items, points: rec.points.filter((p) => kept.has(p.title)) };
}
