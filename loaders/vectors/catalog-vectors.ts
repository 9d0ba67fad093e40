// Catalogue vectors: embeds every movie and series (through the vector cache) and writes
// or reads the int8 vector Parquet files the site ships.
import type { Catalog } from "../../lib/catalog.ts";
import { createEmbedder, type Embedder } from "./embedders.ts";
import { embeddingText, quantizeInt8, type Int8VectorSet, type VectorSet } from "../../lib/vectors.ts";
import { connectDuckDB, quotedString } from "../shared/duckdb.ts";
import { writeParquetAtomic } from "../shared/parquet.ts";
import { embedWithCache } from "./cache.ts";

export interface CatalogVectors {
  movies: VectorSet;
  series: VectorSet;
  embedderId: string;
}

export interface CatalogVectorOptions {
  /** Default: createEmbedder() with the configured backend. */
  embedder?: Embedder;
  /** Vector cache directory. Default: cacheDir()/vectors. */
  cacheDir?: string;
}

export class VectorFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "VectorFileError";
  }
}

function packRows(embedder: Embedder, ids: number[], vectors: Float32Array[]): VectorSet {
  const data = new Float32Array(ids.length * embedder.dims);
  vectors.forEach((v, r) => data.set(v, r * embedder.dims));
  return { embedderId: embedder.id, dims: embedder.dims, ids, data };
}

/**
 * Vectors for every movie and series, rows in catalogue order. Movies and series are embedded
 * from the same kind of text (`embeddingText`) by the same embedder, so they can be compared.
 */
export async function loadCatalogVectors(catalog: Catalog, options: CatalogVectorOptions = {}): Promise<CatalogVectors> {
  const embedder = options.embedder ?? (await createEmbedder());
  const movieTexts = catalog.movies.map((m) => embeddingText(m.title, m.overview));
  const seriesTexts = catalog.series.map((s) => embeddingText(s.name, s.overview));
  // One call, so progress and checkpoints cover the whole run.
  const vectors = await embedWithCache(embedder, [...movieTexts, ...seriesTexts], { dir: options.cacheDir });
  return {
    movies: packRows(embedder, catalog.movies.map((m) => m.id), vectors.slice(0, movieTexts.length)),
    series: packRows(embedder, catalog.series.map((s) => s.id), vectors.slice(movieTexts.length)),
    embedderId: embedder.id,
  };
}

function isInt8(set: VectorSet | Int8VectorSet): set is Int8VectorSet {
  return set.data instanceof Int8Array;
}

/** The columns of a vector file, in file order; value ≈ vector[i] * scale. */
export const VECTOR_FILE_COLUMNS = [
  ["id", "INTEGER"],
  ["embedder_id", "VARCHAR"],
  ["scale", "FLOAT"],
  ["vector", "TINYINT[]"],
] as const;

/**
 * Writes vectors as Parquet, one row per id (VECTOR_FILE_COLUMNS). Float sets are quantised
 * first. Rows keep the set's order. Atomic: the file is written beside the target and renamed.
 */
export async function writeVectorsParquet(set: VectorSet | Int8VectorSet, file: string): Promise<void> {
  if (set.ids.length === 0) throw new VectorFileError(`refusing to write ${file}: the vector set is empty`);
  const q = isInt8(set) ? set : quantizeInt8(set);
  try {
    await writeParquetAtomic(file, {
      columns: VECTOR_FILE_COLUMNS,
      rowCount: q.ids.length,
      value: (row, column) => {
        switch (column) {
          case "id":
            return q.ids[row];
          case "embedder_id":
            return q.embedderId;
          case "scale":
            return q.scales[row];
          case "vector":
            return Array.from(q.data.subarray(row * q.dims, (row + 1) * q.dims));
        }
      },
    });
  } catch (error) {
    throw new VectorFileError((error as Error).message, { cause: error });
  }
}

/** Reads a file written by writeVectorsParquet, rows in file order. */
export async function readVectorsParquet(file: string): Promise<Int8VectorSet> {
  const connection = await connectDuckDB();
  try {
    const result = await connection.runAndReadAll(
      `SELECT id, embedder_id, scale, vector FROM read_parquet(${quotedString(file)})`,
    );
    const [ids, embedderIds, scales, vectors] = result.getColumnsJS() as [number[], string[], number[], number[][]];
    if (ids.length === 0) throw new Error("no rows");
    const embedderId = embedderIds[0];
    const dims = vectors[0].length;
    const data = new Int8Array(ids.length * dims);
    for (let r = 0; r < ids.length; r++) {
      if (embedderIds[r] !== embedderId) throw new Error(`mixes embedders ${embedderId} and ${embedderIds[r]}`);
      if (vectors[r].length !== dims) throw new Error(`row ${r} has ${vectors[r].length} values, expected ${dims}`);
      data.set(vectors[r], r * dims);
    }
    return { embedderId, dims, ids, data, scales: Float32Array.from(scales) };
  } catch (error) {
    throw new VectorFileError(`could not read vectors from ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    connection.closeSync();
  }
}
