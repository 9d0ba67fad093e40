// Gathers what the site ships from one snapshot: the active catalogue, its vectors and the
// precomputed picks, serialised by loaders/site/arrow.ts into one archive (src/data/site.tar.ts).
// Vectors come from the catalogue's vector files (loaders/vectors/files.ts), built first
// when they are missing, older than the catalogue or made with another embedder.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { Catalog } from "../../lib/catalog.ts";
import { SITE_FILES } from "../../lib/site-schema.ts";
import { cacheDir, numberSetting } from "../shared/config.ts";
import type { Embedder } from "../vectors/embedders.ts";
import { createLlmClient } from "../llm/client.ts";
import { quantizeInt8, type Int8VectorSet } from "../../lib/vectors.ts";
import { activeCatalog } from "../catalog/active.ts";
import { catalogVectorFiles } from "../vectors/files.ts";
import { CATALOG_FILES, readCatalog } from "../catalog/store.ts";
import { openEngine, type EngineVectors } from "../engine.ts";
import { PICKS_FILE, engineShortlister, precomputePicks, precomputePlan, readPicksParquet } from "../picks/precompute.ts";
import {
  limitVectors,
  movieTextsToArrow,
  moviesToArrow,
  picksToArrow,
  seriesToArrow,
  summarisePicks,
  tarArchive,
  vectorsToArrow,
  type PickRow,
  type SiteMeta,
} from "./arrow.ts";
import type { CatalogVectors } from "../vectors/catalog-vectors.ts";
import { buildRankingFiles } from "./ranking-files.ts";

export type Log = (line: string) => void;

const stderr: Log = (line) => process.stderr.write(`${line}\n`);

export interface SiteCatalog {
  dir: string;
  catalog: Catalog;
}

/** The catalogue the site shows: the TMDB or imported one when present, else the demo. */
export async function siteCatalog(log: Log = stderr): Promise<SiteCatalog> {
  const { dir } = await activeCatalog({ log });
  return { dir, catalog: await readCatalog(dir) };
}

/** Computes (or reads) the precomputed picks for the catalogue. */
export type PicksSource = (source: SiteCatalog, vectors: EngineVectors, log: Log) => Promise<PickRow[]>;

/**
 * Picks for the LLM_PRECOMPUTE_LIMIT most popular series under the default filters. A picks
 * file written beside the catalogue after it (by `npm run data:picks`) is used
 * as is; otherwise they are computed here, with the configured LLM or the fallback ranker.
 * LLM answers are cached under the cache directory, so a rebuild repeats no call.
 */
export const precomputedPicks: PicksSource = async ({ dir }, vectors, log) => {
  const file = path.join(dir, PICKS_FILE);
  const meta = path.join(dir, CATALOG_FILES.meta);
  if (existsSync(file) && existsSync(meta) && statSync(file).mtimeMs >= statSync(meta).mtimeMs) {
    log(`site: using the picks in ${file}`);
    return readPicksParquet(file);
  }
  const engine = await openEngine({ catalogDir: dir, vectors, log });
  try {
    // The most popular series always, then the rest of the catalogue as today's LLM allowance lasts.
    const plan = precomputePlan(engine);
    const client = createLlmClient({ log });
    const { rows, stats } = await precomputePicks({ ...plan, shortlistFor: engineShortlister(engine), client, cacheDir: cacheDir(), log });
    log(`site: picks for ${stats.series} series (${stats.llm} by the LLM, ${stats.fallback} by the fallback ranker)`);
    return rows;
  } finally {
    engine.close();
  }
};

export interface SiteArchiveOptions {
  source?: SiteCatalog;
  /** Float vectors to ship instead of the catalogue's vector files (tests). */
  vectors?: (catalog: Catalog) => Promise<CatalogVectors>;
  /** Embedder for the vector files; default: createEmbedder() with the configured backend. */
  embedder?: Embedder;
  picks?: PicksSource;
  /** Movies whose vectors ship (most popular first); the rest can be filtered but not ranked. */
  vectorLimit?: number;
  log?: Log;
  now?: Date;
}

/** The int8 vectors the site ships; the picks are ranked on the same ones, as the page ranks. */
async function siteVectors({ dir, catalog }: SiteCatalog, options: SiteArchiveOptions, log: Log): Promise<EngineVectors & { movies: Int8VectorSet; series: Int8VectorSet }> {
  if (options.vectors) {
    const float = await options.vectors(catalog);
    return { embedderId: float.embedderId, movies: quantizeInt8(float.movies), series: quantizeInt8(float.series) };
  }
  const files = await catalogVectorFiles({ catalogDir: dir, catalog, embedder: options.embedder, log });
  return { embedderId: files.embedderId, movies: files.movies, series: files.series };
}

/**
 * The archive members: movies.arrow, movie-texts.arrow, series.arrow, vectors.arrow, picks.arrow,
 * meta.json, and the ranking files (ranking-index.json, series-signals.bin, series-signals-deep.bin, movie-records.bin and .json, series-picks.bin).
 */
export async function buildSiteArchive(options: SiteArchiveOptions = {}): Promise<Uint8Array> {
  const log = options.log ?? stderr;
  const source = options.source ?? (await siteCatalog(log));
  const { catalog } = source;
  log(`site: ${catalog.movies.length} movies, ${catalog.series.length} series (${catalog.meta.source})`);
  const vectors = await siteVectors(source, options, log);
  const { movies, series: seriesVectors } = vectors;
  const limit = options.vectorLimit ?? numberSetting("MARQUEE_SITE_VECTOR_LIMIT", 20_000);
  const movieVectors = limitVectors(movies, limit);
  if (movieVectors.ids.length < catalog.movies.length) {
    log(`site: shipping vectors for the ${movieVectors.ids.length} most popular of ${catalog.movies.length} movies (MARQUEE_SITE_VECTOR_LIMIT)`);
  }
  const picks = await (options.picks ?? precomputedPicks)(source, vectors, log);
  const ranking = buildRankingFiles(catalog, { movies: movieVectors, series: seriesVectors }, { log, picks });
  const meta: SiteMeta = {
    catalog: catalog.meta,
    embedder: { id: vectors.embedderId, dims: vectors.movies.dims },
    vectors: { movies: movieVectors.ids.length, series: seriesVectors.ids.length },
    picks: summarisePicks(picks),
    built_at: (options.now ?? new Date()).toISOString(),
  };
  return tarArchive([
    { name: SITE_FILES.movies, bytes: moviesToArrow(catalog.movies) },
    { name: SITE_FILES.movieTexts, bytes: movieTextsToArrow(catalog.movies) },
    { name: SITE_FILES.series, bytes: seriesToArrow(catalog.series) },
    { name: SITE_FILES.vectors, bytes: vectorsToArrow({ movies: movieVectors, series: seriesVectors }) },
    { name: SITE_FILES.picks, bytes: picksToArrow(picks, catalog) },
    { name: SITE_FILES.meta, bytes: JSON.stringify(meta, null, 2) + "\n" },
    { name: SITE_FILES.rankingIndex, bytes: JSON.stringify(ranking.index) },
    { name: SITE_FILES.signals, bytes: ranking.signals },
    { name: SITE_FILES.deepSignals, bytes: ranking.deepSignals },
    { name: SITE_FILES.records, bytes: ranking.records },
    { name: SITE_FILES.recordIndex, bytes: JSON.stringify(ranking.recordIndex) },
    { name: SITE_FILES.seriesPicks, bytes: ranking.picks },
  ]);
}
