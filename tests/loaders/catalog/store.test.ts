import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CatalogValidationError,
  isMissingOverview,
  normaliseDate,
  normaliseMovie,
  normaliseSeries,
  sharedGenres,
  tvGenresToMovieGenres,
  type Catalog,
} from "../../../lib/catalog.ts";
import { connectDuckDB, readCatalog, sqlPath, writeCatalog } from "../../../loaders/catalog/store.ts";

function sampleCatalog(): Catalog {
  return {
    movies: [
      normaliseMovie({ id: 11, title: "Quiet Harbour", overview: "A lighthouse keeper meets a stranger.", date: "1999-05-01", popularity: 12.5, vote_average: 7.1, vote_count: 300, genre_names: ["Drama", "Romance"], language: "en", poster_path: "/p.jpg" }),
      normaliseMovie({ id: 12, title: "Adult Title", overview: "Not for children.", date: "01-02-2003", popularity: 3, genre_names: [], language: "fr", adult: true }),
    ],
    series: [
      normaliseSeries({ id: 21, title: "Harbour Lights", overview: "Coastal town drama.", date: "", popularity: 40, genre_names: ["Drama", "Sci-Fi & Fantasy"], language: "en" }),
    ],
    meta: { source: "demo", fetched_at: "2026-11-01T00:00:00.000Z", counts: { movies: 0, series: 0 }, dropped: {} },
  };
}

describe("normalisation", () => {
  it("accepts ISO and DD-MM-YYYY dates and rejects impossible ones", () => {
    expect(normaliseDate("2008-01-20")).toBe("2008-01-20");
    expect(normaliseDate("2008-01-20T00:00:00Z")).toBe("2008-01-20");
    expect(normaliseDate("20-01-2008")).toBe("2008-01-20");
    expect(normaliseDate("")).toBeNull();
    expect(() => normaliseDate("31-02-2020")).toThrow(/impossible date/);
    expect(() => normaliseDate("next year")).toThrow(CatalogValidationError);
  });

  it("derives age_appropriate from adult and keeps adult titles", () => {
    const movie = normaliseMovie({ id: 1, title: "X", overview: "o", date: null, genre_names: [], language: "EN", adult: "True" });
    expect(movie.adult).toBe(true);
    expect(movie.age_appropriate).toBe(false);
    expect(movie.language).toBe("en");
  });

  it("flags a missing overview so loaders can count it separately", () => {
    try {
      normaliseMovie({ id: 5, title: "No words", overview: "  ", date: null, genre_names: [], language: "en" });
      expect.unreachable();
    } catch (error) {
      expect(isMissingOverview(error)).toBe(true);
    }
    try {
      normaliseMovie({ id: 5, title: "", overview: "x", date: null, genre_names: [], language: "en" });
      expect.unreachable();
    } catch (error) {
      expect(isMissingOverview(error)).toBe(false);
      expect(String(error)).toMatch(/id 5: missing title/);
    }
  });

  it("rejects non-numeric ids and figures with the offending value", () => {
    expect(() => normaliseMovie({ id: "abc", title: "t", overview: "o", date: null, genre_names: [], language: "en" })).toThrow(/"abc"/);
    expect(() => normaliseMovie({ id: 3, title: "t", overview: "o", date: null, genre_names: [], language: "en", popularity: "lots" })).toThrow(/popularity.*"lots"/);
  });

  it("maps TV genres onto movie genres", () => {
    expect(tvGenresToMovieGenres(["Action & Adventure", "Sci-Fi & Fantasy", "Kids", "News", "Crime"]).sort()).toEqual(
      ["Action", "Adventure", "Crime", "Family", "Fantasy", "Science Fiction"].sort(),
    );
    expect(sharedGenres(["War & Politics", "Drama"], ["War", "Comedy", "Drama"])).toEqual(["War", "Drama"]);
  });
});

describe("catalogue store", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "marquee-store-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips rows and DuckDB reads the declared column types", async () => {
    await writeCatalog(dir, sampleCatalog());
    const back = await readCatalog(dir);
    expect(back.movies.map((m) => m.id)).toEqual([11, 12]);
    expect(back.movies[1]).toMatchObject({ release_date: "2003-02-01", adult: true, age_appropriate: false, language: "fr" });
    expect(back.series[0]).toMatchObject({ name: "Harbour Lights", first_air_date: null, genre_names: ["Drama", "Sci-Fi & Fantasy"] });
    expect(back.meta.counts).toEqual({ movies: 2, series: 1 });

    const connection = await connectDuckDB();
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(path.join(dir, "movies.parquet"))})`);
    const types = Object.fromEntries(described.getRowObjectsJS().map((r) => [r.column_name, r.column_type]));
    connection.closeSync();
    expect(types).toMatchObject({ id: "INTEGER", release_date: "DATE", genre_names: "VARCHAR[]", age_appropriate: "BOOLEAN", popularity: "DOUBLE" });
  });

  it("keeps the previous catalogue byte-identical when a write fails", async () => {
    await writeCatalog(dir, sampleCatalog());
    const before = await readFile(path.join(dir, "movies.parquet"));
    const broken = sampleCatalog();
    broken.movies.push({ ...broken.movies[0] });
    await expect(writeCatalog(dir, broken)).rejects.toThrow(/id 11 appears twice/);
    expect(await readFile(path.join(dir, "movies.parquet"))).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(["meta.json", "movies.parquet", "series.parquet"]);
  });

  it("removes its temp files and keeps the old catalogue when a write fails half-way", async () => {
    await writeCatalog(dir, sampleCatalog());
    const before = await readFile(path.join(dir, "series.parquet"));
    const broken = sampleCatalog();
    // movies.parquet's temp file is complete by the time the series appender meets this row.
    (broken.series[0] as unknown as Record<string, unknown>).popularity = "forty";
    await expect(writeCatalog(dir, broken)).rejects.toThrow(/could not write the catalogue/);
    expect(await readFile(path.join(dir, "series.parquet"))).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(["meta.json", "movies.parquet", "series.parquet"]);
  });
});
