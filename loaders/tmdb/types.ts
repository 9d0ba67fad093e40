// TMDB API response shapes and their validation. Everything TMDB sends is untrusted:
// each response is checked here, once, and the rest of the code trusts these types.
import type { Genre, MovieMetadata, SeriesMetadata } from "../../lib/catalog.ts";

export type TmdbMediaKind = "movie" | "tv";

/** One `/discover/movie` result, the fields the catalogue uses. */
export interface TmdbMovieResult {
  id: number;
  title: string;
  overview: string | null;
  release_date: string | null;
  popularity: unknown;
  vote_average: unknown;
  vote_count: unknown;
  genre_ids: number[];
  original_language: unknown;
  adult: boolean;
  poster_path: unknown;
  backdrop_path: unknown;
}

/** One `/discover/tv` result, the fields the catalogue uses. */
export interface TmdbTvResult {
  id: number;
  name: string;
  overview: string | null;
  first_air_date: string | null;
  popularity: unknown;
  vote_average: unknown;
  vote_count: unknown;
  genre_ids: number[];
  original_language: unknown;
  adult: boolean;
  poster_path: unknown;
  backdrop_path: unknown;
}

/** A discover page. Results stay `unknown` until each row is checked on its own, so one bad row cannot sink a page. */
export interface TmdbDiscoverPage {
  page: number;
  results: unknown[];
  total_pages: number;
  total_results: number;
}

/** The body TMDB sends with an error status. */
export interface TmdbStatusBody {
  status_code?: number;
  status_message?: string;
}

/** Thrown when a response does not have the shape its endpoint promises. */
export class TmdbShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TmdbShapeError";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

export function parseDiscoverPage(body: unknown): TmdbDiscoverPage {
  if (!isRecord(body)) throw new TmdbShapeError("expected a JSON object");
  if (!Array.isArray(body.results)) throw new TmdbShapeError("missing `results` array");
  if (!isCount(body.total_pages)) throw new TmdbShapeError("missing or invalid `total_pages`");
  return {
    page: isCount(body.page) ? body.page : 0,
    results: body.results,
    total_pages: body.total_pages,
    total_results: isCount(body.total_results) ? body.total_results : 0,
  };
}

/** `/genre/movie/list`, `/genre/tv/list`: entries without a numeric id and a name are left out. */
export function parseGenreList(body: unknown): Genre[] {
  if (!isRecord(body) || !Array.isArray(body.genres)) throw new TmdbShapeError("missing `genres` array");
  const genres: Genre[] = [];
  for (const entry of body.genres) {
    if (isRecord(entry) && Number.isInteger(entry.id) && typeof entry.name === "string" && entry.name.trim()) {
      genres.push({ id: entry.id as number, name: entry.name.trim() });
    }
  }
  if (genres.length === 0) throw new TmdbShapeError("the genre list is empty");
  return genres;
}

/** `/configuration/languages` as a code → English name map. */
export function parseLanguages(body: unknown): Record<string, string> {
  if (!Array.isArray(body)) throw new TmdbShapeError("expected an array of languages");
  const names: Record<string, string> = {};
  for (const entry of body) {
    if (!isRecord(entry) || typeof entry.iso_639_1 !== "string" || typeof entry.english_name !== "string") continue;
    const code = entry.iso_639_1.trim().toLowerCase();
    const name = entry.english_name.trim();
    if (/^[a-z]{2}$/.test(code) && name) names[code] = name;
  }
  return names;
}

/** TMDB's `status_message`, shortened and stripped of control characters: it ends up in our error messages. */
export function statusMessage(body: unknown): string | undefined {
  if (!isRecord(body) || typeof body.status_message !== "string") return undefined;
  const text = body.status_message.replace(/\p{Cc}+/gu, " ").trim();
  return text ? text.slice(0, 200) : undefined;
}

function genreIds(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((id): id is number => Number.isInteger(id)) : [];
}

function optionalText(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function requiredId(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null;
}

function requiredText(value: unknown): string | null {
  return typeof value === "string" && value.trim() ? value : null;
}

/** A movie result, or null when it lacks an id or a title (the caller counts those). */
export function parseMovieResult(raw: unknown): TmdbMovieResult | null {
  if (!isRecord(raw)) return null;
  const id = requiredId(raw.id);
  const title = requiredText(raw.title);
  if (id === null || title === null) return null;
  return {
    id,
    title,
    overview: optionalText(raw.overview),
    release_date: optionalText(raw.release_date),
    popularity: raw.popularity,
    vote_average: raw.vote_average,
    vote_count: raw.vote_count,
    genre_ids: genreIds(raw.genre_ids),
    original_language: raw.original_language,
    adult: raw.adult === true,
    poster_path: raw.poster_path,
    backdrop_path: raw.backdrop_path,
  };
}

/** A TV result, or null when it lacks an id or a name. Older API versions send no `adult`: false then. */
export function parseTvResult(raw: unknown): TmdbTvResult | null {
  if (!isRecord(raw)) return null;
  const id = requiredId(raw.id);
  const name = requiredText(raw.name);
  if (id === null || name === null) return null;
  return {
    id,
    name,
    overview: optionalText(raw.overview),
    first_air_date: optionalText(raw.first_air_date),
    popularity: raw.popularity,
    vote_average: raw.vote_average,
    vote_count: raw.vote_count,
    genre_ids: genreIds(raw.genre_ids),
    original_language: raw.original_language,
    adult: raw.adult === true,
    poster_path: raw.poster_path,
    backdrop_path: raw.backdrop_path,
  };
}

/**
 * `/movie/{id}?append_to_response=keywords,credits`, reduced to the names the catalogue keeps,
 * in TMDB's order of importance (cast by billing). Not yet bounded: lib/catalog.ts does that.
 */
export interface TmdbMovieDetails extends MovieMetadata {
  id: number;
}

/** `/tv/{id}?append_to_response=keywords,aggregate_credits`, reduced like TmdbMovieDetails. */
export interface TmdbTvDetails extends SeriesMetadata {
  id: number;
}

/** The `name` of every entry of a list that has one; anything else in the list is skipped. */
function names(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).flatMap((entry) => (typeof entry.name === "string" && entry.name.trim() ? [entry.name] : []));
}

