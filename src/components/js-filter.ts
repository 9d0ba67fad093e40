// The filters of lib/filters.ts evaluated in plain JavaScript over decoded rows. The page
// uses this only while DuckDB-WASM is still starting (about 1.5 s on a cold load), so the
// first results need not wait for it; tests/site-filters.test.ts checks that it selects
// exactly the rows the SQL selects.
import { DEFAULT_FILTERS, type Filters } from "./lib.bundle.js";

export interface FilterableMovie {
  id: number;
  popularity: number;
  vote_count: number;
  genre_names: readonly string[];
  language: string;
  year: number | null;
  age_appropriate: boolean;
}

export function movieMatches(movie: FilterableMovie, filters: Filters): boolean {
  const genres = filters.genres ?? [];
  if (genres.length > 0) {
    const has = (g: string) => movie.genre_names.includes(g);
    if (filters.genreMode === "all" ? !genres.every(has) : !genres.some(has)) return false;
  }
  const languages = filters.languages ?? [];
  if (languages.length > 0 && !languages.includes(movie.language)) return false;
  if (filters.minPopularity !== undefined && !(movie.popularity >= filters.minPopularity)) return false;
  if (filters.minVotes !== undefined && !(movie.vote_count >= filters.minVotes)) return false;
  // SQL compares NULL years as unknown, which drops the row once a bound is set.
  if (filters.yearFrom !== undefined && (movie.year === null || movie.year < filters.yearFrom)) return false;
  if (filters.yearTo !== undefined && (movie.year === null || movie.year > filters.yearTo)) return false;
  if (filters.ageAppropriateOnly && !movie.age_appropriate) return false;
  if (filters.excludeIds?.includes(movie.id)) return false;
  return true;
}

/** Ids passing `filters`, in the SQL's order: most popular first, then by id. */
export function filterIds(movies: readonly FilterableMovie[], filters: Filters): number[] {
  return movies
    .filter((m) => movieMatches(m, filters))
    .sort((a, b) => b.popularity - a.popularity || a.id - b.id)
    .map((m) => m.id);
}

/**
 * Filters in one canonical shape: no empty lists, "any" (the default mode) left out, no
 * mode without genres. Two states that select the same movies compare equal.
 */
export function normaliseFilters(filters: Filters): Filters {
  const out: Filters = {};
  if (filters.genres?.length) {
    out.genres = [...filters.genres];
    if (filters.genreMode === "all") out.genreMode = "all";
  }
  if (filters.languages?.length) out.languages = [...filters.languages];
  for (const key of ["minPopularity", "minVotes", "yearFrom", "yearTo"] as const) {
    const value = filters[key];
    if (value !== undefined && Number.isFinite(value)) out[key] = value;
  }
  if (filters.minPopularity === 0) delete out.minPopularity;
  if (filters.minVotes === 0) delete out.minVotes;
  out.ageAppropriateOnly = filters.ageAppropriateOnly !== false;
  if (filters.excludeIds?.length) out.excludeIds = [...filters.excludeIds];
  return out;
}

/** Whether the filters are the untouched defaults (the precomputed picks assume them). */
export function isDefaultFilters(filters: Filters): boolean {
  const f = normaliseFilters(filters);
  return JSON.stringify(f) === JSON.stringify(normaliseFilters({ ...DEFAULT_FILTERS }));
}
