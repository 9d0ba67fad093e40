// Reads and writes a catalogue directory: movies.parquet, series.parquet, meta.json.
// Writes are atomic per file (temp file + rename) and ordered so that a failure at any
// point leaves the previous catalogue readable: every new file is complete on disk before
// the first rename, and meta.json is renamed last.
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  MOVIE_COLUMNS,
  MOVIE_METADATA_COLUMNS,
  MOVIE_PROVIDER_COLUMNS,
  SERIES_COLUMNS,
  SERIES_METADATA_COLUMNS,
  type Catalog,
  type CatalogMeta,
  type Movie,
  type Series,
} from "../../lib/catalog.ts";
import type { DuckDBConnection } from "@duckdb/node-api";
import { connectDuckDB, quotedString } from "../shared/duckdb.ts";
import { removeStaleTempFiles, stageParquet, tempFileBeside, type ParquetColumn, type ParquetTable, type StagedParquet } from "../shared/parquet.ts";

// Many tests and the engine reach DuckDB through the catalogue store.
export { connectDuckDB, sqlPath } from "../shared/duckdb.ts";

export const CATALOG_FILES = { movies: "movies.parquet", series: "series.parquet", meta: "meta.json" } as const;

export class CatalogStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CatalogStoreError";
  }
}

export function hasCatalog(dir: string): boolean {
  return Object.values(CATALOG_FILES).every((file) => existsSync(path.join(dir, file)));
}

/**
 * A catalogue Parquet table: the rows as they are, ISO dates as Dates, sorted by popularity so
 * the most requested rows sit together in the first row groups. A list a row lacks (metadata
 * of a hand-built record) is written as an empty list, so readers never meet a NULL list.
 */
function catalogTable(columns: readonly ParquetColumn[], rows: readonly (Movie | Series)[]): ParquetTable {
  return {
    columns,
    rowCount: rows.length,
    value: (row, column, sqlType) => {
      const value = (rows[row] as unknown as Record<string, Movie[keyof Movie]>)[column];
      if (sqlType === "DATE" && typeof value === "string") return new Date(`${value}T00:00:00Z`);
      if (sqlType === "VARCHAR[]" && (value === undefined || value === null)) return [];
      return value;
    },
    orderBy: "popularity DESC, id",
  };
}

function assertUniqueIds(kind: string, rows: readonly { id: number }[]) {
  const seen = new Set<number>();
  for (const { id } of rows) {
    if (seen.has(id)) throw new CatalogStoreError(`refusing to write ${kind}: id ${id} appears twice`);
    seen.add(id);
  }
}

/**
 * Writes a catalogue into `dir` atomically. An error before the renames leaves the old
 * catalogue untouched; temp files are removed.
 */
