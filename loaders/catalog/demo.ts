// The shipped demo catalogue: data/demo/*.json, written by the Marquee team (own-words
// overviews, illustrative figures). Every row goes through the same normalisation as TMDB
// data, and the Parquet build under the cache directory is redone only when the JSON changes.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  MOVIE_GENRES,
  TV_GENRES,
  normaliseMovie,
  normaliseSeries,
  type Catalog,
  type Movie,
  type RawTitle,
  type Series,
} from "../../lib/catalog.ts";
import { cacheDir } from "../shared/config.ts";
import { languageNames } from "../../lib/languages.ts";
import { hasCatalog, writeCatalog } from "./store.ts";

/** Where the demo JSON lives, found from this file so any working directory works. */
export const DEMO_SOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..", "data", "demo");

export const DEMO_FILES = { movies: "movies.json", series: "series.json", franchises: "franchises.json" } as const;

/** Written beside the Parquet build; a different hash means the build is stale. */
export const DEMO_HASH_FILE = "source-hash.txt";

export const DEMO_NOTICE = "Demo catalogue written by the Marquee team; popularity and vote figures are illustrative, not TMDB's.";

// Part of the hash so that a change to how rows are built also invalidates old builds.
const BUILD_VERSION = "demo-catalog v1";

export interface DemoFranchise {
  series_id: number;
  movie_ids: number[];
  franchise: string;
}

export interface DemoOptions {
  /** Directory holding movies.json, series.json and franchises.json; default DEMO_SOURCE_DIR. */
  sourceDir?: string;
}

export interface EnsureDemoOptions extends DemoOptions {
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

export class DemoCatalogError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DemoCatalogError";
  }
}

type Kind = "movies" | "series";

const GENRE_NAMES: Record<Kind, ReadonlySet<string>> = {
  movies: new Set(MOVIE_GENRES.map((g) => g.name)),
  series: new Set(TV_GENRES.map((g) => g.name)),
};

