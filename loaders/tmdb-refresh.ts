// The refresh job: the most popular movies and series from TMDB's discover endpoints,
// normalised into a catalogue and written atomically. Nothing is written until every
// request has succeeded, so a failed refresh leaves the previous catalogue as it was.
import {
  isMissingOverview,
  normaliseDate,
  normaliseMovie,
  normaliseSeries,
  type CatalogMeta,
  type Genre,
  type Movie,
  type RawTitle,
  type Series,
} from "../lib/catalog.ts";
import { catalogDir, numberSetting, setting } from "../lib/config.ts";
import { writeCatalog } from "./catalog-store.ts";
import { TMDB_MAX_PAGE, TmdbClient, type TmdbClientOptions, type TmdbRetryEvent } from "./tmdb-client.ts";
import { parseMovieResult, parseTvResult, type TmdbDiscoverPage, type TmdbMediaKind } from "./tmdb-types.ts";

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
}

export interface RefreshResult {
  dir: string;
  meta: CatalogMeta;
}

/** A discover result in the shape normaliseMovie/normaliseSeries take, genres still as ids. */
type DiscoverRow = RawTitle & { id: number; genre_ids: number[] };

/** How one kind of title is read from its discover results. */
interface KindSpec<T> {
  kind: TmdbMediaKind;
  label: "movies" | "series";
  /** The discover filter that bounds a date window from above. */
  dateFilter: string;
  toRow(result: unknown): DiscoverRow | null;
  normalise(raw: RawTitle): T;
}

const MOVIES: KindSpec<Movie> = {
  kind: "movie",
  label: "movies",
  dateFilter: "primary_release_date.lte",
  toRow(result) {
    const movie = parseMovieResult(result);
    return movie && { ...movie, date: movie.release_date, language: movie.original_language, genre_names: [] };
  },
  normalise: normaliseMovie,
};

const SERIES: KindSpec<Series> = {
  kind: "tv",
  label: "series",
  dateFilter: "first_air_date.lte",
  toRow(result) {
    const show = parseTvResult(result);
    return show && { ...show, title: show.name, date: show.first_air_date, language: show.original_language, genre_names: [] };
  },
  normalise: normaliseSeries,
};

/** The day before an ISO date. */
function dayBefore(isoDate: string): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

function safeDate(value: unknown): string | null {
  try {
    return normaliseDate(value);
  } catch {
    return null;
  }
}

/** Rows kept so far plus the counts of rows left out; fed one discover page at a time, in popularity order. */
class Collector<T> {
  readonly rows: T[] = [];
  readonly dropped: Record<string, number>;
  readonly #seen = new Set<number>();
  /** Oldest release date among all results seen: where the next date window starts. */
  oldestDate: string | null = null;
  pagesRead = 0;

  constructor(
    readonly spec: KindSpec<T>,
    readonly target: number,
    readonly genreNames: ReadonlyMap<number, string>,
  ) {
    const label = spec.label;
    this.dropped = {
      [`${label}_missing_fields`]: 0,
      [`${label}_without_overview`]: 0,
      [`${label}_invalid`]: 0,
      [`${label}_duplicates`]: 0,
      [`${label}_unknown_genre_ids`]: 0,
    };
  }

  get done(): boolean {
    return this.rows.length >= this.target;
  }

  #count(reason: string): void {
    this.dropped[`${this.spec.label}_${reason}`]++;
  }

  /** Adds a page's rows; returns how many were new ids. */
  absorb(page: TmdbDiscoverPage): number {
    this.pagesRead++;
    let fresh = 0;
    for (const result of page.results) {
      if (this.done) break;
      const raw = this.spec.toRow(result);
      if (!raw) {
        this.#count("missing_fields");
        continue;
      }
      // Popularity shifts while we page, so a title can show up again on a later page:
      // the first sighting is its most popular position.
      if (this.#seen.has(raw.id)) {
        this.#count("duplicates");
        continue;
      }
      this.#seen.add(raw.id);
      fresh++;
      const date = safeDate(raw.date);
      if (date && (this.oldestDate === null || date < this.oldestDate)) this.oldestDate = date;
      const names: string[] = [];
      for (const id of raw.genre_ids) {
        const name = this.genreNames.get(id);
        if (name) names.push(name);
        else this.#count("unknown_genre_ids");
      }
      try {
        this.rows.push(this.spec.normalise({ ...raw, genre_names: names }));
      } catch (error) {
        this.#count(isMissingOverview(error) ? "without_overview" : "invalid");
      }
    }
    return fresh;
  }
}

