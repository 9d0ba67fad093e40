// The catalogue's record types, column schema and normalisation rules.
// Pure code: shared by the loaders (Node), the command line and the browser.

/**
 * TMDB metadata of a movie beyond discover's fields: `/movie/{id}` with keywords and credits
 * in a TMDB refresh, or the columns an export carries. Ranking hints only, so every field may
 * be empty: a catalogue without them (older files, exports that lack them) still works.
 */
export interface MovieMetadata {
  keywords: string[];
  /** belongs_to_collection's name, e.g. a franchise's collection. */
  collection: string | null;
  /** Production companies. */
  companies: string[];
  directors: string[];
  /** Screenplay, writer, novel and story credits, the first few. */
  writers: string[];
  /** Top-billed cast, in billing order. */
  cast: string[];
}

/** TMDB metadata of a series: `/tv/{id}` with keywords and aggregate credits, or an export's columns. */
export interface SeriesMetadata {
  keywords: string[];
  /** created_by. */
  creators: string[];
  networks: string[];
  companies: string[];
  /** Top-billed cast over all seasons, in billing order. */
  cast: string[];
}

// The metadata is optional in the types so hand-built records (fixtures, callers that predate
// it) still type-check; normaliseMovie/normaliseSeries and the store always fill it in.
export interface Movie extends Partial<MovieMetadata> {
  id: number;
  title: string;
  overview: string;
  /** ISO date (YYYY-MM-DD) or null when TMDB has none. */
  release_date: string | null;
  popularity: number;
  vote_average: number;
  vote_count: number;
  genre_names: string[];
  /** TMDB original_language: ISO 639-1 code, or `xx` / `cn`. */
  language: string;
  adult: boolean;
  age_appropriate: boolean;
  poster_path: string | null;
  backdrop_path: string | null;
  /**
   * Where to watch it, per region (lib/providers.ts's WatchProviders as JSON text); null or
   * absent when the refresh fetched none (imports, the demo, TMDB_WATCH_REGIONS empty).
   */
  providers?: string | null;
}

export interface Series extends Partial<SeriesMetadata> {
  id: number;
  name: string;
  overview: string;
  first_air_date: string | null;
  popularity: number;
  vote_average: number;
  vote_count: number;
  genre_names: string[];
  language: string;
  adult: boolean;
  age_appropriate: boolean;
  poster_path: string | null;
  backdrop_path: string | null;
}

export type CatalogSource = "tmdb" | "import" | "demo";

export interface CatalogMeta {
  source: CatalogSource;
  /** ISO timestamp of the fetch or import. */
  fetched_at: string;
  counts: { movies: number; series: number };
  /** Rows left out, by reason (for example `movies_without_overview`). */
  dropped: Record<string, number>;
  /** Overview language requested from TMDB, when the source is TMDB. */
  overview_language?: string;
  /** Free-form origin details: the files imported, the demo notice. */
  notes?: string[];
  /** English names of language codes as TMDB lists them (`/configuration/languages`). */
  language_names?: Record<string, string>;
  /** HTTP requests the fetch took, when the source is TMDB. */
  requests?: number;
  /**
   * The per-title details step of a TMDB refresh (keywords, credits): titles answered from the
   * cache, fetched, and left with empty metadata because TMDB has no such title (404) or the
   * request kept failing. Absent when the step was off (TMDB_DETAILS=0) or the source is not TMDB.
   */
  details?: { cached: number; fetched: number; not_found: number; failed: number };
  /** The watch-providers step of a TMDB refresh, as `details`, with the regions kept. Absent when it was off. */
  providers?: { regions: string[]; cached: number; fetched: number; not_found: number; failed: number; with_providers: number };
}

export interface Catalog {
  movies: Movie[];
  series: Series[];
  meta: CatalogMeta;
}

