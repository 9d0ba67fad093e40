// One request per catalogue title, cached per title: the machinery the details step
// (./details.ts) and the watch-providers step (./providers.ts) share.
//
// Each title's answer is cached on its own under the step's directory as `<kind>-<id>.json`,
// written atomically (temp file + rename) as soon as it arrives. So a monthly refresh asks only
// for titles new to the catalogue or cached longer ago than maxAgeDays, and a killed refresh
// loses at most the requests in flight: the next run resumes. A title TMDB has nothing for
// (404) or whose request keeps failing is counted and reported, and retried on the next run
// (failures are not cached). Only when most requests fail does the step, and so the refresh, fail.
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { alive } from "../shared/file-lock.ts";
import { tempFileBeside } from "../shared/parquet.ts";
import { TmdbError, TmdbNotFoundError, TmdbResponseError, TmdbUnavailableError, type TmdbClient } from "./client.ts";
import type { TmdbMediaKind } from "./types.ts";

export interface Title {
  kind: TmdbMediaKind;
  id: number;
}

export interface PerTitleReport {
  cached: number;
  fetched: number;
  not_found: number;
  failed: number;
}

/** What a caller of a per-title step (details, providers) may set; each step has its own defaults. */
export interface PerTitleOptions {
  client: TmdbClient;
  log: (line: string) => void;
  /** Where the step caches one file per title; default under cacheDir(). */
  cacheDir?: string;
  /** Cached entries older than this are fetched again. */
  maxAgeDays?: number;
  /** A progress line every this many titles fetched; default 500. */
  progressEvery?: number;
  signal?: AbortSignal;
  /** The clock, for cache ages (tests). */
  now?: () => Date;
}

export interface PerTitleStep<V> {
  /** The log prefix and what the error names: "details", "providers". */
  label: string;
  dir: string;
  /** Entries of another version are fetched again. */
  version: number;
  /**
   * What else an entry must match to be used, under the field names its files have always had
   * (the details' `language`); a value that differs (another language, other regions) is fetched again.
   */
  variant: { field: string; value: string };
  /** The entry's field that holds the answer (the details' `metadata`). */
  valueField: string;
  maxAgeDays: number;
  progressEvery: number;
  fetch(title: Title, signal: AbortSignal): Promise<V>;
  /** The cached answer re-checked (the cache is a file on disk like any other input); null refetches it. */
  revive(raw: unknown, title: Title): V | null;
  log: (line: string) => void;
  signal?: AbortSignal;
  now: () => Date;
  /** Thrown when most requests fail: TMDB is down or refusing, not missing the odd title. */
  failure: new (message: string, request: string) => TmdbError;
}

// Requests in flight stay bounded by the client (its concurrency and pacing); these workers only
// keep it busy while others write their cache files.
const WORKERS = 16;
// Failures needed before "most requests fail" may end the step: a few 404s early in a small
// refresh are titles gone from TMDB, not an outage.
const MIN_FAILURES_TO_GIVE_UP = 10;
const DAY_MS = 86_400_000;

export const titleKey = (title: Title) => `${title.kind}-${title.id}`;
const fileOf = (dir: string, title: Title) => path.join(dir, `${titleKey(title)}.json`);

async function readEntry<V>(step: PerTitleStep<V>, title: Title, oldest: number): Promise<V | null> {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(await readFile(fileOf(step.dir, title), "utf8"));
  } catch {
    return null;
  }
  const fetched = Date.parse(String(entry?.fetched_at));
  const fits = entry?.version === step.version && entry.kind === title.kind && entry.id === title.id && entry[step.variant.field] === step.variant.value;
  const value = entry?.[step.valueField];
  if (!fits || !(fetched >= oldest) || typeof value !== "object" || value === null) return null;
  return step.revive(value, title);
}

async function writeEntry<V>(step: PerTitleStep<V>, title: Title, value: V, now: Date): Promise<void> {
  const file = fileOf(step.dir, title);
  const entry = { version: step.version, kind: title.kind, id: title.id, [step.variant.field]: step.variant.value, fetched_at: now.toISOString(), [step.valueField]: value };
  const temp = tempFileBeside(file);
  try {
    await writeFile(temp, JSON.stringify(entry) + "\n");
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(`could not write the TMDB ${step.label} cache file ${file}: ${(error as Error).message}`, { cause: error });
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

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/**
 * Every title's answer: from the cache when it is fresh, otherwise fetched (one request per
 * title) and cached. Rejects when aborted, on a credentials error, or when most requests fail
 * (step.failure); what was fetched until then stays cached.
 */
export async function fetchPerTitle<V>(titles: readonly Title[], step: PerTitleStep<V>): Promise<{ found: Map<string, V>; report: PerTitleReport }> {
  const { label, log } = step;
  const oldest = step.now().getTime() - step.maxAgeDays * DAY_MS;
  const progressEvery = Math.max(1, step.progressEvery);
  await mkdir(step.dir, { recursive: true });
  await removeStaleTemps(step.dir);
  const found = new Map<string, V>();
  await eachLimited(titles, 64, async (title) => {
    const value = await readEntry(step, title, oldest);
    if (value) found.set(titleKey(title), value);
  });
  const cached = found.size;
  const missing = titles.filter((title) => !found.has(titleKey(title)));
  log(`${label}: ${titles.length} titles, ${cached} cached in ${step.dir}, ${missing.length} to fetch (one request each)`);

  const report: PerTitleReport = { cached, fetched: 0, not_found: 0, failed: 0 };
  const unanswered: string[] = [];
  let lastError = "";
  const stop = new AbortController();
  const signal = step.signal ? AbortSignal.any([step.signal, stop.signal]) : stop.signal;
  const started = performance.now();
  let next = 0;
  let settled = 0;

  const settle = () => {
    settled++;
    const failures = report.not_found + report.failed;
    if (failures >= MIN_FAILURES_TO_GIVE_UP && failures * 2 > settled) {
      throw new step.failure(
        `TMDB ${label} failed for ${failures} of the ${settled} titles asked so far (${report.not_found} not found, ${report.failed} errors; last: ${lastError}); ` +
          `stopped, and the ${report.fetched} fetched are cached for the next run`,
        label,
      );
    }
    if (settled % progressEvery === 0 && settled < missing.length) {
      const elapsed = (performance.now() - started) / 1000;
      const left = (elapsed / settled) * (missing.length - settled);
      log(`${label}: ${settled}/${missing.length} fetched (${failures} without ${label}), ${duration(elapsed)}, about ${duration(left)} left`);
    }
  };

  const worker = async () => {
    while (next < missing.length) {
      const title = missing[next++];
      signal.throwIfAborted();
      try {
        const value = await step.fetch(title, signal);
        await writeEntry(step, title, value, step.now());
        found.set(titleKey(title), value);
        report.fetched++;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        // A title TMDB no longer has, or whose answer stayed broken or unavailable through every
        // retry, keeps empty values. Anything else (credentials, a full disk) ends the step.
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
  if (failure) throw step.signal?.aborted ? step.signal.reason : failure.reason;

  const seconds = (performance.now() - started) / 1000;
  const without = report.not_found + report.failed;
  log(
    `${label}: ${report.cached} cached, ${report.fetched} fetched in ${duration(seconds)}` +
      (without > 0
        ? `; ${without} kept empty ${label === "details" ? "metadata" : label} (${report.not_found} not found, ${report.failed} failed: ${unanswered.slice(0, 10).join(", ")}${without > 10 ? ", ..." : ""}), retried next run`
        : ""),
  );
  return { found, report };
}
