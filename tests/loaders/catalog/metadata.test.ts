// Title metadata in the catalogue: how normalisation bounds it, that the store round-trips it,
// writes empty lists for titles without it, and reads catalogues written before it existed.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  METADATA_LIMITS,
  MOVIE_COLUMNS,
  MOVIE_METADATA_COLUMNS,
  SERIES_COLUMNS,
  SERIES_METADATA_COLUMNS,
  normaliseMovie,
  normaliseSeries,
  type Catalog,
  type Movie,
  type Series,
} from "../../../lib/catalog.ts";
import { connectDuckDB, readCatalog, sqlPath, writeCatalog } from "../../../loaders/catalog/store.ts";
import { writeParquetAtomic } from "../../../loaders/shared/parquet.ts";

const base = { overview: "An overview.", date: "2001-02-03", genre_names: ["Drama"], language: "en" };

function detailedCatalog(): Catalog {
  return {
    movies: [
      normaliseMovie({
        id: 1,
        title: "Detailed Film",
        ...base,
        keywords: ["heist", "night"],
        collection: "The Glass City Collection",
        companies: ["Copperline Studios"],
        directors: ["Ada Brook"],
        writers: ["Ivo Lund", "Ada Brook"],
        cast: ["Hana Ito", "Otto Gill"],
      }),
      normaliseMovie({ id: 2, title: "Plain Film", ...base }),
    ],
    series: [
      normaliseSeries({ id: 3, title: "Detailed Show", ...base, keywords: ["island"], creators: ["Nia Moreau"], networks: ["Channel North"], companies: ["Meridian Works"], cast: ["Kit Farrow"] }),
    ],
    meta: { source: "tmdb", fetched_at: "2026-11-01T00:00:00.000Z", counts: { movies: 0, series: 0 }, dropped: {} },
  };
}

const metadataNames = (columns: readonly (readonly [string, string])[]) => new Set(columns.map(([name]) => name));
const coreColumns = (columns: readonly (readonly [string, string])[], metadata: readonly (readonly [string, string])[]) =>
  columns.filter(([name]) => !metadataNames(metadata).has(name));

describe("metadata normalisation", () => {
  it("trims names, collapses their whitespace, and drops empties and case-insensitive repeats", () => {
    const movie = normaliseMovie({ id: 1, title: "T", ...base, keywords: ["  space  war ", "Space War", "", "   ", "alien\tinvasion"], cast: ["A", "a", "B"] });
    expect(movie.keywords).toEqual(["space war", "alien invasion"]);
    expect(movie.cast).toEqual(["A", "B"]);
  });

  it("cuts lists to their bounds and drops overlong names instead of refusing the title", () => {
    const long = "n".repeat(METADATA_LIMITS.nameChars + 1);
    const movie = normaliseMovie({
      id: 1,
      title: "T",
      ...base,
      keywords: Array.from({ length: 80 }, (_, i) => `k${i}`),
      cast: [long, ...Array.from({ length: 20 }, (_, i) => `actor ${i}`)],
      collection: long,
    });
    expect(movie.keywords).toHaveLength(METADATA_LIMITS.keywords);
    expect(movie.cast).toEqual(Array.from({ length: METADATA_LIMITS.cast }, (_, i) => `actor ${i}`));
    expect(movie.collection).toBeNull();
  });

  it("gives a title without metadata empty lists and a null collection", () => {
    expect(normaliseMovie({ id: 1, title: "T", ...base })).toMatchObject({ keywords: [], collection: null, companies: [], directors: [], writers: [], cast: [] });
    expect(normaliseSeries({ id: 1, title: "T", ...base })).toMatchObject({ keywords: [], creators: [], networks: [], companies: [], cast: [] });
  });

  it("ignores values that are not lists of names", () => {
    const movie = normaliseMovie({ id: 1, title: "T", ...base, keywords: "heist", companies: [1, null, "Real Studio"], collection: 7 });
    expect(movie).toMatchObject({ keywords: [], companies: ["Real Studio"], collection: null });
  });

  it("gives each kind only its own metadata", () => {
    const raw = { id: 1, title: "T", ...base, creators: ["C"], networks: ["N"], directors: ["D"], collection: "X" };
    expect(Object.keys(normaliseMovie(raw))).not.toContain("creators");
    expect(Object.keys(normaliseSeries(raw))).not.toContain("directors");
    expect(Object.keys(normaliseSeries(raw))).not.toContain("collection");
  });
});