/** DuckDB column types, in column order; the writer and the schema tests use them. */
const CORE_MOVIE_COLUMNS = [
  ["id", "INTEGER"],
  ["title", "VARCHAR"],
  ["overview", "VARCHAR"],
  ["release_date", "DATE"],
  ["popularity", "DOUBLE"],
  ["vote_average", "DOUBLE"],
  ["vote_count", "INTEGER"],
  ["genre_names", "VARCHAR[]"],
  ["language", "VARCHAR"],
  ["adult", "BOOLEAN"],
  ["age_appropriate", "BOOLEAN"],
  ["poster_path", "VARCHAR"],
  ["backdrop_path", "VARCHAR"],
] as const;

/**
 * The metadata columns, after the core ones. A catalogue file without them (written before
 * they existed) still reads: they come back empty.
 */
export const MOVIE_METADATA_COLUMNS = [
  ["keywords", "VARCHAR[]"],
  ["collection", "VARCHAR"],
  ["companies", "VARCHAR[]"],
  ["directors", "VARCHAR[]"],
  ["writers", "VARCHAR[]"],
  ["cast", "VARCHAR[]"],
] as const satisfies readonly (readonly [keyof MovieMetadata, string])[];

export const SERIES_METADATA_COLUMNS = [
  ["keywords", "VARCHAR[]"],
  ["creators", "VARCHAR[]"],
  ["networks", "VARCHAR[]"],
  ["companies", "VARCHAR[]"],
  ["cast", "VARCHAR[]"],
] as const satisfies readonly (readonly [keyof SeriesMetadata, string])[];

/** Columns filled by the refresh's watch-providers step; a file without them reads as no providers. */
export const MOVIE_PROVIDER_COLUMNS = [["providers", "VARCHAR"]] as const satisfies readonly (readonly [keyof Movie, string])[];

export const MOVIE_COLUMNS = [...CORE_MOVIE_COLUMNS, ...MOVIE_METADATA_COLUMNS, ...MOVIE_PROVIDER_COLUMNS] as const;

/** The movie core columns under the series' names (`name`, `first_air_date`), then the series metadata. */
export const SERIES_COLUMNS = [
  ...CORE_MOVIE_COLUMNS.map(([name, type]) => [name === "title" ? "name" : name === "release_date" ? "first_air_date" : name, type]),
  ...SERIES_METADATA_COLUMNS,
] as unknown as readonly (readonly [keyof Series, string])[];

export interface Genre {
  id: number;
  name: string;
}

/** TMDB's movie genre list (`/genre/movie/list`, en-US), plus the legacy "Foreign" id older exports carry. */
export const MOVIE_GENRES: readonly Genre[] = [
  { id: 28, name: "Action" },
  { id: 12, name: "Adventure" },
  { id: 16, name: "Animation" },
  { id: 35, name: "Comedy" },
  { id: 80, name: "Crime" },
  { id: 99, name: "Documentary" },
  { id: 18, name: "Drama" },
  { id: 10751, name: "Family" },
  { id: 14, name: "Fantasy" },
  { id: 36, name: "History" },
  { id: 27, name: "Horror" },
  { id: 10402, name: "Music" },
  { id: 9648, name: "Mystery" },
  { id: 10749, name: "Romance" },
  { id: 878, name: "Science Fiction" },
  { id: 10770, name: "TV Movie" },
  { id: 53, name: "Thriller" },
  { id: 10752, name: "War" },
  { id: 37, name: "Western" },
];

export const LEGACY_MOVIE_GENRES: readonly Genre[] = [{ id: 10769, name: "Foreign" }];

/** TMDB's TV genre list (`/genre/tv/list`, en-US). */
export const TV_GENRES: readonly Genre[] = [
  { id: 10759, name: "Action & Adventure" },
  { id: 16, name: "Animation" },
  { id: 35, name: "Comedy" },
  { id: 80, name: "Crime" },
  { id: 99, name: "Documentary" },
  { id: 18, name: "Drama" },
  { id: 10751, name: "Family" },
  { id: 10762, name: "Kids" },
  { id: 9648, name: "Mystery" },
  { id: 10763, name: "News" },
  { id: 10764, name: "Reality" },
  { id: 10765, name: "Sci-Fi & Fantasy" },
  { id: 10766, name: "Soap" },
  { id: 10767, name: "Talk" },
  { id: 10768, name: "War & Politics" },
  { id: 37, name: "Western" },
];

