// Metadata from export files: TMDB 5000's keywords and production companies, the TV export's
// created_by, networks and production companies, in every shape those columns come in, merged
// like any other field. Fixtures (tests/fixtures/import/metadata/) are our own made-up rows.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Catalog, Movie, Series } from "../../../lib/catalog.ts";
import { readCatalog } from "../../../loaders/catalog/store.ts";
import { importCatalog } from "../../../loaders/import/catalog-import.ts";
import { builtInGenres, mapRow, parseNameList } from "../../../loaders/import/fields.ts";

const FIXTURES = path.resolve("tests/fixtures/import");
const fixture = (name: string) => path.join(FIXTURES, name);
const genres = builtInGenres();

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function importInto(movies: string[], series: string[]): Promise<Catalog> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "marquee-import-metadata-"));
  tempDirs.push(dir);
  await importCatalog({ movies, series, out: dir, log: () => {} });
  return readCatalog(dir);
}

describe("reading metadata values", () => {
  it("reads JSON strings of {id, name} objects, as TMDB 5000 writes keywords and production_companies", () => {
    expect(parseNameList('[{"id": 1, "name": "lighthouse"}, {"id": 2, "name": "storm"}]')).toEqual(["lighthouse", "storm"]);
    expect(parseNameList('[{"name": "Tall Pine Entertainment", "id": 10}]')).toEqual(["Tall Pine Entertainment"]);
  });

  it("reads Python literal lists, as pandas writes list columns to CSV", () => {
    expect(parseNameList("[{'id': 3, 'name': 'road trip'}, {'id': 4, 'name': \"driver's licence\"}]")).toEqual(["road trip", "driver's licence"]);
    expect(parseNameList("['Ada Brook', 'Ivo Lund']")).toEqual(["Ada Brook", "Ivo Lund"]);
  });

  it("splits comma-joined names, keeping company suffixes such as Ltd. with their name", () => {
    expect(parseNameList("Orbit TV, StreamCo")).toEqual(["Orbit TV", "StreamCo"]);
    expect(parseNameList("Starfall Films, Ltd., Meridian Works, Fennel & Sons, Inc.")).toEqual(["Starfall Films, Ltd.", "Meridian Works", "Fennel & Sons, Inc."]);
    expect(parseNameList("Drama|Crime, Noir")).toEqual(["Drama", "Crime, Noir"]);
  });

  it("takes lists and saved TMDB answers as they are, cast in billing order", () => {
    expect(parseNameList(["a", { name: "b" }, 3])).toEqual(["a", "b"]);
    expect(parseNameList({ keywords: [{ id: 1, name: "heist" }] })).toEqual(["heist"]);
    expect(parseNameList({ results: [{ id: 1, name: "spy" }] })).toEqual(["spy"]);
    expect(parseNameList('[{"name": "Second", "order": 1}, {"name": "First", "order": 0}]')).toEqual(["First", "Second"]);
  });

  it("reads an unreadable value as no names instead of failing the row", () => {
    expect(parseNameList('[{"id": 5, "name": "broken"')).toEqual([]);
    expect(parseNameList("")).toEqual([]);
    expect(parseNameList(null)).toEqual([]);
    expect(parseNameList(42)).toEqual([]);
  });
});

describe("mapping a row's metadata", () => {
  it("keeps only the row's own kind of metadata, and only non-empty values", () => {
    const fields = { id: "1", keywords: "[]", production_companies: "A Studio", created_by: "Someone", networks: "A Network" };
    expect(mapRow(fields, "movie", genres).title).toEqual({ id: 1, companies: ["A Studio"] });
    expect(mapRow(fields, "tv", genres).title).toEqual({ id: 1, companies: ["A Studio"], creators: ["Someone"], networks: ["A Network"] });
  });

  it("bounds metadata by the catalogue's rules: duplicates, empties and overlong names dropped, at most 50 keywords", () => {
    const keywords = JSON.stringify([
      ...Array.from({ length: 60 }, (_, i) => ({ id: i, name: `keyword ${i}` })),
    ]);
    const { title } = mapRow({ id: "2", keywords, production_companies: `Studio,  studio , ,${"x".repeat(121)}` }, "movie", genres);
    expect(title.keywords).toHaveLength(50);
    expect(title.keywords![49]).toBe("keyword 49");
    expect(title.companies).toEqual(["Studio"]);
  });

  it("reads a collection given as a name or as TMDB's belongs_to_collection object", () => {
    expect(mapRow({ id: "3", collection: "The Starfall Collection" }, "movie", genres).title.collection).toBe("The Starfall Collection");
    expect(mapRow({ id: "3", belongs_to_collection: '{"id": 9, "name": "Glass City Collection"}' }, "movie", genres).title.collection).toBe("Glass City Collection");
  });
});

describe("importing exports that carry metadata", () => {
  let catalog: Catalog;
  const movie = (id: number) => catalog.movies.find((m) => m.id === id) as Movie;
  const series = (id: number) => catalog.series.find((s) => s.id === id) as Series;

  beforeAll(async () => {
    catalog = await importInto([fixture("metadata/movies-5000-older.csv"), fixture("metadata/movies-5000.csv")], [fixture("metadata/series-export.csv")]);
  });

  it("carries a TMDB-5000-like row's keywords and production companies into the catalogue", () => {
    expect(movie(9001)).toMatchObject({ keywords: ["lighthouse", "storm"], companies: ["Tall Pine Entertainment", "Copperline Studios"] });
    expect(movie(9002)).toMatchObject({ keywords: ["road trip", "driver's licence"], companies: ["Meridian Works"] });
  });

  it("carries the series export's created_by, networks and production_companies", () => {
    expect(series(7001)).toMatchObject({ creators: ["Ada Brook", "Ivo Lund"], networks: ["Channel North"], companies: ["Tall Pine Entertainment", "Copperline Studios"] });
    expect(series(7002)).toMatchObject({ creators: [], networks: ["Orbit TV", "StreamCo"], companies: ["Starfall Films, Ltd.", "Meridian Works"] });
    expect(series(7003)).toMatchObject({ creators: ["Hana Ito"], networks: ["Lantern Network"], companies: [] });
  });

  it("merges metadata like any field: the freshest row with a non-empty list wins", () => {
    // 9001: the fresher row (420 votes) has its own lists, so the older row's lose.
    expect(movie(9001).keywords).not.toContain("old keyword");
    expect(movie(9001).overview).toMatch(/^A keeper tends/);
    // 9003: the fresher row's lists are empty, so the older row's fill them.
    expect(movie(9003)).toMatchObject({ keywords: ["silence"], companies: ["Studio Muet"], overview: "Un film sans mots-clés ni studio." });
  });

  it("keeps a row whose keyword cell cannot be read, with its other metadata", () => {
    expect(movie(9004)).toMatchObject({ title: "Broken Cell", keywords: [], companies: ["Blue Orchard Media"] });
  });

  it("gives every title the metadata an export lacks as empty lists and a null collection", () => {
    expect(movie(9002)).toMatchObject({ collection: null, directors: [], writers: [], cast: [] });
    expect(series(7001)).toMatchObject({ keywords: [], cast: [] });
  });

  it("gives titles from exports without any metadata column empty metadata", async () => {
    const plain = await importInto([fixture("movies.jsonl")], [fixture("series.csv")]);
    for (const m of plain.movies) expect(m).toMatchObject({ keywords: [], collection: null, companies: [], directors: [], writers: [], cast: [] });
    for (const s of plain.series) expect(s).toMatchObject({ keywords: [], creators: [], networks: [], companies: [], cast: [] });
  });
});