export async function writeCatalog(dir: string, catalog: Catalog): Promise<void> {
  if (catalog.movies.length === 0) throw new CatalogStoreError("refusing to write a catalogue with no movies");
  if (catalog.series.length === 0) throw new CatalogStoreError("refusing to write a catalogue with no series");
  assertUniqueIds("movies", catalog.movies);
  assertUniqueIds("series", catalog.series);
  await mkdir(dir, { recursive: true });
  const meta: CatalogMeta = {
    ...catalog.meta,
    counts: { movies: catalog.movies.length, series: catalog.series.length },
  };
  const metaFile = path.join(dir, CATALOG_FILES.meta);
  await removeStaleTempFiles(metaFile);
  const metaTemp = tempFileBeside(metaFile);
  const staged: StagedParquet[] = [];
  try {
    staged.push(await stageParquet(path.join(dir, CATALOG_FILES.movies), catalogTable(MOVIE_COLUMNS, catalog.movies)));
    staged.push(await stageParquet(path.join(dir, CATALOG_FILES.series), catalogTable(SERIES_COLUMNS, catalog.series)));
    await writeFile(metaTemp, JSON.stringify(meta, null, 2) + "\n");
    for (const file of staged) await file.commit();
    await rename(metaTemp, metaFile);
  } catch (error) {
    await Promise.all([...staged.map((file) => file.discard()), rm(metaTemp, { force: true })]);
    throw new CatalogStoreError(`could not write the catalogue to ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

function isoDate(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

/**
 * A record from a row: ISO dates, plain arrays for lists, and the metadata columns a file
 * written before they existed lacks filled in empty.
 */
function toRecord<T>(row: Record<string, unknown>, dateColumn: string, metadata: readonly (readonly [string, string])[]): T {
  const out: Record<string, unknown> = { ...row };
  out[dateColumn] = isoDate(row[dateColumn]);
  out.genre_names = [...((row.genre_names as string[] | null) ?? [])];
  for (const [name, type] of metadata) {
    out[name] = type === "VARCHAR[]" ? [...((row[name] as string[] | null | undefined) ?? [])] : ((row[name] as string | null | undefined) ?? null);
  }
  return out as T;
}

/** A movie without watch providers reads without the field, as it was written (providers are optional, unlike the metadata). */
function withoutEmptyProviders(movie: Movie): Movie {
  const out = movie as Movie & Record<string, unknown>;
  for (const [name] of MOVIE_PROVIDER_COLUMNS) if (out[name] === null || out[name] === undefined) delete out[name];
  return out;
}

export async function readCatalogMeta(dir: string): Promise<CatalogMeta> {
  const file = path.join(dir, CATALOG_FILES.meta);
  try {
    return JSON.parse(await readFile(file, "utf8")) as CatalogMeta;
  } catch (error) {
    throw new CatalogStoreError(`could not read catalogue metadata ${file}: ${(error as Error).message}`, { cause: error });
  }
}

const OPTIONAL_COLUMNS = {
  movies: new Set<string>([...MOVIE_METADATA_COLUMNS, ...MOVIE_PROVIDER_COLUMNS].map(([name]) => name)),
  series: new Set<string>(SERIES_METADATA_COLUMNS.map(([name]) => name)),
};

/**
 * Refuses a catalogue file whose columns are not the ones this kind of file has, naming what
 * is missing (say series.parquet copied over movies.parquet), instead of failing further on.
 * Only the core columns are required: catalogues written before the metadata columns existed
 * read with empty metadata.
 */
async function checkColumns(connection: DuckDBConnection, file: string, expected: readonly (readonly [string, string])[], kind: "movies" | "series"): Promise<void> {
  const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quotedString(file)})`)).getRowObjectsJS();
  const have = new Map(described.map((row) => [String(row.column_name), String(row.column_type)]));
  const missing = expected.filter(([name]) => !have.has(name) && !OPTIONAL_COLUMNS[kind].has(name)).map(([name]) => name);
  if (missing.length === 0) return;
  const otherKind = kind === "movies" ? "series" : "movies";
  const other = kind === "movies" ? SERIES_COLUMNS : MOVIE_COLUMNS;
  const looksLikeOther = other.every(([name]) => have.has(name) || OPTIONAL_COLUMNS[otherKind].has(name));
  throw new CatalogStoreError(
    `${file} lacks the ${kind} columns ${missing.join(", ")}${looksLikeOther ? ` (it has the ${kind === "movies" ? "series" : "movies"} columns: was the other file copied over it?)` : ""}; rebuild the catalogue with npm run data:refresh or npm run data:import`,
  );
}

/** Reads a whole catalogue back into memory (rows ordered by popularity, highest first). */
export async function readCatalog(dir: string): Promise<Catalog> {
  if (!hasCatalog(dir)) {
    throw new CatalogStoreError(
      `no catalogue in ${dir} (expected ${Object.values(CATALOG_FILES).join(", ")}); run npm run data:refresh or npm run data:import`,
    );
  }
  const connection = await connectDuckDB();
  try {
    await checkColumns(connection, path.join(dir, CATALOG_FILES.movies), MOVIE_COLUMNS, "movies");
    await checkColumns(connection, path.join(dir, CATALOG_FILES.series), SERIES_COLUMNS, "series");
    const read = async (file: string) =>
      (await connection.runAndReadAll(`SELECT * FROM read_parquet(${quotedString(path.join(dir, file))}) ORDER BY popularity DESC, id`)).getRowObjectsJS() as Record<string, unknown>[];
    const movies = (await read(CATALOG_FILES.movies)).map((row) => withoutEmptyProviders(toRecord<Movie>(row, "release_date", MOVIE_METADATA_COLUMNS)));
    const series = (await read(CATALOG_FILES.series)).map((row) => toRecord<Series>(row, "first_air_date", SERIES_METADATA_COLUMNS));
    return { movies, series, meta: await readCatalogMeta(dir) };
  } finally {
    connection.closeSync();
  }
}