// TV genres that bundle several movie genres, or have another name for the same thing.
const TV_TO_MOVIE_GENRES: Record<string, string[]> = {
  "Action & Adventure": ["Action", "Adventure"],
  "Sci-Fi & Fantasy": ["Science Fiction", "Fantasy"],
  "War & Politics": ["War"],
  Kids: ["Family"],
  News: [],
  Reality: [],
  Soap: [],
  Talk: [],
};

const MOVIE_GENRE_NAMES = new Set(MOVIE_GENRES.map((g) => g.name));

/**
 * Maps a series' TV genres onto movie genres so a series can be compared with movies.
 * Genres with no movie counterpart (News, Reality, Soap, Talk) disappear.
 */
export function tvGenresToMovieGenres(tvGenres: readonly string[]): string[] {
  const out = new Set<string>();
  for (const genre of tvGenres) {
    const mapped = TV_TO_MOVIE_GENRES[genre];
    if (mapped) mapped.forEach((g) => out.add(g));
    else if (MOVIE_GENRE_NAMES.has(genre)) out.add(genre);
  }
  return [...out];
}

/** Genres a movie shares with a series, after mapping the series' TV genres. */
export function sharedGenres(seriesGenres: readonly string[], movieGenres: readonly string[]): string[] {
  const mapped = new Set(tvGenresToMovieGenres(seriesGenres));
  return movieGenres.filter((g) => mapped.has(g));
}

/** A bad value as an error quotes it: its start only, so a broken export cannot flood a log line. */
function quoted(value: unknown): string {
  const text = String(value);
  return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}

export class CatalogValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CatalogValidationError";
  }
}

/**
 * Normalises a date to ISO `YYYY-MM-DD`. Accepts ISO dates (with or without a time part)
 * and DD-MM-YYYY (or DD/MM/YYYY), which spreadsheet round-trips produce. Empty means null.
 * Throws on anything else, including impossible days such as 31-02-2020.
 */
export function normaliseDate(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (text === "") return null;
  let year: number, month: number, day: number;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(text);
  if (match) {
    [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(text))) {
    [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{4})$/.exec(text))) {
    [year, month, day] = [Number(match[1]), 1, 1];
  } else {
    throw new CatalogValidationError(`unrecognised date ${quoted(text)} (expected YYYY-MM-DD or DD-MM-YYYY)`);
  }
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new CatalogValidationError(`impossible date "${text}"`);
  }
  return date.toISOString().slice(0, 10);
}

/** The year of an ISO date, or null. */
export function yearOf(isoDate: string | null | undefined): number | null {
  if (!isoDate) return null;
  const year = Number(isoDate.slice(0, 4));
  return Number.isFinite(year) ? year : null;
}

/**
 * Bounds on what one title may carry, for TMDB and imported rows alike. Real TMDB overviews
 * stay under about 1,000 characters and titles under 200; far longer text is a broken export,
 * and would later cost the embedder, the page and the prompt dearly. Ids and vote counts are
 * 32-bit INTEGER columns in the catalogue Parquet.
 */
export const TITLE_LIMITS = {
  titleChars: 500,
  overviewChars: 10_000,
  genres: 30,
  genreChars: 60,
  pathChars: 500,
  maxInteger: 2_147_483_647,
} as const;

/**
 * Bounds on a title's metadata. Unlike TITLE_LIMITS these cut instead of refusing: metadata is
 * a ranking hint, so a broken export's overlong list or name loses that value, never the title.
 * TMDB's keyword lists rarely pass 50; cast beyond the top-billed says little about a story.
 */
