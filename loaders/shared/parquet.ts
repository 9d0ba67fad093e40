// Atomic Parquet writes, the one way the loaders write the catalogue, its vectors and the
// picks. Rows go into a DuckDB temp table in column-wise data chunks, COPY writes them to a
// temp file beside the target, and a rename puts that file in place: a reader sees the old
// file or the new one, never half of one. stageParquet stops before the rename, for writers
// that must have several files complete on disk before renaming any of them (the catalogue).
// Data chunks rather than row-by-row appends: they take lists as arrays, and a 20,000 × 512
// int8 vector file writes in about 2 s, where appending each vector as text for DuckDB to
// cast took 5 s.
import {
  DuckDBDataChunk,
  DuckDBTypeId,
  JSToDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
  type JS,
  type ToDuckDBValueConverter,
} from "@duckdb/node-api";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { connectDuckDB, quotedIdentifier, quotedString } from "./duckdb.ts";
import { alive } from "./file-lock.ts";

export class ParquetWriteError extends Error {
  constructor(
    message: string,
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ParquetWriteError";
  }
}

/** A column declaration: name and DuckDB SQL type, as in MOVIE_COLUMNS or PICK_COLUMNS. */
export type ParquetColumn<Name extends string = string> = readonly [name: Name, sqlType: string];

export interface ParquetTable<Name extends string = string> {
  /** The file's columns in file order. Types are our own constants, spliced into the SQL as they are. */
  columns: readonly ParquetColumn<Name>[];
  rowCount: number;
  /**
   * One cell, read column by column as the chunks fill. Values are plain JS: numbers,
   * strings, booleans, a Date for DATE, an array for a list; null or undefined for NULL.
   */
  value: (row: number, column: Name, sqlType: string) => JS | undefined;
  /** ORDER BY list of the file. Without it rows keep their order (DuckDB preserves insertion order). */
  orderBy?: string;
}

/** A complete Parquet file beside its target, waiting to be renamed over it. */
export interface StagedParquet {
  readonly file: string;
  readonly temp: string;
  /** Renames the temp file over the target. */
  commit(): Promise<void>;
  /** Removes the temp file; a no-op once committed. */
  discard(): Promise<void>;
}

let tempCount = 0;

/**
 * A temp file name beside `file`, unique to this process and call: the rename that replaces
 * `file` stays on one file system, and a crashed writer's leftovers are recognisably temp.
 */
export function tempFileBeside(file: string): string {
  tempCount += 1;
  return `${file}.${process.pid}.${Date.now()}.${tempCount}.tmp`;
}

/**
 * Removes the temp files of `file` that a writer killed mid-write left behind (its process is
 * gone), so an interrupted import or build does not leave them for ever. Temps of writers still
 * running are left alone. Returns the names removed.
 */