type Settled = { page: TmdbDiscoverPage } | { error: unknown };

interface CollectContext {
  client: TmdbClient;
  language: string;
  log: (line: string) => void;
  progressEvery: number;
  signal?: AbortSignal;
}

/** Fetches discover pages until `collector` holds its target or TMDB runs out of titles. */
async function collect<T>(collector: Collector<T>, context: CollectContext): Promise<void> {
  const { client, language, log, progressEvery, signal } = context;
  const { kind, label, dateFilter } = collector.spec;
  let lte: string | undefined;
  let windowNumber = 1;
  for (;;) {
    const params = (page: number) => ({ page, language, [dateFilter]: lte });
    const first = await client.discover(kind, params(1), signal);
    let added = collector.absorb(first);
    const windowPages = Math.min(TMDB_MAX_PAGE, first.total_pages);
    let next = 2;
    let exhausted = first.results.length === 0;
    while (!collector.done && !exhausted && next <= windowPages) {
      // Ask for as many pages as the yield so far says the target needs, all at once (the
      // client spaces and bounds them), then read them in order so popularity order holds.
      const perPage = Math.max(1, collector.rows.length / collector.pagesRead);
      const wanted = Math.ceil((collector.target - collector.rows.length) / perPage);
      const last = Math.min(windowPages, next + wanted - 1);
      const batch = new AbortController();
      const batchSignal = signal ? AbortSignal.any([signal, batch.signal]) : batch.signal;
      const pending: Promise<Settled>[] = [];
      for (let page = next; page <= last; page++) {
        pending.push(client.discover(kind, params(page), batchSignal).then((p) => ({ page: p }), (error) => ({ error })));
      }
      try {
        for (let i = 0; i < pending.length; i++) {
          const settled = await pending[i];
          if ("error" in settled) throw settled.error;
          const pageNumber = next + i;
          if (settled.page.results.length === 0) {
            exhausted = true;
            break;
          }
          added += collector.absorb(settled.page);
          if (pageNumber % progressEvery === 0) log(`${label}: page ${pageNumber}/${last}, ${collector.rows.length} rows`);
          if (collector.done) break;
        }
      } finally {
        // Pages planned but no longer needed (target reached, or a failure) are not sent.
        batch.abort();
      }
      next = last + 1;
    }
    if (collector.done) return;
    const capped = first.total_pages > TMDB_MAX_PAGE && !exhausted;
    if (!capped) {
      log(`${label}: TMDB has no more titles (${collector.rows.length} of ${collector.target} kept)`);
      return;
    }
    if (added === 0 || collector.oldestDate === null) {
      log(`${label}: date window ${windowNumber} added nothing new; stopping at ${collector.rows.length} rows`);
      return;
    }
    // Past page 500 TMDB answers nothing, so continue with the titles released on or before the
    // oldest date seen; titles of that very day come again and are de-duplicated.
    let nextLte: string = collector.oldestDate;
    if (lte !== undefined && nextLte >= lte) nextLte = dayBefore(lte);
    lte = nextLte;
    windowNumber++;
    log(`${label}: reached TMDB's ${TMDB_MAX_PAGE}-page cap; window ${windowNumber}: ${dateFilter}=${lte}`);
  }
}

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
  const client = TmdbClient.fromEnv({ onRetry: retryLogger(log), ...options.client });
  // On the first failure every request still queued or in flight is cancelled.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const context: CollectContext = { client, language, log, progressEvery: Math.max(1, options.progressEvery ?? 25), signal };
  const started = performance.now();
  log(`tmdb refresh: ${movieTarget} movies and ${seriesTarget} series (${language}) from ${client.baseUrl}`);

  let movies: Collector<Movie>;
  let series: Collector<Series>;
  let languageNames: Record<string, string>;
  try {
    const [movieGenres, tvGenres, names] = await Promise.all([
      client.genres("movie", signal),
      client.genres("tv", signal),
      client.languages(signal),
    ]);
    languageNames = names;
    movies = new Collector(MOVIES, movieTarget, genreMap(movieGenres));
    await collect(movies, context);
    series = new Collector(SERIES, seriesTarget, genreMap(tvGenres));
    await collect(series, context);
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
  };
  await writeCatalog(dir, { movies: movies.rows, series: series.rows, meta });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(
    `tmdb refresh: wrote ${movies.rows.length} movies and ${series.rows.length} series to ${dir}; ` +
      `${requests} requests (${retries} retries) in ${seconds} s`,
  );
  return { dir, meta };
}