export const METADATA_LIMITS = {
  nameChars: 120,
  keywords: 50,
  companies: 10,
  directors: 5,
  writers: 5,
  cast: 8,
  creators: 5,
  networks: 5,
} as const;

function bounded(text: string, field: string, max: number, id?: number): string {
  if (text.length > max) {
    const who = id === undefined ? "" : `id ${id}: `;
    throw new CatalogValidationError(`${who}${field} is ${text.length.toLocaleString("en")} characters long, more than the ${max.toLocaleString("en")} a catalogue keeps`);
  }
  return text;
}

function int32(value: number, field: string): number {
  if (value > TITLE_LIMITS.maxInteger) {
    throw new CatalogValidationError(`${field} ${value} is larger than ${TITLE_LIMITS.maxInteger.toLocaleString("en")}, the largest the catalogue stores`);
  }
  return value;
}

function finiteNumber(value: unknown, field: string, fallback: number | null): number {
  if (value === null || value === undefined || value === "") {
    if (fallback === null) throw new CatalogValidationError(`missing ${field}`);
    return fallback;
  }
  const n = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isFinite(n)) throw new CatalogValidationError(`${field} is not a number: ${quoted(value)}`);
  return n;
}

function optionalPath(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  const text = bounded(String(value).trim(), field, TITLE_LIMITS.pathChars);
  if (text === "" || text === "null" || text === "None") return null;
  return text.startsWith("/") ? text : `/${text}`;
}

function parseBoolean(value: unknown, field: string): boolean {
  if (value === null || value === undefined || value === "") return false;
  if (typeof value === "boolean") return value;
  const text = String(value).trim().toLowerCase();
  if (["true", "1", "yes", "t"].includes(text)) return true;
  if (["false", "0", "no", "f"].includes(text)) return false;
  throw new CatalogValidationError(`${field} is not a boolean: ${quoted(value)}`);
}

/** Fields shared by movies and series, already extracted from whatever shape the source had. */
export interface RawTitle {
  id: unknown;
  title: unknown;
  overview: unknown;
  date: unknown;
  popularity?: unknown;
  vote_average?: unknown;
  vote_count?: unknown;
  genre_names: string[];
  language?: unknown;
  adult?: unknown;
  poster_path?: unknown;
  backdrop_path?: unknown;
  /** Metadata name lists (MovieMetadata, SeriesMetadata): arrays of names; anything else counts as none. */
  keywords?: unknown;
  collection?: unknown;
  companies?: unknown;
  directors?: unknown;
  writers?: unknown;
  cast?: unknown;
  creators?: unknown;
  networks?: unknown;
}

/** One metadata name: whitespace (control characters included) collapsed, trimmed; null when empty or overlong. */
function metadataName(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const name = value.replace(/[\s\p{Cc}]+/gu, " ").trim();
  return name !== "" && name.length <= METADATA_LIMITS.nameChars ? name : null;
}

/** A metadata name list: names in their order, duplicates (ignoring case) and empties dropped, at most `max`. */
export function normaliseNames(value: unknown, max: number): string[] {
  if (!Array.isArray(value)) return [];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const item of value) {
    const name = metadataName(item);
    if (name === null || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    names.push(name);
    if (names.length >= max) break;
  }
  return names;
}

/** A movie's metadata from whatever the source had; missing or unusable values are empty. */
export function normaliseMovieMetadata(raw: Pick<RawTitle, keyof MovieMetadata>): MovieMetadata {
  return {
    keywords: normaliseNames(raw.keywords, METADATA_LIMITS.keywords),
    collection: metadataName(raw.collection),
    companies: normaliseNames(raw.companies, METADATA_LIMITS.companies),
    directors: normaliseNames(raw.directors, METADATA_LIMITS.directors),
    writers: normaliseNames(raw.writers, METADATA_LIMITS.writers),
    cast: normaliseNames(raw.cast, METADATA_LIMITS.cast),
  };
}

