// Reads and writes a catalogue directory: movies.parquet, series.parquet, meta.json.
// Writes are atomic per file (temp file + rename) and ordered so that a failure at any
// point leaves the previous catalogue readable: every new file is complete on disk before
// the first rename, and meta.json is renamed last.
import { DuckDBConnection, DuckDBInstance, LIST, VARCHAR, dateValue, listValue } from "@duckdb/node-api";
import type { DuckDBAppender } from "@duckdb/node-api";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  MOVIE_COLUMNS,
  SERIES_COLUMNS,
  type Catalog,
  type CatalogMeta,
  type Movie,
  type Series,
} from "../../lib/catalog.ts";

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

/** SQL string literal for a file path (paths are ours, but quotes in them must not break the SQL). */
export function sqlPath(file: string): string {
  return `'${file.replaceAll("'", "''")}'`;
}

let sharedInstance: Promise<DuckDBInstance> | undefined;

/** One in-memory DuckDB per process; connections are cheap. */
export async function connectDuckDB(): Promise<DuckDBConnection> {
  sharedInstance ??= DuckDBInstance.create(":memory:");
  return (await sharedInstance).connect();
}

const STRING_LIST = LIST(VARCHAR);

function daysSinceEpoch(isoDate: string): number {
  return Math.round(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);
}

function appendRow(appender: DuckDBAppender, columns: readonly (readonly [string, string])[], row: Record<string, unknown>) {
  for (const [name, type] of columns) {
    const value = row[name];
    if (value === null || value === undefined) {
      appender.appendNull();
      continue;
    }
    switch (type) {
      case "INTEGER":
        appender.appendInteger(value as number);
        break;
      case "DOUBLE":
        appender.appendDouble(value as number);
        break;
      case "BOOLEAN":
        appender.appendBoolean(value as boolean);
        break;
      case "DATE":
        appender.appendDate(dateValue(daysSinceEpoch(value as string)));
        break;
      case "VARCHAR[]":
        appender.appendList(listValue(value as string[]), STRING_LIST);
        break;
      default:
        appender.appendVarchar(value as string);
    }
  }
  appender.endRow();
}

async function writeParquet(
  connection: DuckDBConnection,
  table: string,
  columns: readonly (readonly [string, string])[],
  rows: readonly object[],
  file: string,
): Promise<void> {
  const columnSql = columns.map(([name, type]) => `"${name}" ${type}`).join(", ");
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${table} (${columnSql})`);
  try {
    const appender = await connection.createAppender(table);
    for (const row of rows) appendRow(appender, columns, row as Record<string, unknown>);
    appender.closeSync();
    // Sorted by popularity so the most requested rows sit together in the first row groups.
    await connection.run(
      `COPY (SELECT * FROM ${table} ORDER BY popularity DESC, id) TO ${sqlPath(file)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${table}`);
  }
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
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  const targets = {
    movies: path.join(dir, CATALOG_FILES.movies),
    series: path.join(dir, CATALOG_FILES.series),
    meta: path.join(dir, CATALOG_FILES.meta),
  };
  const temps = {
    movies: targets.movies + suffix,
    series: targets.series + suffix,
    meta: targets.meta + suffix,
  };
  const meta: CatalogMeta = {
    ...catalog.meta,
    counts: { movies: catalog.movies.length, series: catalog.series.length },
  };
  const connection = await connectDuckDB();
  try {
    await writeParquet(connection, "catalog_movies", MOVIE_COLUMNS, catalog.movies, temps.movies);
    await writeParquet(connection, "catalog_series", SERIES_COLUMNS, catalog.series, temps.series);
    await writeFile(temps.meta, JSON.stringify(meta, null, 2) + "\n");
    await rename(temps.movies, targets.movies);
    await rename(temps.series, targets.series);
    await rename(temps.meta, targets.meta);
  } catch (error) {
    await Promise.all(Object.values(temps).map((file) => rm(file, { force: true })));
    throw new CatalogStoreError(`could not write the catalogue to ${dir}: ${(error as Error).message}`, { cause: error });
  } finally {
    connection.closeSync();
  }
}

function isoDate(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

function toRecord<T>(row: Record<string, unknown>, dateColumn: string): T {
  const out: Record<string, unknown> = { ...row };
  out[dateColumn] = isoDate(row[dateColumn]);
  out.genre_names = [...((row.genre_names as string[] | null) ?? [])];
  return out as T;
}

export async function readCatalogMeta(dir: string): Promise<CatalogMeta> {
  const file = path.join(dir, CATALOG_FILES.meta);
  try {
    return JSON.parse(await readFile(file, "utf8")) as CatalogMeta;
  } catch (error) {
    throw new CatalogStoreError(`could not read catalogue metadata ${file}: ${(error as Error).message}`, { cause: error });
  }
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
    const read = async (file: string) =>
      (await connection.runAndReadAll(`SELECT * FROM read_parquet(${sqlPath(path.join(dir, file))}) ORDER BY popularity DESC, id`)).getRowObjectsJS() as Record<string, unknown>[];
    const movies = (await read(CATALOG_FILES.movies)).map((row) => toRecord<Movie>(row, "release_date"));
    const series = (await read(CATALOG_FILES.series)).map((row) => toRecord<Series>(row, "first_air_date"));
    return { movies, series, meta: await readCatalogMeta(dir) };
  } finally {
    connection.closeSync();
  }
}
