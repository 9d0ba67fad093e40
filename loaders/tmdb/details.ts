// The refresh's details step: one `/movie/{id}` or `/tv/{id}` request per title kept, with
// keywords and credits appended, for the metadata the ranking uses (lib/catalog.ts's
// MovieMetadata and SeriesMetadata).
//
// Each title's metadata is cached on its own under <cacheDir()>/tmdb-details/ as
// `<kind>-<id>.json`, written atomically (temp file + rename) as soon as it arrives. So a
// monthly refresh asks only for titles new to the catalogue or cached longer ago than
// maxAgeDays, and a killed refresh loses at most the requests in flight: the next run resumes.
// A title TMDB has no details for (404) or whose request keeps failing keeps its discover
// fields and empty metadata; it is counted and reported, and retried on the next run (failures
// are not cached). Only when most requests fail does the step, and so the refresh, fail.
import { readFile, readdir, mkdir, rename, rm, writeFile } from "node:fs/promises";
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
import { alive } from "../shared/file-lock.ts";
import { tempFileBeside } from "../shared/parquet.ts";
import { TmdbError, TmdbNotFoundError, TmdbResponseError, TmdbUnavailableError, type TmdbClient } from "./client.ts";
import type { TmdbMediaKind } from "./types.ts";

export type DetailsReport = NonNullable<CatalogMeta["details"]>;