/** A series' metadata from whatever the source had; missing or unusable values are empty. */
export function normaliseSeriesMetadata(raw: Pick<RawTitle, keyof SeriesMetadata>): SeriesMetadata {
  return {
    keywords: normaliseNames(raw.keywords, METADATA_LIMITS.keywords),
    creators: normaliseNames(raw.creators, METADATA_LIMITS.creators),
    networks: normaliseNames(raw.networks, METADATA_LIMITS.networks),
    companies: normaliseNames(raw.companies, METADATA_LIMITS.companies),
    cast: normaliseNames(raw.cast, METADATA_LIMITS.cast),
  };
}

export type OverviewlessError = CatalogValidationError & { missingOverview: true };

function normaliseCommon(raw: RawTitle) {
  const id = finiteNumber(raw.id, "id", null);
  if (!Number.isInteger(id) || id <= 0) throw new CatalogValidationError(`id must be a positive integer, got ${quoted(raw.id)}`);
  int32(id, "id");
  const title = bounded(raw.title === null || raw.title === undefined ? "" : String(raw.title).trim(), "title", TITLE_LIMITS.titleChars, id);
  if (title === "") throw new CatalogValidationError(`id ${id}: missing title`);
  const overview = bounded(raw.overview === null || raw.overview === undefined ? "" : String(raw.overview).trim(), "overview", TITLE_LIMITS.overviewChars, id);
  if (overview === "") {
    const error = new CatalogValidationError(`id ${id}: missing overview`) as OverviewlessError;
    error.missingOverview = true;
    throw error;
  }
  const language = raw.language === null || raw.language === undefined ? "" : String(raw.language).trim().toLowerCase();
  if (!/^[a-z]{2}$/.test(language)) throw new CatalogValidationError(`id ${id}: language must be a 2-letter code, got ${quoted(raw.language ?? "")}`);
  const adult = parseBoolean(raw.adult, "adult");
  const voteCount = int32(finiteNumber(raw.vote_count, "vote_count", 0), "vote_count");
  const genres = [...new Set(raw.genre_names.map((g) => bounded(g.trim(), "a genre name", TITLE_LIMITS.genreChars, id)).filter(Boolean))];
  if (genres.length > TITLE_LIMITS.genres) throw new CatalogValidationError(`id ${id}: ${genres.length} genres, more than the ${TITLE_LIMITS.genres} a title may have`);
  return {
    id,
    overview,
    title,
    date: normaliseDate(raw.date),
    popularity: finiteNumber(raw.popularity, "popularity", 0),
    vote_average: finiteNumber(raw.vote_average, "vote_average", 0),
    vote_count: Math.round(voteCount),
    genre_names: genres,
    language,
    adult,
    age_appropriate: !adult,
    poster_path: optionalPath(raw.poster_path, "poster_path"),
    backdrop_path: optionalPath(raw.backdrop_path, "backdrop_path"),
  };
}

/** Validates and normalises one movie. Throws CatalogValidationError naming the problem. */
export function normaliseMovie(raw: RawTitle): Movie {
  const { title, date, ...rest } = normaliseCommon(raw);
  return { ...rest, title, release_date: date, ...normaliseMovieMetadata(raw) };
}

/** Validates and normalises one series. Throws CatalogValidationError naming the problem. */
export function normaliseSeries(raw: RawTitle): Series {
  const { title, date, ...rest } = normaliseCommon(raw);
  return { ...rest, name: title, first_air_date: date, ...normaliseSeriesMetadata(raw) };
}

export function isMissingOverview(error: unknown): boolean {
  return error instanceof CatalogValidationError && (error as Partial<OverviewlessError>).missingOverview === true;
}

/** TMDB image URL for a poster or backdrop path, or null. */
export function tmdbImageUrl(path: string | null | undefined, size = "w342"): string | null {
  return path ? `https://image.tmdb.org/t/p/${size}${path}` : null;
}
