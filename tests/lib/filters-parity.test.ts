// The Recommend page filters in JavaScript until DuckDB-WASM is ready; those results must
// be exactly what lib/filters.ts's SQL selects, or the results would change under the visitor.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normaliseMovie, type Movie } from "../../lib/catalog.ts";
import { buildMovieFilterQuery, type Filters } from "../../lib/filters.ts";
import { connectDuckDB, sqlPath, writeCatalog } from "../../loaders/catalog/store.ts";
import { bundleBrowserLib } from "../../loaders/site/build-hooks.ts";
import { engineCatalog } from "../fixtures/engine-catalog.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-site-filters-"));
let connection: DuckDBConnection;
let movies: Movie[];
let jsFilter: typeof import("../../lib/filters.ts");
let decodeMovies: typeof import("../../src/components/site-data.ts").decodeMovies;
let moviesToArrow: typeof import("../../loaders/site/arrow.ts").moviesToArrow;

const GENRES = ["Action", "Comedy", "Drama", "Crime", "Science Fiction", "Romance"];
const LANGUAGES = ["en", "fr", "ja", "es"];

// A deterministic generator so a failure reproduces.
function random(seed: number) {
  let s = seed;
  return () => ((s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296);
}

function syntheticMovies(count: number): Movie[] {
  const next = random(7);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  return Array.from({ length: count }, (_, i) => {
    const genres = GENRES.filter(() => next() < 0.3);
    const year = 1950 + Math.floor(next() * 75);
    return normaliseMovie({
      id: 1000 + i,
      title: `Movie ${i}`,
      overview: `Story ${i}.`,
      // Some movies share a popularity so the id tie-break matters; some have no date.
      date: next() < 0.08 ? null : `${year}-0${1 + Math.floor(next() * 9)}-15`,
      popularity: next() < 0.1 ? 10 : Math.round(next() * 5000) / 10,
      vote_average: Math.round(next() * 100) / 10,
      vote_count: Math.floor(next() * 20000),
      genre_names: genres,
      language: pick(LANGUAGES),
      adult: next() < 0.05,
    });
  });
}

function randomFilters(next: () => number): Filters {
  const f: Filters = { ageAppropriateOnly: next() < 0.6 };
  if (next() < 0.5) f.genres = GENRES.filter(() => next() < 0.3);
  if (f.genres && next() < 0.5) f.genreMode = "all";
  if (next() < 0.4) f.languages = LANGUAGES.filter(() => next() < 0.5);
  if (next() < 0.4) f.minPopularity = Math.round(next() * 300);
  if (next() < 0.4) f.minVotes = Math.floor(next() * 8000);
  if (next() < 0.3) f.yearFrom = 1950 + Math.floor(next() * 70);
  if (next() < 0.3) f.yearTo = 1960 + Math.floor(next() * 70);
  if (next() < 0.3) f.excludeIds = [1000 + Math.floor(next() * 300), 1000 + Math.floor(next() * 300)];
  return f;
}

async function sqlIds(filters: Filters): Promise<number[]> {
  const { sql, params } = buildMovieFilterQuery(filters, { columns: ["id"] });
  return ((await connection.runAndReadAll(sql, params)).getRowObjectsJS() as { id: number }[]).map((r) => r.id);
}

beforeAll(async () => {
  await bundleBrowserLib("src");
  jsFilter = await import("../../lib/filters.ts");
  ({ decodeMovies } = await import("../../src/components/site-data.ts"));
  ({ moviesToArrow } = await import("../../loaders/site/arrow.ts"));
  movies = [...syntheticMovies(300), ...engineCatalog().movies];
  await writeCatalog(work, { movies, series: engineCatalog().series, meta: engineCatalog().meta });
  connection = await connectDuckDB();
  await connection.run(`CREATE OR REPLACE VIEW movies AS SELECT * FROM read_parquet(${sqlPath(path.join(work, "movies.parquet"))})`);
});

afterAll(() => {
  connection?.closeSync();
  rmSync(work, { recursive: true, force: true });
});

describe("in-page filter", () => {
  it("selects the same movies in the same order as the SQL for 300 random filter combinations", async () => {
    // The page filters decoded Arrow rows, so compare on exactly those.
    const rows = decodeMovies(moviesToArrow(movies));
    const next = random(42);
    for (let i = 0; i < 300; i++) {
      const filters = randomFilters(next);
      expect(jsFilter.filterIds(rows, filters), JSON.stringify(filters)).toEqual(await sqlIds(filters));
    }
  });

  it("drops movies without a release date once a year bound is set, as SQL does", async () => {
    const rows = decodeMovies(moviesToArrow(movies));
    const undated = rows.filter((m) => m.year === null).map((m) => m.id);
    expect(undated.length).toBeGreaterThan(0);
    const ids = jsFilter.filterIds(rows, { yearTo: 3000 });
    expect(ids.some((id) => undated.includes(id))).toBe(false);
    expect(ids).toEqual(await sqlIds({ yearTo: 3000 }));
  });
});

describe("filter normalisation", () => {
  it("treats the untouched form as the default filters", () => {
    expect(jsFilter.isDefaultFilters({ genres: [], languages: [], genreMode: "any", ageAppropriateOnly: true, excludeIds: [] })).toBe(true);
  });

  it("does not treat a chosen genre, exclusion or adult titles as default", () => {
    expect(jsFilter.isDefaultFilters({ genres: ["Drama"], ageAppropriateOnly: true })).toBe(false);
    expect(jsFilter.isDefaultFilters({ excludeIds: [5], ageAppropriateOnly: true })).toBe(false);
    expect(jsFilter.isDefaultFilters({ ageAppropriateOnly: false })).toBe(false);
  });

  it("drops the genre mode when no genre is chosen and keeps only 'all'", () => {
    expect(jsFilter.normaliseFilters({ genreMode: "all" })).toEqual({ ageAppropriateOnly: true });
    expect(jsFilter.normaliseFilters({ genres: ["Drama"], genreMode: "any" })).toEqual({ genres: ["Drama"], ageAppropriateOnly: true });
    expect(jsFilter.normaliseFilters({ genres: ["Drama"], genreMode: "all" })).toEqual({ genres: ["Drama"], genreMode: "all", ageAppropriateOnly: true });
  });
});