export interface DetailsOptions {
  client: TmdbClient;
  /** The refresh's language: collection names are localised, so the cache keeps it per entry. */
  language: string;
  log: (line: string) => void;
  /** Default <cacheDir()>/tmdb-details. */
  cacheDir?: string;
  /** Cached metadata older than this is fetched again; default 90 days. */
  maxAgeDays?: number;
  /** A progress line every this many titles fetched; default 500. */
  progressEvery?: number;
  signal?: AbortSignal;
  /** The clock, for cache ages (tests). */
  now?: () => Date;
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
// Requests in flight stay bounded by the client (its concurrency and pacing); these workers only
// keep it busy while others write their cache files.
const WORKERS = 16;
// Failures needed before "most requests fail" may end the step: a few 404s early in a small
// refresh are titles gone from TMDB, not an outage.
const MIN_FAILURES_TO_GIVE_UP = 10;
const DAY_MS = 86_400_000;

type Metadata = MovieMetadata | SeriesMetadata;

interface Title {
  kind: TmdbMediaKind;
  id: number;
}

interface CacheEntry {
  version: number;
  kind: TmdbMediaKind;
  id: number;
  language: string;
  fetched_at: string;
  metadata: Metadata;
}

export function defaultDetailsCacheDir(): string {
  return path.join(cacheDir(), "tmdb-details");
}

const keyOf = (title: Title) => `${title.kind}-${title.id}`;
const fileOf = (dir: string, title: Title) => path.join(dir, `${keyOf(title)}.json`);

/** The cached metadata of a title, or null when there is none, it is stale, of another language or unreadable. */
async function readEntry(dir: string, title: Title, language: string, oldest: number): Promise<Metadata | null> {
  let entry: Partial<CacheEntry>;
  try {
    entry = JSON.parse(await readFile(fileOf(dir, title), "utf8"));
  } catch {
    return null;
  }
  const fetched = Date.parse(String(entry?.fetched_at));
  const fits = entry?.version === CACHE_VERSION && entry.kind === title.kind && entry.id === title.id && entry.language === language;
  if (!fits || !(fetched >= oldest) || typeof entry.metadata !== "object" || entry.metadata === null) return null;
  // Re-normalised: the cache is a file on disk like any other input.
  const raw: Record<string, unknown> = { ...entry.metadata };
  return title.kind === "movie" ? normaliseMovieMetadata(raw) : normaliseSeriesMetadata(raw);
}

async function writeEntry(dir: string, title: Title, language: string, metadata: Metadata, now: Date): Promise<void> {
  const file = fileOf(dir, title);
  const entry: CacheEntry = { version: CACHE_VERSION, kind: title.kind, id: title.id, language, fetched_at: now.toISOString(), metadata };
  const temp = tempFileBeside(file);
  try {
    await writeFile(temp, JSON.stringify(entry) + "\n");
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(`could not write the TMDB details cache file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Removes the temp files of refreshes killed mid-write (their process is gone). */
async function removeStaleTemps(dir: string): Promise<void> {
  const stale = (await readdir(dir)).filter((name) => {
    const match = /\.json\.(\d+)\.\d+\.\d+\.tmp$/.exec(name);
    return match !== null && Number(match[1]) !== process.pid && !alive(Number(match[1]));
  });
  await Promise.all(stale.map((name) => rm(path.join(dir, name), { force: true })));
}

/** Runs `job` over `items`, `width` at a time. */
async function eachLimited<T>(items: readonly T[], width: number, job: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += width) await Promise.all(items.slice(start, start + width).map(job));
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
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
  const { client, language, log } = options;
  const dir = path.resolve(options.cacheDir ?? defaultDetailsCacheDir());
  const now = options.now ?? (() => new Date());
  const oldest = now().getTime() - (options.maxAgeDays ?? DEFAULT_DETAILS_MAX_AGE_DAYS) * DAY_MS;
  const progressEvery = Math.max(1, options.progressEvery ?? 500);
  const titles: Title[] = [...movies.map((m) => ({ kind: "movie" as const, id: m.id })), ...series.map((s) => ({ kind: "tv" as const, id: s.id }))];

  await mkdir(dir, { recursive: true });
  await removeStaleTemps(dir);
  const found = new Map<string, Metadata>();
  await eachLimited(titles, 64, async (title) => {
    const metadata = await readEntry(dir, title, language, oldest);
    if (metadata) found.set(keyOf(title), metadata);
  });
  const cached = found.size;
  const missing = titles.filter((title) => !found.has(keyOf(title)));
  log(`details: ${titles.length} titles, ${cached} cached in ${dir}, ${missing.length} to fetch (one request each)`);

  const report: DetailsReport = { cached, fetched: 0, not_found: 0, failed: 0 };
  const unanswered: string[] = [];
  let lastError = "";
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const started = performance.now();
  let next = 0;
  let settled = 0;

  const settle = () => {
    settled++;
    const failures = report.not_found + report.failed;
    if (failures >= MIN_FAILURES_TO_GIVE_UP && failures * 2 > settled) {
      throw new TmdbDetailsError(
        `TMDB details failed for ${failures} of the ${settled} titles asked so far (${report.not_found} not found, ${report.failed} errors; last: ${lastError}); ` +
          `stopped, and the ${report.fetched} fetched are cached for the next run`,
        "details",
      );
    }
    if (settled % progressEvery === 0 && settled < missing.length) {
      const elapsed = (performance.now() - started) / 1000;
      const left = (elapsed / settled) * (missing.length - settled);
      log(`details: ${settled}/${missing.length} fetched (${failures} without details), ${duration(elapsed)}, about ${duration(left)} left`);
    }
  };

  const worker = async () => {
    while (next < missing.length) {
      const title = missing[next++];
      signal.throwIfAborted();
      try {
        const metadata = await fetchMetadata(client, title, language, signal);
        await writeEntry(dir, title, language, metadata, now());
        found.set(keyOf(title), metadata);
        report.fetched++;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        // A title TMDB no longer has, or whose answer stayed broken or unavailable through every
        // retry, keeps empty metadata. Anything else (credentials, a full disk) ends the step.
        if (error instanceof TmdbNotFoundError) report.not_found++;
        else if (error instanceof TmdbUnavailableError || error instanceof TmdbResponseError) report.failed++;
        else throw error;
        unanswered.push(`${title.kind} ${title.id}`);
        lastError = error instanceof TmdbNotFoundError ? `${title.kind} ${title.id}: not found (404)` : (error as Error).message;
      }
      settle();
    }
  };

  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(WORKERS, missing.length) }, () =>
      worker().catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
    ),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failure) throw options.signal?.aborted ? options.signal.reason : failure.reason;

  const seconds = (performance.now() - started) / 1000;
  const without = report.not_found + report.failed;
  log(
    `details: ${report.cached} cached, ${report.fetched} fetched in ${duration(seconds)}` +
      (without > 0
        ? `; ${without} kept empty metadata (${report.not_found} not found, ${report.failed} failed: ${unanswered.slice(0, 10).join(", ")}${without > 10 ? ", ..." : ""}), retried next run`
        : ""),
  );
  const withMetadata = <T extends Movie | Series>(kind: TmdbMediaKind, row: T): T => {
    const metadata = found.get(keyOf({ kind, id: row.id }));
    return metadata ? { ...row, ...metadata } : row;
  };
  return {
    movies: movies.map((m) => withMetadata("movie", m)),
    series: series.map((s) => withMetadata("tv", s)),
    report,
  };
}
