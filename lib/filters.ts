// The visitor's filters: their shape, validation, URL form, the one SQL builder that applies
// them and its exact JS twin. Pure and browser-safe: the same SQL runs on @duckdb/node-api and
// DuckDB-WASM, and the JS twin on decoded rows.

export interface Filters {
  genres?: string[];
  genreMode?: "any" | "all";
  languages?: string[];
  minPopularity?: number;
  minVotes?: number;
  yearFrom?: number;
  yearTo?: number;
  ageAppropriateOnly?: boolean;
  excludeIds?: number[];
}

/** Everything open except age: the safe default for a page nobody has touched yet. */
export const DEFAULT_FILTERS: Readonly<Filters> = Object.freeze({ ageAppropriateOnly: true });

export type SqlParam = string | number | boolean;

export interface FilterQuery {
  sql: string;
  params: SqlParam[];
}

export interface FilterQueryOptions {
  /** Table or view holding the catalogue's movie columns. */
  table?: string;
  /** Columns to select; every column when omitted. */
  columns?: readonly string[];
  /** Row cap, bound as a parameter. */
  limit?: number;
}

export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterError";
  }
}

// Table and column names are ours, never the visitor's, but they are checked anyway so a
// caller passing user text by mistake gets an error instead of SQL injection.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function identifier(name: string, what: string): string {
  const parts = name.split(".");
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new FilterError(`${what} "${name}" is not a plain SQL identifier`);
  }
  return parts.map((p) => `"${p}"`).join(".");
}

