// The Recommend page's input state and its URL form, so a link reproduces the results.
// Filters use filters.ts's parameter names; the chosen series are `series=<id>`, a "more like
// this" start movie `movie=<id>`. Pure and
// browser-safe; a URL is whatever a visitor pasted, so nothing here throws.
import { filtersFromSearchParams, filtersToSearchParams, type Filters } from "./filters.ts";

export interface RecommendState {
  seriesIds: number[];
  /** Chosen series marked as favourites (love, not just like); they weigh more. */
  favourites?: number[];
  /** A movie the list starts from ("more like this"), with or instead of the series. */
  movie?: number;
  filters: Filters;
}

export const SERIES_PARAM = "series";
export const FAVOURITE_PARAM = "fav";
export const MOVIE_PARAM = "movie";

/** What one link may carry; a longer list is cut, and the cut is reported. */
export const URL_LIMITS = { series: 20, excludedIds: 5000, textChars: 100 } as const;

export interface Vocabulary {
  genres: readonly string[];
  languages: readonly string[];
  seriesIds: ReadonlySet<number>;
  movieIds: ReadonlySet<number>;
}

export interface ParsedState {
  state: RecommendState;
  /** What the link asked for that this catalogue does not have, in words. */
  ignored: string[];
}

function positiveIntegers(values: string[]): number[] {
  return [...new Set(values.map(Number).filter((n) => Number.isInteger(n) && n > 0))];
}

/**
 * Reads the state from a query string. A link may come from another catalogue or be edited
 * by hand, so unknown series, genres and languages are dropped (and reported), never thrown.
 */
export function stateFromSearch(search: string, vocabulary: Vocabulary): ParsedState {
  const params = new URLSearchParams(search);
  const ignored: string[] = [];
  const known = positiveIntegers(params.getAll(SERIES_PARAM)).filter((id) => {
    if (vocabulary.seriesIds.has(id)) return true;
    if (ignored.length < URL_LIMITS.series) ignored.push(`series ${id}`);
    return false;
  });
  const seriesIds = known.slice(0, URL_LIMITS.series);
  if (known.length > seriesIds.length) ignored.push(`${known.length - seriesIds.length} series past the first ${URL_LIMITS.series}`);
  const chosen = new Set(seriesIds);
  const favourites = positiveIntegers(params.getAll(FAVOURITE_PARAM)).filter((id) => chosen.has(id));
  // One start movie; a link naming several (or an unknown one) keeps the first this catalogue has.
  const movies = positiveIntegers(params.getAll(MOVIE_PARAM));
  const movie = movies.find((id) => vocabulary.movieIds.has(id));
  for (const id of movies) if (id !== movie && ignored.length < URL_LIMITS.series) ignored.push(vocabulary.movieIds.has(id) ? `movie ${id} (one start movie at a time)` : `movie ${id}`);
  const filters = filtersFromSearchParams(params);
  const keep = (values: string[] | undefined, valid: readonly string[], kind: string): string[] | undefined => {
    if (!values) return undefined;
    const byKey = new Map(valid.map((v) => [v.toLowerCase(), v]));
    const out: string[] = [];
    for (const value of values) {
      const match = byKey.get(value.toLowerCase());
      const shown = value.length > URL_LIMITS.textChars ? `${value.slice(0, URL_LIMITS.textChars)}…` : value;
      if (match === undefined) ignored.push(`${kind} "${shown}"`);
      else if (!out.includes(match)) out.push(match);
    }
    return out.length ? out : undefined;
  };
  const genres = keep(filters.genres, vocabulary.genres, "genre");
  const languages = keep(filters.languages, vocabulary.languages, "language");
  if (genres) filters.genres = genres;
  else delete filters.genres;
  if (languages) filters.languages = languages;
  else delete filters.languages;
  if (!filters.genres) delete filters.genreMode;
  if (filters.yearFrom !== undefined && filters.yearTo !== undefined && filters.yearFrom > filters.yearTo) {
    ignored.push(`the empty year range ${filters.yearFrom}–${filters.yearTo}`);
    delete filters.yearFrom;
    delete filters.yearTo;
  }
  if (filters.excludeIds) {
    const unique = [...new Set(filters.excludeIds)];
    const kept = unique.filter((id) => vocabulary.movieIds.has(id));
    if (kept.length < unique.length) ignored.push(`${unique.length - kept.length} unknown excluded title(s)`);
    if (kept.length > URL_LIMITS.excludedIds) ignored.push(`${kept.length - URL_LIMITS.excludedIds} excluded titles past the first ${URL_LIMITS.excludedIds}`);
    const known = kept.slice(0, URL_LIMITS.excludedIds);
    if (known.length) filters.excludeIds = known;
    else delete filters.excludeIds;
  }
  return { state: { seriesIds, ...(favourites.length ? { favourites } : {}), ...(movie !== undefined ? { movie } : {}), filters }, ignored };
}

/** The query string for a state (without "?"); defaults are left out to keep links short. */
export function stateToSearch(state: RecommendState): string {
  const params = new URLSearchParams();
  for (const id of state.seriesIds) params.append(SERIES_PARAM, String(id));
  for (const id of state.favourites ?? []) if (state.seriesIds.includes(id)) params.append(FAVOURITE_PARAM, String(id));
  if (state.movie !== undefined) params.set(MOVIE_PARAM, String(state.movie));
  return filtersToSearchParams(state.filters, params).toString();
}
