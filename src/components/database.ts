// DuckDB-WASM in the browser, self-hosted: the worker and the WebAssembly module are served
// from this site (Framework copies them into _node/), never from a CDN. The movies table is
// loaded from the same Arrow IPC bytes the page already fetched.
import * as duckdb from "@duckdb/duckdb-wasm";
import { buildMovieFilterQuery, type Filters, type SqlParam } from "./lib.bundle.js";

export interface DatabaseUrls {
  wasm: string;
  worker: string;
}

export class MovieDatabase {
  readonly #db: duckdb.AsyncDuckDB;
  readonly #conn: duckdb.AsyncDuckDBConnection;
  // A page session builds a handful of distinct filter shapes; preparing each once saves
  // a round trip to the worker per input change.
  readonly #statements = new Map<string, Promise<duckdb.AsyncPreparedStatement>>();

  constructor(db: duckdb.AsyncDuckDB, conn: duckdb.AsyncDuckDBConnection) {
    this.#db = db;
    this.#conn = conn;
  }

  /** Ids of the movies that pass `filters`, most popular first. */
  async filterIds(filters: Filters): Promise<number[]> {
    const { sql, params } = buildMovieFilterQuery(filters, { table: "movies", columns: ["id"] });
    const table = await this.query(sql, params);
    const column = table.getChild("id");
    return column ? Array.from(column.toArray() as Int32Array) : [];
  }

  /** Runs one parameterised statement and returns its Arrow table. */
  async query(sql: string, params: readonly SqlParam[] = []) {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#conn.prepare(sql);
      this.#statements.set(sql, statement);
      statement.catch(() => this.#statements.delete(sql));
    }
    return (await statement).query(...params);
  }

  async close(): Promise<void> {
    await this.#conn.close();
    await this.#db.terminate();
  }
}

/**
 * Starts DuckDB-WASM in a worker and loads the movies table. `moviesIpc` is copied: DuckDB
 * detaches the buffer it is given, and the page keeps using the original. It may still be
 * downloading: the WebAssembly compiles meanwhile.
 */
export async function openDatabase(moviesIpc: Uint8Array | Promise<Uint8Array>, urls: DatabaseUrls): Promise<MovieDatabase> {
  // The worker is served as an ES module (Framework bundles it), so it must start as one.
  const worker = new Worker(urls.worker, { type: "module" });
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  try {
    await db.instantiate(urls.wasm);
    const conn = await db.connect();
    // Instantiation (compiling ~34 MB of WebAssembly) overlaps with the data download.
    await conn.insertArrowFromIPCStream((await moviesIpc).slice(), { name: "movies", create: true });
    return new MovieDatabase(db, conn);
  } catch (error) {
    await db.terminate().catch(() => undefined);
    throw new Error(`The in-browser database could not start: ${(error as Error).message}`, { cause: error });
  }
}
