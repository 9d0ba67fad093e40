// The vectors Parquet artefact: every movie and series of a catalogue embedded (through the
// vector cache, so only new texts are embedded), projected to MARQUEE_VECTOR_DIMS dimensions
// (lib/projection.ts, fitted on the movies), quantised to int8 and written beside the
// catalogue as movie-vectors.parquet and series-vectors.parquet. Everything that ranks (the
// command line, the precomputed picks, the page) reads these files, so all rank on the same vectors. The site loader reads them
// when they are fresh; `npm run data:vectors` (scripts/vectors.ts) builds them ahead of a site build.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { Catalog } from "../../lib/catalog.ts";
import { createEmbedder, type Embedder } from "./embedders.ts";
import { quantizeInt8, type Int8VectorSet, type VectorSet } from "../../lib/vectors.ts";
import { fitProjection, projectVectors } from "../../lib/projection.ts";
import { numberSetting } from "../shared/config.ts";
import { activeCatalog } from "../catalog/active.ts";
import { CATALOG_FILES, readCatalog } from "../catalog/store.ts";
import { VectorFileError, loadCatalogVectors, readVectorsParquet, writeVectorsParquet } from "./catalog-vectors.ts";

export const VECTOR_FILES = { movies: "movie-vectors.parquet", series: "series-vectors.parquet" } as const;

/**
 * Dimensions the vector files keep: 128 by default (a quarter of the bytes of the offline
 * encoder's 512, for ≤ 0.01 of recall@10 on bench/quality.ts); 0, or the embedder's own
 * dimensions or more, keeps them all.
 */
export const DEFAULT_VECTOR_DIMS = 128;

/** The dimensions the files hold for an embedder of `embedderDims` (MARQUEE_VECTOR_DIMS). */
export function vectorDims(embedderDims: number): number {
  const wanted = numberSetting("MARQUEE_VECTOR_DIMS", DEFAULT_VECTOR_DIMS);
  if (!Number.isInteger(wanted)) throw new VectorFileError(`MARQUEE_VECTOR_DIMS must be a whole number, got ${wanted}`);
  return wanted === 0 || wanted >= embedderDims ? embedderDims : wanted;
}

/** Movies and series projected to `dims` by one projection fitted on the movies (none when dims is theirs). */
export function reduceVectors(sets: { movies: VectorSet; series: VectorSet }, dims: number): { movies: VectorSet; series: VectorSet } {
  if (dims >= sets.movies.dims) return sets;
  const projection = fitProjection(sets.movies, dims);
  return { movies: projectVectors(sets.movies, projection), series: projectVectors(sets.series, projection) };
}

export interface CatalogVectorFiles {
  dir: string;
  embedderId: string;
  movies: Int8VectorSet;
  series: Int8VectorSet;
  /** Texts sent to the embedder by this call (0 when everything came from the cache or the files). */
  embedded: number;
  /** Whether this call wrote the files (false: fresh files were read). */
  built: boolean;
}

export interface BuildVectorsOptions {
  /** Catalogue directory; default: the active catalogue (TMDB, import, or the demo). */
  catalogDir?: string;
  /** Default: createEmbedder() with the configured backend. */
  embedder?: Embedder;
  /** The catalogue in catalogDir, when the caller has already read it. */
  catalog?: Catalog;
  /** Vector cache directory. Default: cacheDir()/vectors. */
  cacheDir?: string;
  log?: (line: string) => void;
}

const stderr = (line: string) => process.stderr.write(`${line}\n`);

/** Counts the texts an embedder is asked for, so a build can say how much it embedded. */
function counted(inner: Embedder): { embedder: Embedder; count: () => number } {
  let texts = 0;
  const embedder: Embedder = {
    id: inner.id,
    dims: inner.dims,
    embed: (batch) => {
      texts += batch.length;
      return inner.embed(batch);
    },
  };
  return { embedder, count: () => texts };
}

async function resolveDir(options: BuildVectorsOptions, log: (line: string) => void): Promise<string> {
  return options.catalogDir ? path.resolve(options.catalogDir) : (await activeCatalog({ log })).dir;
}

