// The process's DuckDB: one in-memory instance that every loader connects to, and the SQL
// quoting they splice file paths and names with (DuckDB's own helpers, not a copy of them).
import { DuckDBInstance, quotedIdentifier, quotedString, type DuckDBConnection } from "@duckdb/node-api";

export { quotedIdentifier, quotedString };

let sharedInstance: Promise<DuckDBInstance> | undefined;

/** A connection to the process's in-memory DuckDB; connections are cheap, close each one. */
export async function connectDuckDB(): Promise<DuckDBConnection> {
  sharedInstance ??= DuckDBInstance.create(":memory:");
  return (await sharedInstance).connect();
}

/** SQL string literal for a file path: `read_parquet(${sqlPath(file)})`. */
export function sqlPath(file: string): string {
  return quotedString(file);
}