export async function removeStaleTempFiles(file: string): Promise<string[]> {
  const dir = path.dirname(path.resolve(file));
  const prefix = `${path.basename(file)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((name) => {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) return false;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid);
  });
  await Promise.all(stale.map((name) => rm(path.join(dir, name), { force: true })));
  return stale;
}

/**
 * What each supported column type takes. DuckDB's own converter lets some mismatches
 * through (a string in a DOUBLE column becomes NaN, one in a BOOLEAN column true), so every
 * value is checked first.
 */
const ACCEPTS: Partial<Record<DuckDBTypeId, { expected: string; test: (value: unknown) => boolean }>> = {
  [DuckDBTypeId.BOOLEAN]: { expected: "a boolean", test: (v) => typeof v === "boolean" },
  [DuckDBTypeId.TINYINT]: { expected: "an integer from -128 to 127", test: (v) => Number.isInteger(v) && (v as number) >= -128 && (v as number) <= 127 },
  [DuckDBTypeId.INTEGER]: { expected: "a 32-bit integer", test: (v) => Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31 },
  [DuckDBTypeId.FLOAT]: { expected: "a number", test: (v) => typeof v === "number" },
  [DuckDBTypeId.DOUBLE]: { expected: "a number", test: (v) => typeof v === "number" },
  [DuckDBTypeId.VARCHAR]: { expected: "a string", test: (v) => typeof v === "string" },
  [DuckDBTypeId.DATE]: { expected: "a valid Date", test: (v) => v instanceof Date && !Number.isNaN(v.getTime()) },
  [DuckDBTypeId.LIST]: { expected: "an array", test: (v) => Array.isArray(v) },
};

function describeValue(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : Array.isArray(value) ? `[${value.slice(0, 5).join(", ")}${value.length > 5 ? ", ..." : ""}]` : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** JSToDuckDBValueConverter behind a check of each value, list items included. */
const checkedValue: ToDuckDBValueConverter<JS> = (value, type, converter) => {
  if (value === null || value === undefined) return null;
  const accepts = ACCEPTS[type.typeId];
  if (!accepts) throw new Error(`${type} columns are not supported by the Parquet writer`);
  if (!accepts.test(value)) throw new Error(`expected ${accepts.expected}, got ${describeValue(value)}`);
  return JSToDuckDBValueConverter(value, type, converter);
};

// DuckDB's vector size: the most rows one data chunk holds.
const CHUNK_ROWS = 2048;

function checkTable<Name extends string>(file: string, table: ParquetTable<Name>): void {
  if (table.columns.length === 0) throw new ParquetWriteError(`refusing to write ${file}: no columns declared`, file);
  if (!Number.isInteger(table.rowCount) || table.rowCount < 0) {
    throw new ParquetWriteError(`refusing to write ${file}: row count ${table.rowCount} is not a whole number`, file);
  }
  const names = new Set<string>();
  for (const [name] of table.columns) {
    if (names.has(name)) throw new ParquetWriteError(`refusing to write ${file}: column "${name}" is declared twice`, file);
    names.add(name);
  }
}

/** Fills one data chunk with rows [start, end), column by column. */
function fillChunk<Name extends string>(file: string, table: ParquetTable<Name>, types: readonly DuckDBType[], start: number, end: number): DuckDBDataChunk {
  const chunk = DuckDBDataChunk.create(types, end - start);
  table.columns.forEach(([name, sqlType], index) => {
    const type = types[index];
    const values: DuckDBValue[] = new Array(end - start);
    let row = start;
    try {
      for (; row < end; row++) values[row - start] = checkedValue(table.value(row, name, sqlType) ?? null, type, checkedValue);
    } catch (error) {
      throw new ParquetWriteError(`could not write ${file}: column "${name}" (${sqlType}), row ${row}: ${(error as Error).message}`, file, { cause: error });
    }
    chunk.setColumnValues(index, values);
  });
  return chunk;
}

/**
 * Writes the table to a temp file beside `file` and returns it uncommitted; `file` is not
 * touched until commit(). On failure the temp file is removed and a ParquetWriteError names
 * the file, and for a bad value its column and row.
 */
export async function stageParquet<Name extends string>(file: string, table: ParquetTable<Name>): Promise<StagedParquet> {
  checkTable(file, table);
  await removeStaleTempFiles(file);
  const temp = tempFileBeside(file);
  let connection: DuckDBConnection | undefined;
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    connection = await connectDuckDB();
    // A temp table lives as long as its connection, and each write has its own connection.
    const columnsSql = table.columns.map(([name, sqlType]) => `${quotedIdentifier(name)} ${sqlType}`).join(", ");
    await connection.run(`CREATE TEMP TABLE rows_to_write (${columnsSql})`);
    const appender = await connection.createAppender("rows_to_write");
    const types = table.columns.map((_, index) => appender.columnType(index));
    for (let start = 0; start < table.rowCount; start += CHUNK_ROWS) {
      appender.appendDataChunk(fillChunk(file, table, types, start, Math.min(start + CHUNK_ROWS, table.rowCount)));
    }
    appender.closeSync();
    const order = table.orderBy ? ` ORDER BY ${table.orderBy}` : "";
    await connection.run(`COPY (SELECT * FROM rows_to_write${order}) TO ${quotedString(temp)} (FORMAT parquet, COMPRESSION zstd)`);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof ParquetWriteError) throw error;
    throw new ParquetWriteError(`could not write ${file}: ${(error as Error).message}`, file, { cause: error });
  } finally {
    connection?.closeSync();
  }
  return {
    file,
    temp,
    commit: async () => {
      try {
        await rename(temp, file);
      } catch (error) {
        throw new ParquetWriteError(`could not move ${temp} over ${file}: ${(error as Error).message}`, file, { cause: error });
      }
    },
    discard: () => rm(temp, { force: true }),
  };
}

/** Writes the table to `file` atomically: the previous file stays whole until the new one replaces it. */
export async function writeParquetAtomic<Name extends string>(file: string, table: ParquetTable<Name>): Promise<void> {
  const staged = await stageParquet(file, table);
  try {
    await staged.commit();
  } catch (error) {
    await staged.discard();
    throw error;
  }
}
