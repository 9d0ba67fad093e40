// Which catalogue the site and the command line use: the one in catalogDir() when there is
// one, refreshed from TMDB first when credentials are set and it is missing or stale; the
// demo catalogue when there is nothing else. A failed refresh never costs the last good one.
// An imported catalogue is never refreshed automatically: only `npm run data:refresh` replaces it.
// MARQUEE_AUTO_REFRESH=0 turns the automatic refresh off, for jobs (scripts/rebuild.sh) that run
// `npm run data:refresh` themselves and must not try a refresh that just failed a second time.
import type { CatalogMeta } from "../../lib/catalog.ts";
import { booleanSetting, catalogDir, numberSetting } from "../shared/config.ts";
import { hasCatalog, readCatalogMeta } from "./store.ts";
import { ensureDemoCatalog } from "./demo.ts";
import { runExclusive } from "../shared/refresh-lock.ts";
import { hasTmdbCredentials } from "../tmdb/client.ts";
import { refreshFromTmdb, type RefreshOptions } from "../tmdb/refresh.ts";

export interface ActiveCatalog {
  dir: string;
  meta: CatalogMeta;
}

export interface ActiveCatalogOptions {
  /** Where the one-line choice (and refresh progress) goes; default stderr. */
  log?: (line: string) => void;
  /**
   * Never refresh: query commands (`npm run recommend`) only read the catalogue there is;
   * refreshing is the job of builds and `npm run data:refresh`.
   */
  readOnly?: boolean;
  /** Passed on to refreshFromTmdb when a refresh is due (the directory is always catalogDir()). */
  refresh?: Omit<RefreshOptions, "outDir" | "log">;
}

const DAY_MS = 86_400_000;

/** Whole days since `fetched_at`; Infinity when it is missing or unreadable. */
export function catalogAgeDays(meta: CatalogMeta, now = Date.now()): number {
  const fetched = Date.parse(meta.fetched_at);
  return Number.isFinite(fetched) ? Math.max(0, Math.floor((now - fetched) / DAY_MS)) : Infinity;
}

async function existingCatalog(dir: string, log: (line: string) => void): Promise<ActiveCatalog | undefined> {
  if (!hasCatalog(dir)) return undefined;
  try {
    return { dir, meta: await readCatalogMeta(dir) };
  } catch (error) {
    log(`catalogue: warning: ignoring the catalogue in ${dir}: ${(error as Error).message}`);
    return undefined;
  }
}

function age(meta: CatalogMeta): string {
  const days = catalogAgeDays(meta);
  return Number.isFinite(days) ? `${days} day${days === 1 ? "" : "s"} old` : "of unknown age";
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** The catalogue to use, refreshing it first when due. Logs one line saying which and why. */
export async function activeCatalog(options: ActiveCatalogOptions = {}): Promise<ActiveCatalog> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const dir = catalogDir();
  const credentials = hasTmdbCredentials();
  const autoRefresh = options.readOnly ? false : booleanSetting("MARQUEE_AUTO_REFRESH", true);
  const noRefreshWhy = options.readOnly ? "this command only reads; npm run data:refresh refreshes it" : "MARQUEE_AUTO_REFRESH=0, so no refresh here";
  const maxAgeDays = numberSetting("MARQUEE_REFRESH_DAYS", 30);
  const current = await existingCatalog(dir, log);

  if (current && !credentials) {
    log(`catalogue: using the ${current.meta.source} catalogue in ${dir} (${age(current.meta)}; no TMDB credentials to refresh it)`);
    return current;
  }
  if (current && !autoRefresh) {
    log(`catalogue: using the ${current.meta.source} catalogue in ${dir} (${age(current.meta)}; ${noRefreshWhy})`);
    return current;
  }
  if (current?.meta.source === "import") {
    // An imported catalogue is the user's deliberate choice: a build never replaces it with TMDB data.
    log(
      `catalogue: using the import catalogue in ${dir} (${age(current.meta)}; imported catalogues are never refreshed ` +
        "automatically: run npm run data:refresh to replace it with TMDB data)",
    );
    return current;
  }
  if (current && catalogAgeDays(current.meta) <= maxAgeDays) {
    log(`catalogue: using the ${current.meta.source} catalogue in ${dir} (${age(current.meta)}, refresh after ${maxAgeDays} days)`);
    return current;
  }

  if (credentials && autoRefresh) {
    const why = current ? `the catalogue is ${age(current.meta)} (MARQUEE_REFRESH_DAYS=${maxAgeDays})` : `no catalogue in ${dir}`;
    log(`catalogue: refreshing from TMDB: ${why}`);
    try {
      const outcome = await runExclusive(dir, () => refreshFromTmdb({ ...options.refresh, outDir: dir, log }));
      if (outcome.ran) {
        log(`catalogue: using the TMDB catalogue just refreshed in ${dir}`);
        return outcome.value;
      }
      const refreshed = await existingCatalog(dir, log);
      if (refreshed && refreshed.meta.fetched_at !== current?.meta.fetched_at) {
        log(`catalogue: using the ${refreshed.meta.source} catalogue in ${dir}, refreshed by another process (${age(refreshed.meta)})`);
        return refreshed;
      }
      throw new Error("a refresh by another process did not produce a new catalogue");
    } catch (error) {
      if (current) {
        log(`catalogue: warning: TMDB refresh failed (${oneLine(error)}); keeping the last good catalogue in ${dir} (${age(current.meta)})`);
        return current;
      }
      log(`catalogue: warning: TMDB refresh failed (${oneLine(error)}); falling back to the demo catalogue`);
    }
  }

  const demoDir = await ensureDemoCatalog(undefined, { log });
  const meta = await readCatalogMeta(demoDir);
  const why = !credentials
    ? `no catalogue in ${dir} and no TMDB credentials; set TMDB_API_KEY or TMDB_READ_TOKEN, or run npm run data:import`
    : autoRefresh
      ? "the TMDB refresh failed and there is no earlier catalogue"
      : options.readOnly
        ? `no catalogue in ${dir}, and this command only reads: run npm run data:refresh first`
        : `no catalogue in ${dir}, and MARQUEE_AUTO_REFRESH=0 leaves refreshing to npm run data:refresh`;
  log(`catalogue: using the demo catalogue in ${demoDir} (${why})`);
  return { dir: demoDir, meta };
}
