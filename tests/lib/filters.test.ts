import type { DuckDBConnection } from "@duckdb/node-api";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOVIE_GENRES, type Movie } from "../../lib/catalog.ts";
import {
  DEFAULT_FILTERS,
  FilterError,
  buildMovieFilterQuery,
  filtersFromSearchParams,
  filtersToSearchParams,
  validateFilters,
  type Filters,
} from "../../lib/filters.ts";
import { connectDuckDB, sqlPath, writeCatalog } from "../../loaders/catalog/store.ts";
import { engineCatalog, movieFixtures } from "../fixtures/engine-catalog.ts";

let dir: string;
let connection: DuckDBConnection;
const movies = movieFixtures();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "marquee-filters-"));
  await writeCatalog(dir, engineCatalog());
  connection = await connectDuckDB();
  await connection.run(`CREATE TEMP VIEW movies AS SELECT * FROM read_parquet(${sqlPath(path.join(dir, "movies.parquet"))})`);
});

afterAll(async () => {
  connection?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

async function ids(filters: Filters): Promise<number[]> {
  const { sql, params } = buildMovieFilterQuery(filters, { columns: ["id"] });
  const rows = (await connection.runAndReadAll(sql, params)).getRowObjectsJS() as { id: number }[];
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/** The same filter evaluated in plain JS over the fixture, to compare against SQL. */
function expected(predicate: (m: Movie) => boolean): number[] {
  return movies.filter(predicate).map((m) => m.id).sort((a, b) => a - b);
}

const year = (m: Movie) => (m.release_date ? Number(m.release_date.slice(0, 4)) : null);

describe("buildMovieFilterQuery on @duckdb/node-api", () => {
  it("returns every movie when no filter is set", async () => {
    expect(await ids({})).toEqual(expected(() => true));
  });

  it("keeps movies having any of the genres by default", async () => {
    expect(await ids({ genres: ["Comedy", "Fantasy"] })).toEqual(
      expected((m) => m.genre_names.includes("Comedy") || m.genre_names.includes("Fantasy")),
    );
  });

  it("keeps only movies having all the genres in all mode", async () => {
    const got = await ids({ genres: ["Fantasy", "Drama"], genreMode: "all" });
    expect(got).toEqual([110]);
    expect(got).toEqual(expected((m) => m.genre_names.includes("Fantasy") && m.genre_names.includes("Drama")));
  });

  it("filters by original language", async () => {
    expect(await ids({ languages: ["fr", "es"] })).toEqual([105, 112]);
  });

  it("filters by minimum popularity", async () => {
    expect(await ids({ minPopularity: 25 })).toEqual(expected((m) => m.popularity >= 25));
  });

  it("filters by minimum vote count", async () => {
    expect(await ids({ minVotes: 1000 })).toEqual(expected((m) => m.vote_count >= 1000));
  });

  it("filters by release year bounds, inclusive, dropping undated movies", async () => {
    expect(await ids({ yearFrom: 2001 })).toEqual(expected((m) => (year(m) ?? -1) >= 2001));
    expect(await ids({ yearTo: 1998 })).toEqual([101, 104, 107, 113]);
    expect(await ids({ yearFrom: 2001, yearTo: 2008 })).toEqual([102, 105, 108, 111]);
    expect(await ids({ yearFrom: 1900 })).not.toContain(109);
  });

  it("hides adult titles when age-appropriate only is set", async () => {
    expect(await ids({ ageAppropriateOnly: true })).toEqual(expected((m) => !m.adult));
    expect(await ids({ ageAppropriateOnly: false })).toContain(108);
  });

  it("defaults to age-appropriate only with everything else open", async () => {
    expect(DEFAULT_FILTERS).toEqual({ ageAppropriateOnly: true });
    expect(await ids(DEFAULT_FILTERS)).toEqual(expected((m) => m.age_appropriate));
  });

  it("leaves out excluded ids", async () => {
    expect(await ids({ excludeIds: [101, 103, 999] })).toEqual(expected((m) => ![101, 103].includes(m.id)));
  });

  it("combines every filter with AND", async () => {
    const filters: Filters = {
      genres: ["Crime", "Science Fiction"],
      languages: ["en", "es"],
      minPopularity: 20,
      minVotes: 500,
      yearFrom: 1990,
      yearTo: 2018,
      ageAppropriateOnly: true,
      excludeIds: [112],
    };
    expect(await ids(filters)).toEqual([101, 102, 103]);
  });

  it("treats empty genre and language lists as no filter", async () => {
    expect(await ids({ genres: [], languages: [] })).toEqual(expected(() => true));
  });

  it("orders rows most popular first", async () => {
    const { sql, params } = buildMovieFilterQuery({ minPopularity: 30 }, { columns: ["id", "popularity"] });
    const rows = (await connection.runAndReadAll(sql, params)).getRowObjectsJS() as { popularity: number }[];
    const pops = rows.map((r) => r.popularity);
    expect(pops).toEqual([...pops].sort((a, b) => b - a));
  });

  it("caps rows with a bound limit", async () => {
    const { sql, params } = buildMovieFilterQuery({}, { columns: ["id"], limit: 3 });
    expect((await connection.runAndReadAll(sql, params)).getRowObjectsJS()).toEqual([{ id: 103 }, { id: 106 }, { id: 101 }]);
  });
});

describe("injection safety", () => {
  const attacks = [
    "Crime'); DROP VIEW movies; --",
    "Crime' OR '1'='1",
    "x\"] OR true OR [\"",
    "Crime']) OR true --",
  ];

  it("binds genre values instead of splicing them into the SQL", async () => {
    for (const attack of attacks) {
      const { sql, params } = buildMovieFilterQuery({ genres: [attack] });
      expect(sql).not.toContain(attack);
      expect(params).toContain(attack);
      expect(await ids({ genres: [attack] })).toEqual([]);
    }
  });

  it("binds language values instead of splicing them into the SQL", async () => {
    for (const attack of [...attacks, "en' OR '1'='1"]) {
      expect(await ids({ languages: [attack] })).toEqual([]);
    }
    expect(await ids({})).toHaveLength(movies.length);
  });

  it("rejects table and column names that are not plain identifiers", () => {
    expect(() => buildMovieFilterQuery({}, { table: "movies; DROP TABLE x" })).toThrow(FilterError);
    expect(() => buildMovieFilterQuery({}, { columns: ["id, (SELECT 1)"] })).toThrow(/not a plain SQL identifier/);
  });

  it("rejects non-numeric numbers that would otherwise reach the SQL as text", () => {
    expect(() => buildMovieFilterQuery({ minVotes: "1; DROP" as unknown as number })).toThrow(FilterError);
    expect(() => buildMovieFilterQuery({ excludeIds: [Number.NaN] })).toThrow(FilterError);
  });
});

describe("validateFilters", () => {
  const vocabulary = {
    genres: MOVIE_GENRES.map((g) => g.name),
    languages: ["de", "en", "es", "fr", "ja"],
    languageNames: { de: "German", en: "English", es: "Spanish", fr: "French", ja: "Japanese" },
  };

  it("normalises genre and language casing to the canonical names", () => {
    expect(validateFilters({ genres: ["science fiction", "CRIME"], languages: ["EN", "french"] }, vocabulary)).toEqual({
      genres: ["Science Fiction", "Crime"],
      languages: ["en", "fr"],
    });
  });

  it("names the unknown genre and lists the valid ones", () => {
    expect(() => validateFilters({ genres: ["Crim"] }, vocabulary)).toThrow(
      /unknown genre "Crim"; valid genres: Action, Adventure, .*Western/,
    );
  });

  it("names the unknown language and lists the valid codes with names", () => {
    expect(() => validateFilters({ languages: ["klingon"] }, vocabulary)).toThrow(
      'unknown language "klingon"; valid languages: de (German), en (English), es (Spanish), fr (French), ja (Japanese)',
    );
  });

  it("rejects injection text as an unknown genre", () => {
    expect(() => validateFilters({ genres: ["Crime' OR '1'='1"] }, vocabulary)).toThrow(FilterError);
  });

  it("rejects an empty year range, negative minimums and a bad genre mode", () => {
    expect(() => validateFilters({ yearFrom: 2020, yearTo: 1990 }, vocabulary)).toThrow(/year range is empty/);
    expect(() => validateFilters({ minVotes: -1 }, vocabulary)).toThrow(/minVotes must be 0 or more/);
    expect(() => validateFilters({ genreMode: "some" as "any" }, vocabulary)).toThrow(/genre mode/);
    expect(() => validateFilters({ excludeIds: [1.5] }, vocabulary)).toThrow(/positive integers/);
  });
});

describe("URL state", () => {
  it("round-trips every filter through URLSearchParams", () => {
    const filters: Filters = {
      genres: ["Crime", "Science Fiction"],
      genreMode: "all",
      languages: ["en", "fr"],
      minPopularity: 12.5,
      minVotes: 100,
      yearFrom: 1990,
      yearTo: 2020,
      ageAppropriateOnly: false,
      excludeIds: [5, 7],
    };
    const params = filtersToSearchParams(filters);
    expect(filtersFromSearchParams(params.toString())).toEqual(filters);
  });

  it("reads an empty URL as the default filters", () => {
    expect(filtersFromSearchParams("")).toEqual(DEFAULT_FILTERS);
    expect(filtersToSearchParams(DEFAULT_FILTERS).toString()).toBe("");
  });

  it("keeps unrelated parameters and replaces old filter values", () => {
    const params = filtersToSearchParams({ genres: ["Drama"] }, "series=1399&genre=Comedy&from=1990");
    expect(params.getAll("series")).toEqual(["1399"]);
    expect(params.getAll("genre")).toEqual(["Drama"]);
    expect(params.has("from")).toBe(false);
  });

  it("ignores malformed values instead of failing the page", () => {
    expect(filtersFromSearchParams("minvotes=lots&from=19x0&to=2001.5&exclude=-3&exclude=abc&mode=some")).toEqual(DEFAULT_FILTERS);
  });
});

describe("the same SQL on DuckDB-WASM", () => {
  // The browser runs DuckDB-WASM; its Node build runs the identical engine, so a query that
  // works here works on the page. Parquet needs a downloaded extension in WASM, so the rows
  // are inserted as SQL literals built from our own fixture.
  it("returns the same ids as node-api for a combined filter", async () => {
    const require = createRequire(import.meta.url);
    const duckdb = require("@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs");
    const dist = path.dirname(require.resolve("@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs"));
    const db = await duckdb.createDuckDB(
      {
        mvp: { mainModule: path.join(dist, "duckdb-mvp.wasm"), mainWorker: path.join(dist, "duckdb-node-mvp.worker.cjs") },
        eh: { mainModule: path.join(dist, "duckdb-eh.wasm"), mainWorker: path.join(dist, "duckdb-node-eh.worker.cjs") },
      },
      new duckdb.VoidLogger(),
      duckdb.NODE_RUNTIME,
    );
    await db.instantiate(() => {});
    const conn = db.connect();
    const text = (s: string) => `'${s.replaceAll("'", "''")}'`;
    const rows = movies.map(
      (m) =>
        `(${m.id}, ${m.release_date ? `DATE ${text(m.release_date)}` : "NULL"}, ${m.popularity}, ${m.vote_count}, [${m.genre_names.map(text).join(", ")}]::VARCHAR[], ${text(m.language)}, ${m.age_appropriate})`,
    );
    conn.query(
      `CREATE TABLE movies AS SELECT * FROM (VALUES ${rows.join(", ")}) t(id, release_date, popularity, vote_count, genre_names, language, age_appropriate)`,
    );
    const filters: Filters = { genres: ["Crime", "Fantasy"], languages: ["en", "de"], minVotes: 500, yearFrom: 1995, ageAppropriateOnly: true, excludeIds: [106] };
    const { sql, params } = buildMovieFilterQuery(filters, { columns: ["id"] });
    const wasmIds = conn
      .prepare(sql)
      .query(...params)
      .toArray()
      .map((r: { id: number }) => Number(r.id))
      .sort((a: number, b: number) => a - b);
    conn.close();
    expect(wasmIds).toEqual(await ids(filters));
    expect(wasmIds).toEqual([101, 102, 110]);
  });
});
