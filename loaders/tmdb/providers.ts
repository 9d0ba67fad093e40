// The refresh's watch-providers step: one `/movie/{id}/watch/providers` request per movie kept
// (TMDB's copy of JustWatch's data: flatrate, rent and buy per region), for the regions in
// TMDB_WATCH_REGIONS, stored in the catalogue's `providers` column (lib/providers.ts).
//
// Cached per movie under <cacheDir()>/tmdb-providers/ like the details (./per-title.ts: atomic,
// resumable, failures retried next run), but for 30 days by default: what streams where changes
// monthly, and TMDB's terms allow no cache older than six months. A movie without an answer
// keeps no providers; only when most requests fail does the step, and so the refresh, fail.
import path from "node:path";
import type { CatalogMeta, Movie } from "../../lib/catalog.ts";
import { normaliseWatchProviders, parseRegions, watchProvidersText, type WatchProviders } from "../../lib/providers.ts";
import { cacheDir, setting } from "../shared/config.ts";
import { TmdbError } from "./client.ts";
import { fetchPerTitle, titleKey, type PerTitleOptions } from "./per-title.ts";
import { parseWatchProvidersResponse } from "./types.ts";

export const DEFAULT_WATCH_REGIONS = ["US", "GB", "DE", "FR"] as const;
export const DEFAULT_PROVIDERS_MAX_AGE_DAYS = 30;
/** Cache entries of another version are fetched again. */
const CACHE_VERSION = 1;

export type ProvidersReport = NonNullable<CatalogMeta["providers"]>;

/** cacheDir defaults to <cacheDir()>/tmdb-providers, maxAgeDays to 30. */
export interface ProvidersOptions extends PerTitleOptions {
  /** Regions to keep; default TMDB_WATCH_REGIONS or US,GB,DE,FR. */
  regions?: readonly string[];
}

/** Most provider requests failed: TMDB is down or refusing, not missing the odd title. */
export class TmdbProvidersError extends TmdbError {}

export function defaultProvidersCacheDir(): string {
  return path.join(cacheDir(), "tmdb-providers");
}

/** The regions to fetch: TMDB_WATCH_REGIONS ("US,GB"), "none" (or empty) for none, else the default. */
export function watchRegions(): string[] {
  const raw = setting("TMDB_WATCH_REGIONS");
  if (raw === undefined) return [...DEFAULT_WATCH_REGIONS];
  if (raw.trim() === "" || raw.trim().toLowerCase() === "none") return [];
  return parseRegions(raw);
}

/** The movies with their `providers` column filled (null for none), and what the step did. */
export async function addWatchProviders(movies: readonly Movie[], options: ProvidersOptions): Promise<{ movies: Movie[]; report: ProvidersReport }> {
  const { client } = options;
  const regions = [...(options.regions ?? watchRegions())].sort();
  const { found, report } = await fetchPerTitle<WatchProviders>(
    movies.map((m) => ({ kind: "movie" as const, id: m.id })),
    {
      label: "providers",
      dir: path.resolve(options.cacheDir ?? defaultProvidersCacheDir()),
      version: CACHE_VERSION,
      variant: { field: "regions", value: regions.join(",") },
      valueField: "providers",
      maxAgeDays: options.maxAgeDays ?? DEFAULT_PROVIDERS_MAX_AGE_DAYS,
      progressEvery: options.progressEvery ?? 500,
      fetch: async (title, signal) =>
        normaliseWatchProviders(await client.get(`/movie/${title.id}/watch/providers`, {}, (body) => parseWatchProvidersResponse(body, title.id, regions), signal)),
      revive: (raw) => normaliseWatchProviders(raw),
      log: options.log,
      signal: options.signal,
      now: options.now ?? (() => new Date()),
      failure: TmdbProvidersError,
    },
  );
  let withProviders = 0;
  const out = movies.map((movie) => {
    const providers = found.get(titleKey({ kind: "movie", id: movie.id }));
    const text = providers ? watchProvidersText(providers) : null;
    if (text) withProviders++;
    return { ...movie, providers: text };
  });
  return { movies: out, report: { regions, ...report, with_providers: withProviders } };
}
