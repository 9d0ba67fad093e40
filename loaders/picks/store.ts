// The precomputed picks file the static site reads: one row per (series, rank), atomic writes.
import type { PickRow } from "../../lib/rerank-types.ts";
import { PICK_COLUMNS } from "../../lib/site-schema.ts";
import { connectDuckDB, quotedString } from "../shared/duckdb.ts";
import { writeParquetAtomic } from "../shared/parquet.ts";

export type { PickRow };
export { PICK_COLUMNS };

export const PICKS_FILE = "picks.parquet";

export class PicksStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PicksStoreError";
  }
}

const SOURCES: readonly PickRow["source"][] = ["llm", "fallback"];

/** Refuses rows the pages could not show: a repeated (series, rank), a rank below 1, an unknown source. Column types are the writer's to check. */
function checkRows(rows: readonly PickRow[]): void {
  const seen = new Set<string>();
  rows.forEach((row, index) => {
    const key = `${row.series_id}:${row.rank}`;
    if (seen.has(key)) throw new PicksStoreError(`refusing to write picks: series ${row.series_id} has rank ${row.rank} twice`);
    seen.add(key);
    if (!(Number.isInteger(row.rank) && row.rank >= 1)) {
      throw new PicksStoreError(`refusing to write picks: row ${index} (series ${row.series_id}) has rank ${JSON.stringify(row.rank)}, expected a whole number from 1`);
    }
    if (!SOURCES.includes(row.source)) {
      throw new PicksStoreError(`refusing to write picks: row ${index} (series ${row.series_id}, rank ${row.rank}) has source ${JSON.stringify(row.source)}, expected one of ${SOURCES.join(", ")}`);
    }
  });
}

/** Writes the rows (sorted by series, rank) to `file` via a temp file and rename. */
export async function writePicksParquet(rows: readonly PickRow[], file: string): Promise<void> {
  checkRows(rows);
  try {
    await writeParquetAtomic(file, {
      columns: PICK_COLUMNS,
      rowCount: rows.length,
      value: (row, column) => rows[row][column],
      orderBy: "series_id, rank",
    });
  } catch (error) {
    throw new PicksStoreError((error as Error).message, { cause: error });
  }
}

export async function readPicksParquet(file: string): Promise<PickRow[]> {
  const connection = await connectDuckDB();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet(${quotedString(file)}) ORDER BY series_id, rank`);
    return reader.getRowObjectsJS() as unknown as PickRow[];
  } catch (error) {
    throw new PicksStoreError(`could not read picks from ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    connection.closeSync();
  }
}