/** Cast names by billing `order` (entries without one last, in TMDB's order). */
function billed(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const order = (entry: Record<string, unknown>) => (typeof entry.order === "number" && Number.isFinite(entry.order) ? entry.order : Infinity);
  const entries = value.filter(isRecord);
  return names(entries.map((entry, index) => ({ entry, index })).sort((a, b) => order(a.entry) - order(b.entry) || a.index - b.index).map((e) => e.entry));
}

// Writing credits in the order they say most about the story; "Characters" (a franchise's
// creator, say Ian Fleming) last, as TMDB lists it on every film of a series.
const WRITER_JOBS = ["Screenplay", "Writer", "Novel", "Book", "Story", "Original Story", "Comic Book", "Author", "Characters"];

function crewNames(crew: unknown, jobs: readonly string[]): string[] {
  if (!Array.isArray(crew)) return [];
  const entries = crew.filter(isRecord);
  return jobs.flatMap((job) => names(entries.filter((entry) => entry.job === job)));
}

function detailsBody(body: unknown, id: number): Record<string, unknown> {
  if (!isRecord(body)) throw new TmdbShapeError("expected a JSON object");
  if (body.id !== id) throw new TmdbShapeError(`asked for id ${id}, got ${JSON.stringify(body.id)?.slice(0, 20)}`);
  return body;
}

/** Movie details; a missing or malformed part (keywords, credits...) reads as empty, a wrong id is refused. */
export function parseMovieDetails(body: unknown, id: number): TmdbMovieDetails {
  const movie = detailsBody(body, id);
  const keywords = isRecord(movie.keywords) ? movie.keywords.keywords : undefined;
  const credits = isRecord(movie.credits) ? movie.credits : {};
  const collection = isRecord(movie.belongs_to_collection) ? movie.belongs_to_collection.name : undefined;
  return {
    id,
    keywords: names(keywords),
    collection: typeof collection === "string" && collection.trim() ? collection : null,
    companies: names(movie.production_companies),
    directors: crewNames(credits.crew, ["Director"]),
    writers: crewNames(credits.crew, WRITER_JOBS),
    cast: billed(credits.cast),
  };
}

/** Series details; TV answers keywords as `results` and credits over all seasons as `aggregate_credits`. */
export function parseTvDetails(body: unknown, id: number): TmdbTvDetails {
  const show = detailsBody(body, id);
  const keywords = isRecord(show.keywords) ? show.keywords.results : undefined;
  const credits = isRecord(show.aggregate_credits) ? show.aggregate_credits : {};
  return {
    id,
    keywords: names(keywords),
    creators: names(show.created_by),
    networks: names(show.networks),
    companies: names(show.production_companies),
    cast: billed(credits.cast),
  };
}

/**
 * `/movie/{id}/watch/providers` (TMDB's copy of JustWatch's data): per region a watch-page
 * link and the flatrate, rent and buy offers. Only the asked regions are kept; a region or an
 * offer of the wrong shape reads as absent, a wrong id or a body without `results` is refused.
 */
export function parseWatchProvidersResponse(body: unknown, id: number, regions: readonly string[]): { links: Record<string, unknown>; offers: Record<string, unknown>[] } {
  const answer = detailsBody(body, id);
  if (!isRecord(answer.results)) throw new TmdbShapeError("missing `results` object");
  const links: Record<string, unknown> = {};
  const offers: Record<string, unknown>[] = [];
  for (const region of regions) {
    const entry = answer.results[region];
    if (!isRecord(entry)) continue;
    if (typeof entry.link === "string") links[region] = entry.link;
    for (const kind of ["flatrate", "rent", "buy"] as const) {
      const list = Array.isArray(entry[kind]) ? (entry[kind] as unknown[]) : [];
      for (const item of list) {
        if (isRecord(item) && typeof item.provider_name === "string") offers.push({ region, kind, provider: item.provider_name, logo_path: item.logo_path });
      }
    }
  }
  return { links, offers };
}
