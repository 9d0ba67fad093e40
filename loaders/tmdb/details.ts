// The refresh's details step: one `/movie/{id}` or `/tv/{id}` request per title kept, with
// keywords and credits appended, for the metadata the ranking uses (lib/catalog.ts's
// MovieMetadata and SeriesMetadata).
//
// Each title's metadata is cached on its own under <cacheDir()>/tmdb-details/ as
// `<kind>-<id>.json` (./per-title.ts: atomic, resumable, failures retried next run). A title
// TMDB has no details for (404) or whose request keeps failing keeps its discover fields and
// empty metadata; it is counted and reported. Only when most requests fail does the step, and
// so the refresh, fail.
import path from "node:path";
import {
  normaliseMovieMetadata,
  normaliseSeriesMetadata,
  type CatalogMeta,
  type Movie,
  type MovieMetadata,
  type Series,
  type SeriesMetadata,
} from "../../lib/catalog.ts";
import { cacheDir } from "../shared/config.ts";
import { TmdbError, type TmdbClient } from "./client.ts";
import { fetchPerTitle, titleKey, type PerTitleOptions, type Title } from "./per-title.ts";
import type { TmdbMediaKind } from "./types.ts";

export type DetailsReport = NonNullable<CatalogMeta["details"]>;

/** cacheDir defaults to <cacheDir()>/tmdb-details, maxAgeDays to 90. */
export interface DetailsOptions extends PerTitleOptions {
  /** The refresh's language: collection names are localised, so the cache keeps it per entry. */
  language: string;
}

export interface DetailedTitles {
  movies: Movie[];
  series: Series[];
  report: DetailsReport;
}

/** Most detail requests failed: TMDB is down or refusing, not missing the odd title. */
export class TmdbDetailsError extends TmdbError {}

export const DEFAULT_DETAILS_MAX_AGE_DAYS = 90;

/** Cache entries of another version are fetched again. */
const CACHE_VERSION = 1;

type Metadata = MovieMetadata | SeriesMetadata;

export function defaultDetailsCacheDir(): string {
  return path.join(cacheDir(), "tmdb-details");
}

/** One title's metadata from TMDB, bounded by the catalogue's rules. */
async function fetchMetadata(client: TmdbClient, title: Title, language: string, signal: AbortSignal): Promise<Metadata> {
  return title.kind === "movie"
    ? normaliseMovieMetadata(await client.movieDetails(title.id, language, signal))
    : normaliseSeriesMetadata(await client.tvDetails(title.id, language, signal));
}

/**
 * The titles with their TMDB metadata: from the cache when it is fresh, otherwise fetched (one
 * request per title) and cached. Rejects when aborted, on a credentials error, or when most
 * requests fail (TmdbDetailsError); what was fetched until then stays cached.
 */
export async function addTmdbDetails(movies: readonly Movie[], series: readonly Series[], options: DetailsOptions): Promise<DetailedTitles> {
  const { client, language } = options;
  const titles: Title[] = [...movies.map((m) => ({ kind: "movie" as const, id: m.id })), ...series.map((s) => ({ kind: "tv" as const, id: s.id }))];
  const { found, report } = await fetchPerTitle<Metadata>(titles, {
    label: "details",
    dir: path.resolve(options.cacheDir ?? defaultDetailsCacheDir()),
    version: CACHE_VERSION,
    // Collection names are localised, so the cache keeps the language per entry.
    variant: { field: "language", value: language },
    valueField: "metadata",
    maxAgeDays: options.maxAgeDays ?? DEFAULT_DETAILS_MAX_AGE_DAYS,
    progressEvery: options.progressEvery ?? 500,
    fetch: (title, signal) => fetchMetadata(client, title, language, signal),
    revive: (raw, title) => {
      const fields = { ...(raw as Record<string, unknown>) };
      return title.kind === "movie" ? normaliseMovieMetadata(fields) : normaliseSeriesMetadata(fields);
    },
    log: options.log,
    signal: options.signal,
    now: options.now ?? (() => new Date()),
    failure: TmdbDetailsError,
  });
  const withMetadata = <T extends Movie | Series>(kind: TmdbMediaKind, row: T): T => {
    const metadata = found.get(titleKey({ kind, id: row.id }));
    return metadata ? { ...row, ...metadata } : row;
  };
  return {
    movies: movies.map((m) => withMetadata("movie", m)),
    series: series.map((s) => withMetadata("tv", s)),
    report,
  };
}