async function readJsonArray(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DemoCatalogError(`cannot read the demo file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new DemoCatalogError(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(data)) throw new DemoCatalogError(`${file} must hold a JSON array of rows`);
  return data;
}

function genreList(value: unknown, kind: Kind): string[] {
  if (!Array.isArray(value) || !value.every((g) => typeof g === "string")) {
    throw new Error("genre_names must be an array of strings");
  }
  const unknown = value.filter((g) => !GENRE_NAMES[kind].has(g));
  if (unknown.length > 0) {
    const list = kind === "movies" ? "MOVIE_GENRES" : "TV_GENRES";
    throw new Error(`unknown genre ${unknown.map((g) => `"${g}"`).join(", ")} (use the names in lib/catalog.ts ${list})`);
  }
  return value;
}

function rawTitle(row: unknown, kind: Kind): RawTitle {
  if (row === null || typeof row !== "object" || Array.isArray(row)) throw new Error("row must be a JSON object");
  const r = row as Record<string, unknown>;
  if ("age_appropriate" in r) throw new Error("age_appropriate is derived from adult; remove it");
  return {
    id: r.id,
    title: kind === "movies" ? r.title : r.name,
    overview: r.overview,
    date: kind === "movies" ? r.release_date : r.first_air_date,
    popularity: r.popularity,
    vote_average: r.vote_average,
    vote_count: r.vote_count,
    genre_names: genreList(r.genre_names, kind),
    language: r.language,
    adult: r.adult,
    poster_path: r.poster_path,
    backdrop_path: r.backdrop_path,
  };
}

function normaliseRows<T extends Movie | Series>(rows: unknown[], kind: Kind, file: string): T[] {
  const normalise = (kind === "movies" ? normaliseMovie : normaliseSeries) as (raw: RawTitle) => T;
  const seen = new Map<number, number>();
  return rows.map((row, index) => {
    let record: T;
    try {
      record = normalise(rawTitle(row, kind));
    } catch (error) {
      throw new DemoCatalogError(`${file} row ${index}: ${(error as Error).message}`, { cause: error });
    }
    const earlier = seen.get(record.id);
    if (earlier !== undefined) throw new DemoCatalogError(`${file} row ${index}: id ${record.id} already used by row ${earlier}`);
    seen.set(record.id, index);
    return record;
  });
}

/** Reads and validates the demo JSON into a catalogue. A bad row throws naming its file and index. */
export async function loadDemoCatalog(options: DemoOptions = {}): Promise<Catalog> {
  const sourceDir = options.sourceDir ?? DEMO_SOURCE_DIR;
  const moviesFile = path.join(sourceDir, DEMO_FILES.movies);
  const seriesFile = path.join(sourceDir, DEMO_FILES.series);
  const movies = normaliseRows<Movie>(await readJsonArray(moviesFile), "movies", moviesFile);
  const series = normaliseRows<Series>(await readJsonArray(seriesFile), "series", seriesFile);
  const mtimes = await Promise.all([moviesFile, seriesFile].map(async (file) => (await stat(file)).mtimeMs));
  return {
    movies,
    series,
    meta: {
      source: "demo",
      fetched_at: new Date(Math.max(...mtimes)).toISOString(),
      counts: { movies: movies.length, series: series.length },
      dropped: {},
      notes: [DEMO_NOTICE],
      language_names: languageNames(new Set([...movies, ...series].map((t) => t.language))),
    },
  };
}

function positiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

/** Reads the series-to-film pairs in franchises.json (the demo's recommendation evaluation set). */
export async function loadDemoFranchises(options: DemoOptions = {}): Promise<DemoFranchise[]> {
  const file = path.join(options.sourceDir ?? DEMO_SOURCE_DIR, DEMO_FILES.franchises);
  return (await readJsonArray(file)).map((row, index) => {
    const r = (row ?? {}) as Record<string, unknown>;
    const ok =
      positiveInteger(r.series_id) &&
      Array.isArray(r.movie_ids) &&
      r.movie_ids.length > 0 &&
      r.movie_ids.every(positiveInteger) &&
      typeof r.franchise === "string" &&
      r.franchise.trim() !== "";
    if (!ok) {
      throw new DemoCatalogError(`${file} row ${index}: expected { series_id: n, movie_ids: [n, ...], franchise: "name" }`);
    }
    return { series_id: r.series_id as number, movie_ids: [...(r.movie_ids as number[])], franchise: (r.franchise as string).trim() };
  });
}

/** Hash of the JSON the catalogue is built from (franchises.json is not part of the catalogue). */
export async function demoSourceHash(options: DemoOptions = {}): Promise<string> {
  const sourceDir = options.sourceDir ?? DEMO_SOURCE_DIR;
  const hash = createHash("sha256").update(BUILD_VERSION);
  for (const name of [DEMO_FILES.movies, DEMO_FILES.series]) {
    const file = path.join(sourceDir, name);
    try {
      hash.update(`\0${name}\0`).update(await readFile(file));
    } catch (error) {
      throw new DemoCatalogError(`cannot read the demo file ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  return hash.digest("hex");
}

async function storedHash(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(dir, DEMO_HASH_FILE), "utf8")).trim();
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `dir` holds the Parquet build of the demo catalogue and returns `dir`. Rebuilds
 * when the catalogue is missing or was built from different JSON; otherwise touches nothing.
 */
export async function ensureDemoCatalog(
  dir: string = path.join(cacheDir(), "demo-catalog"),
  options: EnsureDemoOptions = {},
): Promise<string> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const hash = await demoSourceHash(options);
  if (hasCatalog(dir) && (await storedHash(dir)) === hash) return dir;

  const catalog = await loadDemoCatalog(options);
  log(`demo catalogue: building ${catalog.movies.length} movies and ${catalog.series.length} series into ${dir}`);
  await writeCatalog(dir, catalog);
  // The hash goes last: a build interrupted before this line is redone next time.
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `${DEMO_HASH_FILE}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temp, hash + "\n");
  await rename(temp, path.join(dir, DEMO_HASH_FILE));
  return dir;
}