describe("metadata in the catalogue store", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "marquee-store-metadata-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips every metadata field of movies and series", async () => {
    const catalog = detailedCatalog();
    await writeCatalog(dir, catalog);
    const back = await readCatalog(dir);
    expect(back.movies.find((m) => m.id === 1)).toEqual(catalog.movies[0]);
    expect(back.movies.find((m) => m.id === 2)).toEqual(catalog.movies[1]);
    expect(back.series).toEqual(catalog.series);
  });

  it("declares the metadata columns as VARCHAR[] lists and collection as VARCHAR, after the core columns", async () => {
    await writeCatalog(dir, detailedCatalog());
    const connection = await connectDuckDB();
    try {
      const describe = async (file: string) =>
        (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(path.join(dir, file))})`)).getRowObjectsJS().map((r) => [r.column_name, r.column_type]);
      expect(await describe("movies.parquet")).toEqual(MOVIE_COLUMNS.map(([name, type]) => [name, type]));
      expect(await describe("series.parquet")).toEqual(SERIES_COLUMNS.map(([name, type]) => [name, type]));
      // The refresh's watch providers come last, after the metadata.
      expect(MOVIE_COLUMNS.filter(([name]) => name !== "providers").slice(-MOVIE_METADATA_COLUMNS.length)).toEqual(MOVIE_METADATA_COLUMNS);
      expect(SERIES_COLUMNS.slice(-SERIES_METADATA_COLUMNS.length)).toEqual(SERIES_METADATA_COLUMNS);
    } finally {
      connection.closeSync();
    }
  });

  it("writes empty lists, never NULL lists, for hand-built records without metadata", async () => {
    const movie: Movie = { id: 5, title: "Bare", overview: "o", release_date: null, popularity: 1, vote_average: 1, vote_count: 1, genre_names: [], language: "en", adult: false, age_appropriate: true, poster_path: null, backdrop_path: null };
    const show: Series = { ...movie, name: "Bare Show" } as unknown as Series;
    delete (show as unknown as Record<string, unknown>).title;
    await writeCatalog(dir, { movies: [movie], series: [{ ...show, first_air_date: null }], meta: detailedCatalog().meta });
    const connection = await connectDuckDB();
    try {
      // "cast" is an SQL keyword: SQL over the catalogue must quote it.
      const nulls = (await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlPath(path.join(dir, "movies.parquet"))}) WHERE keywords IS NULL OR "cast" IS NULL`)).getRowObjectsJS();
      expect(nulls[0].n).toBe(0);
    } finally {
      connection.closeSync();
    }
    const back = await readCatalog(dir);
    expect(back.movies[0]).toMatchObject({ keywords: [], collection: null, companies: [], directors: [], writers: [], cast: [] });
    expect(back.series[0]).toMatchObject({ keywords: [], creators: [], networks: [], companies: [], cast: [] });
  });

  it("reads a catalogue written before the metadata columns existed, with empty metadata", async () => {
    // Files with only the core columns, as a catalogue from before this change has them.
    const catalog = detailedCatalog();
    const movieColumns = coreColumns(MOVIE_COLUMNS, MOVIE_METADATA_COLUMNS);
    const seriesColumns = coreColumns(SERIES_COLUMNS, SERIES_METADATA_COLUMNS);
    const cell = (row: object, column: string, type: string) => {
      const value = (row as Record<string, unknown>)[column];
      return (type === "DATE" && typeof value === "string" ? new Date(`${value}T00:00:00Z`) : value) as never;
    };
    await writeParquetAtomic(path.join(dir, "movies.parquet"), { columns: movieColumns, rowCount: 2, value: (r, c, t) => cell(catalog.movies[r], c, t) });
    await writeParquetAtomic(path.join(dir, "series.parquet"), { columns: seriesColumns, rowCount: 1, value: (r, c, t) => cell(catalog.series[r], c, t) });
    await writeFile(path.join(dir, "meta.json"), JSON.stringify(catalog.meta));

    const back = await readCatalog(dir);
    expect(back.movies.map((m) => m.title)).toEqual(["Detailed Film", "Plain Film"]);
    for (const movie of back.movies) expect(movie).toMatchObject({ keywords: [], collection: null, companies: [], directors: [], writers: [], cast: [] });
    expect(back.series[0]).toMatchObject({ name: "Detailed Show", keywords: [], creators: [], networks: [], companies: [], cast: [] });
  });

  it("still refuses a file without a core column, naming only the core columns it lacks", async () => {
    const catalog = detailedCatalog();
    const movieColumns = coreColumns(MOVIE_COLUMNS, MOVIE_METADATA_COLUMNS).filter(([name]) => name !== "vote_count");
    await writeParquetAtomic(path.join(dir, "movies.parquet"), {
      columns: movieColumns,
      rowCount: 2,
      value: (r, c, t) => {
        const value = (catalog.movies[r] as unknown as Record<string, unknown>)[c];
        return (t === "DATE" && typeof value === "string" ? new Date(`${value}T00:00:00Z`) : value) as never;
      },
    });
    await writeCatalog(path.join(dir, "other"), catalog);
    const { copyFile } = await import("node:fs/promises");
    for (const file of ["series.parquet", "meta.json"]) await copyFile(path.join(dir, "other", file), path.join(dir, file));
    await expect(readCatalog(dir)).rejects.toThrow(/lacks the movies columns vote_count;/);
  });
});
