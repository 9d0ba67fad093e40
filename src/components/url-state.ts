// The Recommend page's input state and its URL form, so a link reproduces the results.
// Filters use lib/filters.ts's parameter names; the chosen series are `series=<id>`.
import { filtersFromSearchParams, filtersToSearchParams, type Filters } from "./lib.bundle.js";

export interface RecommendState {
  seriesIds: number[];
  filters: Filters;
}

export const SERIES_PARAM = "series";

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
  const seriesIds = positiveIntegers(params.getAll(SERIES_PARAM)).filter((id) => {
    if (vocabulary.seriesIds.has(id)) return true;
    ignored.push(`series ${id}`);
    return false;
  });
  const filters = filtersFromSearchParams(params);
  const keep = (values: string[] | undefined, valid: readonly string[], kind: string): string[] | undefined => {
    if (!values) return undefined;
    const byKey = new Map(valid.map((v) => [v.toLowerCase(), v]));
    const out: string[] = [];
    for (const value of values) {
      const match = byKey.get(value.toLowerCase());
      if (match === undefined) ignored.push(`${kind} "${value}"`);
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
    const known = filters.excludeIds.filter((id) => vocabulary.movieIds.has(id));
    if (known.length < filters.excludeIds.length) ignored.push(`${filters.excludeIds.length - known.length} unknown excluded title(s)`);
    if (known.length) filters.excludeIds = known;
    else delete filters.excludeIds;
  }
  return { state: { seriesIds, filters }, ignored };
}

/** The query string for a state (without "?"); defaults are left out to keep links short. */
export function stateToSearch(state: RecommendState): string {
  const params = new URLSearchParams();
  for (const id of state.seriesIds) params.append(SERIES_PARAM, String(id));
  return filtersToSearchParams(state.filters, params).toString();
}