function finite(value: number, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new FilterError(`${field} must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function integer(value: number, field: string): number {
  if (!Number.isInteger(value)) throw new FilterError(`${field} must be an integer, got ${JSON.stringify(value)}`);
  return value;
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

/**
 * The WHERE conditions for `filters`, with every user value bound as a positional `?`.
 * Lists bind one parameter per element (binding a JS array is not portable across the
 * Node and WASM clients). Movies without a release date drop out once a year bound is set.
 */
export function buildMovieFilterConditions(filters: Filters): FilterQuery & { conditions: string[] } {
  const conditions: string[] = [];
  const params: SqlParam[] = [];
  const genres = filters.genres ?? [];
  if (genres.length > 0) {
    if (filters.genreMode !== undefined && filters.genreMode !== "any" && filters.genreMode !== "all") {
      throw new FilterError(`genreMode must be "any" or "all", got ${JSON.stringify(filters.genreMode)}`);
    }
    const fn = filters.genreMode === "all" ? "list_has_all" : "list_has_any";
    conditions.push(`${fn}(genre_names, [${placeholders(genres.length)}])`);
    params.push(...genres.map(String));
  }
  const languages = filters.languages ?? [];
  if (languages.length > 0) {
    conditions.push(`language IN (${placeholders(languages.length)})`);
    params.push(...languages.map(String));
  }
  if (filters.minPopularity !== undefined) {
    conditions.push("popularity >= ?");
    params.push(finite(filters.minPopularity, "minPopularity"));
  }
  if (filters.minVotes !== undefined) {
    conditions.push("vote_count >= ?");
    params.push(finite(filters.minVotes, "minVotes"));
  }
  if (filters.yearFrom !== undefined) {
    conditions.push("year(release_date) >= ?");
    params.push(integer(finite(filters.yearFrom, "yearFrom"), "yearFrom"));
  }
  if (filters.yearTo !== undefined) {
    conditions.push("year(release_date) <= ?");
    params.push(integer(finite(filters.yearTo, "yearTo"), "yearTo"));
  }
  if (filters.ageAppropriateOnly) conditions.push("age_appropriate");
  const exclude = filters.excludeIds ?? [];
  if (exclude.length > 0) {
    conditions.push(`id NOT IN (${placeholders(exclude.length)})`);
    params.push(...exclude.map((id) => integer(finite(id, "excludeIds"), "excludeIds")));
  }
  return { conditions, sql: conditions.length ? conditions.join(" AND ") : "true", params };
}

/**
 * One parameterised query for every filter. Rows come most popular first (then by id) so
 * the order is stable. Run it with `connection.runAndReadAll(sql, params)` on node-api or
 * `conn.prepare(sql).query(...params)` on DuckDB-WASM.
 */
export function buildMovieFilterQuery(filters: Filters, options: FilterQueryOptions = {}): FilterQuery {
  const table = identifier(options.table ?? "movies", "table");
  const columns = options.columns?.length ? options.columns.map((c) => identifier(c, "column")).join(", ") : "*";
  const where = buildMovieFilterConditions(filters);
  let sql = `SELECT ${columns} FROM ${table} WHERE ${where.sql} ORDER BY popularity DESC, id`;
  const params = [...where.params];
  if (options.limit !== undefined) {
    sql += " LIMIT ?";
    params.push(integer(finite(options.limit, "limit"), "limit"));
  }
  return { sql, params };
}

// The exact JS twin of the SQL above, for rows already in memory (the page filters without
// DuckDB-WASM). tests/lib/filters-parity.test.ts checks over random filter sets that it
// selects exactly the rows the SQL selects, in the same order.

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

export interface FilterVocabulary {
  /** Canonical genre names (movie genres). */
  genres: readonly string[];
  /** Canonical language codes present in the catalogue. */
  languages: readonly string[];
  /** Optional code → English name map, so "English" is accepted for "en". */
  languageNames?: Readonly<Record<string, string>>;
}

function canonical(
  values: readonly string[] | undefined,
  valid: readonly string[],
  kind: string,
  aliases: ReadonlyMap<string, string> = new Map(),
  describe: (name: string) => string = (name) => name,
): string[] | undefined {
  if (values === undefined) return undefined;
  const byKey = new Map(valid.map((name) => [name.toLowerCase(), name]));
  const unknown: string[] = [];
  const out: string[] = [];
  for (const value of values) {
    const key = String(value).trim().toLowerCase();
    const match = byKey.get(key) ?? aliases.get(key);
    if (match === undefined) unknown.push(String(value));
    else if (!out.includes(match)) out.push(match);
  }
  if (unknown.length > 0) {
    const list = unknown.map((u) => JSON.stringify(u)).join(", ");
    throw new FilterError(
      `unknown ${kind}${unknown.length > 1 ? "s" : ""} ${list}; valid ${kind}s: ${valid.map(describe).join(", ")}`,
    );
  }
  return out;
}

/**
 * Checks filters against the catalogue's genres and languages (case-insensitive) and the
 * numbers for sanity; returns a copy with canonical casing. Throws FilterError listing the
 * valid names when a genre or language is unknown.
 */
export function validateFilters(filters: Filters, vocabulary: FilterVocabulary): Filters {
  const out: Filters = { ...filters };
  out.genres = canonical(filters.genres, vocabulary.genres, "genre");
  const names = vocabulary.languageNames ?? {};
  const aliases = new Map<string, string>();
  for (const code of vocabulary.languages) if (names[code]) aliases.set(names[code].toLowerCase(), code);
  out.languages = canonical(filters.languages, vocabulary.languages, "language", aliases, (code) =>
    names[code] ? `${code} (${names[code]})` : code,
  );
  if (out.genres === undefined) delete out.genres;
  if (out.languages === undefined) delete out.languages;
  if (filters.genreMode !== undefined && filters.genreMode !== "any" && filters.genreMode !== "all") {
    throw new FilterError(`genre mode must be "any" or "all", got ${JSON.stringify(filters.genreMode)}`);
  }
  for (const field of ["minPopularity", "minVotes"] as const) {
    const value = filters[field];
    if (value !== undefined && finite(value, field) < 0) throw new FilterError(`${field} must be 0 or more, got ${value}`);
  }
  for (const field of ["yearFrom", "yearTo"] as const) {
    const value = filters[field];
    if (value !== undefined) integer(finite(value, field), field);
  }
  if (filters.yearFrom !== undefined && filters.yearTo !== undefined && filters.yearFrom > filters.yearTo) {
    throw new FilterError(`year range is empty: from ${filters.yearFrom} is after to ${filters.yearTo}`);
  }
  if (filters.excludeIds !== undefined) {
    for (const id of filters.excludeIds) {
      if (!Number.isInteger(id) || id <= 0) throw new FilterError(`excluded ids must be positive integers, got ${JSON.stringify(id)}`);
    }
    out.excludeIds = [...new Set(filters.excludeIds)];
  }
  return out;
}

/** URL parameter names, short because they show in the address bar. */
export const FILTER_PARAMS = {
  genres: "genre",
  genreMode: "mode",
  languages: "lang",
  minPopularity: "minpop",
  minVotes: "minvotes",
  yearFrom: "from",
  yearTo: "to",
  ageAppropriateOnly: "ages",
  excludeIds: "exclude",
} as const satisfies Record<keyof Filters, string>;

const P = FILTER_PARAMS;

/** A number parameter, or undefined when it is missing, malformed or out of `range`. */
function numberParam(params: URLSearchParams, key: string, range: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  const raw = params.get(key);
  if (raw === null || raw.trim() === "") return undefined;
  // `+ 0` turns -0 into 0, so a link reads back the way it was written.
  const value = Number(raw) + 0;
  if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value))) return undefined;
  if (value < (range.min ?? -Infinity) || value > (range.max ?? Infinity)) return undefined;
  return value;
}

/** Years a link may name: four digits, as a release date has. */
const URL_YEARS = { integer: true, min: 1000, max: 9999 };

/**
 * Filters from the page URL. Anything malformed is ignored rather than thrown: a URL is
 * whatever a visitor pasted, and the page must still load. Ages default to appropriate only.
 */
export function filtersFromSearchParams(input: URLSearchParams | string): Filters {
  const params = typeof input === "string" ? new URLSearchParams(input) : input;
  const filters: Filters = {};
  const genres = params.getAll(P.genres).map((g) => g.trim()).filter(Boolean);
  if (genres.length) filters.genres = genres;
  const mode = params.get(P.genreMode);
  if (mode === "any" || mode === "all") filters.genreMode = mode;
  const languages = params.getAll(P.languages).map((l) => l.trim()).filter(Boolean);
  if (languages.length) filters.languages = languages;
  const minPopularity = numberParam(params, P.minPopularity, { min: 0 });
  if (minPopularity !== undefined) filters.minPopularity = minPopularity;
  const minVotes = numberParam(params, P.minVotes, { min: 0 });
  if (minVotes !== undefined) filters.minVotes = minVotes;
  const yearFrom = numberParam(params, P.yearFrom, URL_YEARS);
  if (yearFrom !== undefined) filters.yearFrom = yearFrom;
  const yearTo = numberParam(params, P.yearTo, URL_YEARS);
  if (yearTo !== undefined) filters.yearTo = yearTo;
  filters.ageAppropriateOnly = params.get(P.ageAppropriateOnly) !== "all";
  const exclude = params
    .getAll(P.excludeIds)
    .map(Number)
    .filter((id) => Number.isInteger(id) && id > 0);
  if (exclude.length) filters.excludeIds = exclude;
  return filters;
}

/**
 * Writes filters into URL parameters. Other parameters in `base` (the chosen series, say)
 * are kept; only the filter keys are replaced. Defaults are left out to keep URLs short.
 */
export function filtersToSearchParams(filters: Filters, base?: URLSearchParams | string): URLSearchParams {
  const params = new URLSearchParams(base);
  for (const key of Object.values(P)) params.delete(key);
  for (const genre of filters.genres ?? []) params.append(P.genres, genre);
  if (filters.genreMode !== undefined) params.set(P.genreMode, filters.genreMode);
  for (const language of filters.languages ?? []) params.append(P.languages, language);
  if (filters.minPopularity !== undefined) params.set(P.minPopularity, String(filters.minPopularity));
  if (filters.minVotes !== undefined) params.set(P.minVotes, String(filters.minVotes));
  if (filters.yearFrom !== undefined) params.set(P.yearFrom, String(filters.yearFrom));
  if (filters.yearTo !== undefined) params.set(P.yearTo, String(filters.yearTo));
  if (filters.ageAppropriateOnly === false) params.set(P.ageAppropriateOnly, "all");
  for (const id of filters.excludeIds ?? []) params.append(P.excludeIds, String(id));
  return params;
}
