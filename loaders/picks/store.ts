// The precomputed picks file the static site reads: one row per (series, rank), atomic writes.
import { rename, rm, mkdir } from "node:fs/promises";
import path from "node:path";
import type { PickRow } from "../../lib/rerank-types.ts";
import { connectDuckDB, sqlPath } from "../catalog/store.ts";

export type { PickRow };

export const PICKS_FILE = "picks.parquet";

export const PICK_COLUMNS = [
  ["series_id", "INTEGER"],
  ["rank", "INTEGER"],
  ["movie_id", "INTEGER"],
  ["reason", "VARCHAR"],
  ["similarity", "DOUBLE"],
  ["source", "VARCHAR"],
  ["model", "VARCHAR"],
  ["generated_at", "VARCHAR"],
] as const;

export class PicksStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PicksStoreError";
  }
}

/** Writes the rows (sorted by series, rank) to `file` via a temp file and rename. */
export async function writePicksParquet(rows: readonly PickRow[], file: string): Promise<void> {
  const seen = new Set<string>();
  for (const row of rows) {
    const key = `${row.series_id}:${row.rank}`;
    if (seen.has(key)) throw new PicksStoreError(`refusing to write picks: series ${row.series_id} has rank ${row.rank} twice`);
    seen.add(key);
  }
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const connection = await connectDuckDB();
  const table = `picks_${process.pid}_${Date.now()}`;
  try {
    await connection.run(`CREATE TEMP TABLE ${table} (${PICK_COLUMNS.map(([n, t]) => `"${n}" ${t}`).join(", ")})`);
    const appender = await connection.createAppender(table);
    for (const row of rows) {
      appender.appendInteger(row.series_id);
      appender.appendInteger(row.rank);
      appender.appendInteger(row.movie_id);
      appender.appendVarchar(row.reason);
      if (row.similarity === null) appender.appendNull();
      else appender.appendDouble(row.similarity);
      appender.appendVarchar(row.source);
      if (row.model === null) appender.appendNull();
      else appender.appendVarchar(row.model);
      if (row.generated_at === null) appender.appendNull();
      else appender.appendVarchar(row.generated_at);
      appender.endRow();
    }
    appender.closeSync();
    await connection.run(`COPY (SELECT * FROM ${table} ORDER BY series_id, rank) TO ${sqlPath(temp)} (FORMAT parquet, COMPRESSION zstd)`);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new PicksStoreError(`could not write picks to ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    connection.closeSync();
  }
}

export async function readPicksParquet(file: string): Promise<PickRow[]> {
  const connection = await connectDuckDB();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet(${sqlPath(file)}) ORDER BY series_id, rank`);
    return reader.getRowObjectsJS() as unknown as PickRow[];
  } catch (error) {
    throw new PicksStoreError(`could not read picks from ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    connection.closeSync();
  }
}
