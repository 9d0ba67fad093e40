// The refresh job: the most popular movies and series from TMDB's discover endpoints, then each
// title's details (keywords, credits: ./details.ts) and each movie's watch providers
// (./providers.ts), normalised into a catalogue and written
// atomically. Nothing is written until every discover request has succeeded, so a failed
// refresh leaves the previous catalogue as it was.
import { normaliseMovie, normaliseSeries, type CatalogMeta, type Genre, type Movie, type Series } from "../../lib/catalog.ts";
import { booleanSetting, catalogDir, numberSetting, setting } from "../shared/config.ts";
import { writeCatalog } from "../catalog/store.ts";
import { TmdbClient, type TmdbClientOptions, type TmdbRetryEvent } from "./client.ts";
import { addTmdbDetails, type DetailsReport } from "./details.ts";
import { addWatchProviders, watchRegions, type ProvidersReport } from "./providers.ts";
import { collectTopTitles, type CollectContext, type KindSpec, type TopTitles } from "./top-titles.ts";
import { parseMovieResult, parseTvResult } from "./types.ts";

export interface RefreshOptions {
  /** Catalogue directory to write; default catalogDir(). */
  outDir?: string;
  /** Movies with an overview to keep; default TMDB_MOVIE_COUNT or 5000. */
  movies?: number;
  /** Series with an overview to keep; default TMDB_SERIES_COUNT or 1500. */
  series?: number;
  /** Overview language, e.g. `en-US`; default TMDB_LANGUAGE or en-US. */
  language?: string;
  /** Client settings over those from the environment (credentials, base URL, rate limit...). */
  client?: TmdbClientOptions;
  /** Progress and retry lines; default stderr. */
  log?: (line: string) => void;
  /** Log progress every this many pages; default 25. */
  progressEvery?: number;
  /** Aborting it stops the refresh; nothing is written. */
  signal?: AbortSignal;
  /** Fetch each title's keywords and credits (one request per title not cached); default TMDB_DETAILS or on. */
  details?: boolean;
  /** Cache of those details; default <cacheDir()>/tmdb-details. */
  detailsCacheDir?: string;
  /** Cached details older than this many days are fetched again; default 90. */
  detailsMaxAgeDays?: number;
  /** Log details progress every this many titles; default 500. */
  detailsProgressEvery?: number;
  /** Regions whose watch providers to fetch (one request per movie not cached); default TMDB_WATCH_REGIONS or US,GB,DE,FR; empty: none. */
  watchRegions?: readonly string[];
  /** Cache of the providers; default <cacheDir()>/tmdb-providers. */
  providersCacheDir?: string;
  /** Cached providers older than this many days are fetched again; default 30. */
  providersMaxAgeDays?: number;
}

export interface RefreshResult {
  dir: string;
  meta: CatalogMeta;
}

const MOVIES: KindSpec<Movie> = {
  kind: "movie",
  label: "movies",
  dateField: "primary_release_date",
  toRow(result) {
    const movie = parseMovieResult(result);
    return movie && { ...movie, date: movie.release_date, language: movie.original_language, genre_names: [] };
  },
  normalise: normaliseMovie,
};

const SERIES: KindSpec<Series> = {
  kind: "tv",
  label: "series",
  dateField: "first_air_date",
  toRow(result) {
    const show = parseTvResult(result);
    return show && { ...show, title: show.name, date: show.first_air_date, language: show.original_language, genre_names: [] };
  },
  normalise: normaliseSeries,
};

function genreMap(genres: readonly Genre[]): Map<number, string> {
  return new Map(genres.map((g) => [g.id, g.name]));
}

function positiveCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive whole number, got ${value}`);
  return value;
}

/** Checks a TMDB language tag such as `en-US` or `fr`. */
export function checkLanguage(language: string): string {
  if (!/^[a-z]{2}(-[A-Z]{2})?$/.test(language)) {
    throw new RangeError(`language must look like en-US or fr, got "${language}"`);
  }
  return language;
}

function retryLogger(log: (line: string) => void) {
  return (event: TmdbRetryEvent) =>
    log(
      `TMDB ${event.request}: ${event.reason}; retry ${event.attempt}/${event.maxAttempts - 1} in ${(event.delayMs / 1000).toFixed(1)} s`,
    );
}

/**
 * Fetches the catalogue from TMDB and writes it to `outDir`. Resolves with the directory and
 * the metadata written; rejects with a TmdbError (or CatalogStoreError) and writes nothing.
 */
export async function refreshFromTmdb(options: RefreshOptions = {}): Promise<RefreshResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const dir = options.outDir ?? catalogDir();
  const movieTarget = positiveCount("movies", options.movies ?? numberSetting("TMDB_MOVIE_COUNT", 5000));
  const seriesTarget = positiveCount("series", options.series ?? numberSetting("TMDB_SERIES_COUNT", 1500));
  const language = checkLanguage(options.language ?? setting("TMDB_LANGUAGE") ?? "en-US");
  const withDetails = options.details ?? booleanSetting("TMDB_DETAILS", true);
  const regions = options.watchRegions ? [...options.watchRegions] : watchRegions();
  const client = TmdbClient.fromEnv({ onRetry: retryLogger(log), ...options.client });
  // On the first failure every request still queued or in flight is cancelled.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const context: CollectContext = { client, language, log, progressEvery: Math.max(1, options.progressEvery ?? 25), signal };
  const started = performance.now();
  log(`tmdb refresh: ${movieTarget} movies and ${seriesTarget} series (${language}) from ${client.baseUrl}`);

  let movies: TopTitles<Movie>;
  let series: TopTitles<Series>;
  let languageNames: Record<string, string>;
  let details: DetailsReport | undefined;
  let providers: ProvidersReport | undefined;
  try {
    const [movieGenres, tvGenres, names] = await Promise.all([
      client.genres("movie", signal),
      client.genres("tv", signal),
      client.languages(signal),
    ]);
    languageNames = names;
    movies = await collectTopTitles(MOVIES, movieTarget, genreMap(movieGenres), context);
    series = await collectTopTitles(SERIES, seriesTarget, genreMap(tvGenres), context);
    if (withDetails) {
      const detailed = await addTmdbDetails(movies.rows, series.rows, {
        client,
        language,
        log,
        signal,
        cacheDir: options.detailsCacheDir,
        maxAgeDays: options.detailsMaxAgeDays,
        progressEvery: options.detailsProgressEvery,
      });
      movies = { ...movies, rows: detailed.movies };
      series = { ...series, rows: detailed.series };
      details = detailed.report;
    } else {
      log(`details: off${options.details === false ? "" : " (TMDB_DETAILS=0)"}: the catalogue gets no keywords or credits`);
    }
    if (regions.length > 0) {
      const watched = await addWatchProviders(movies.rows, {
        client,
        regions,
        log,
        signal,
        cacheDir: options.providersCacheDir,
        maxAgeDays: options.providersMaxAgeDays,
        progressEvery: options.detailsProgressEvery,
      });
      movies = { ...movies, rows: watched.movies };
      providers = watched.report;
    } else {
      log("providers: off (TMDB_WATCH_REGIONS empty): the catalogue gets no watch providers");
    }
    signal.throwIfAborted();
  } catch (error) {
    failed.abort();
    throw error;
  }

  const { requests, retries } = client.stats;
  const meta: CatalogMeta = {
    source: "tmdb",
    fetched_at: new Date().toISOString(),
    counts: { movies: movies.rows.length, series: series.rows.length },
    dropped: { ...movies.dropped, ...series.dropped },
    overview_language: language,
    language_names: languageNames,
    requests,
    ...(details ? { details } : {}),
    ...(providers ? { providers } : {}),
  };
  await writeCatalog(dir, { movies: movies.rows, series: series.rows, meta });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(
    `tmdb refresh: wrote ${movies.rows.length} movies and ${series.rows.length} series to ${dir}; ` +
      `${requests} requests (${retries} retries) in ${seconds} s`,
  );
  return { dir, meta };
}