/** Embeds the catalogue (cache first) and writes both vector files, each atomically. */
export async function buildCatalogVectors(options: BuildVectorsOptions = {}): Promise<CatalogVectorFiles> {
  const log = options.log ?? stderr;
  const dir = await resolveDir(options, log);
  const catalog = options.catalog ?? (await readCatalog(dir));
  if (catalog.movies.length === 0 || catalog.series.length === 0) {
    throw new VectorFileError(
      `the catalogue in ${dir} has ${catalog.movies.length} movies and ${catalog.series.length} series; vectors need both. Rebuild the catalogue (npm run data:refresh or data:import)`,
    );
  }
  const { embedder, count } = counted(options.embedder ?? (await createEmbedder({ log })));
  const vectors = await loadCatalogVectors(catalog, { embedder, cacheDir: options.cacheDir });
  const dims = vectorDims(embedder.dims);
  const started = performance.now();
  const reduced = reduceVectors(vectors, dims);
  if (dims < embedder.dims) log(`vectors: projected ${embedder.dims} to ${dims} dimensions in ${Math.round(performance.now() - started)} ms (MARQUEE_VECTOR_DIMS)`);
  const movies = quantizeInt8(reduced.movies);
  const series = quantizeInt8(reduced.series);
  await writeVectorsParquet(movies, path.join(dir, VECTOR_FILES.movies));
  await writeVectorsParquet(series, path.join(dir, VECTOR_FILES.series));
  return { dir, embedderId: embedder.id, movies, series, embedded: count(), built: true };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * Why the vector files in `dir` cannot be used as they are, or null when they can: both
 * present, written after the catalogue's meta.json, and holding `embedderId`'s vectors, with
 * `dims` dimensions when given, for exactly the catalogue's titles in catalogue order.
 */
export async function vectorFilesStatus(
  dir: string,
  embedderId: string,
  catalog: Catalog,
  dims?: number,
): Promise<{ reason: string } | { reason: null; movies: Int8VectorSet; series: Int8VectorSet }> {
  const files = { movies: path.join(dir, VECTOR_FILES.movies), series: path.join(dir, VECTOR_FILES.series) };
  const missing = Object.values(files).filter((f) => !existsSync(f));
  if (missing.length > 0) return { reason: `${missing.map((f) => path.basename(f)).join(" and ")} missing` };
  const metaTime = statSync(path.join(dir, CATALOG_FILES.meta)).mtimeMs;
  if (Object.values(files).some((f) => statSync(f).mtimeMs < metaTime)) return { reason: "older than the catalogue" };
  let movies: Int8VectorSet;
  let series: Int8VectorSet;
  try {
    [movies, series] = await Promise.all([readVectorsParquet(files.movies), readVectorsParquet(files.series)]);
  } catch (error) {
    return { reason: `unreadable (${(error as Error).message})` };
  }
  for (const set of [movies, series]) {
    if (set.embedderId !== embedderId) return { reason: `made with ${set.embedderId}, not the configured ${embedderId}` };
    if (dims !== undefined && set.dims !== dims) return { reason: `they have ${set.dims} dimensions, MARQUEE_VECTOR_DIMS asks for ${dims}` };
  }
  if (!sameIds(movies.ids, catalog.movies.map((m) => m.id)) || !sameIds(series.ids, catalog.series.map((s) => s.id))) {
    return { reason: "their titles differ from the catalogue's" };
  }
  return { reason: null, movies, series };
}

/** The catalogue's vector files: read when fresh for the configured embedder, else (re)built first. */
export async function catalogVectorFiles(options: BuildVectorsOptions = {}): Promise<CatalogVectorFiles> {
  const log = options.log ?? stderr;
  const dir = await resolveDir(options, log);
  const catalog = options.catalog ?? (await readCatalog(dir));
  const embedder = options.embedder ?? (await createEmbedder({ log }));
  const status = await vectorFilesStatus(dir, embedder.id, catalog, vectorDims(embedder.dims));
  if (status.reason === null) {
    log(`vectors: using ${VECTOR_FILES.movies} and ${VECTOR_FILES.series} in ${dir} (${embedder.id})`);
    return { dir, embedderId: embedder.id, movies: status.movies, series: status.series, embedded: 0, built: false };
  }
  log(`vectors: building the vector files in ${dir} (${status.reason})`);
  return buildCatalogVectors({ ...options, catalogDir: dir, catalog, embedder, log });
}
