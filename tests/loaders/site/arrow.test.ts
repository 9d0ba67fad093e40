// The site's data files: what loaders/site-data.ts writes, src/components/site-data.ts reads back.
import { tableFromIPC } from "apache-arrow";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Movie, Series } from "../../../lib/catalog.ts";
import { normalise, quantizeInt8, type VectorSet } from "../../../lib/vectors.ts";
import {
  limitVectors,
  movieTextsToArrow,
  moviesToArrow,
  picksToArrow,
  seriesToArrow,
  summarisePicks,
  tarArchive,
  vectorsToArrow,
  type PickRow,
} from "../../../loaders/site/arrow.ts";
import { bundleBrowserLib } from "../../../loaders/site/build-hooks.ts";
import { buildSiteArchive } from "../../../loaders/site/sources.ts";
import { engineCatalog } from "../../fixtures/engine-catalog.ts";

// site-data.ts reads the file schema through the generated lib bundle, so build it first.
await bundleBrowserLib("src");
const { applyMovieTexts, decodeMovies, decodePickCards, decodePicks, decodeSeries, decodeVectors } = await import("../../../src/components/site-data.ts");

const work = mkdtempSync(path.join(tmpdir(), "marquee-site-data-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function withYear<T extends Movie | Series>(row: T, date: string | null) {
  const { backdrop_path, ...rest } = row;
  void backdrop_path;
  return { ...rest, year: date ? Number(date.slice(0, 4)) : null };
}

function vectorSet(ids: number[], dims: number, seed: number, embedderId = "test:embedder"): VectorSet {
  const data = new Float32Array(ids.length * dims);
  ids.forEach((_, r) => {
    const row = Array.from({ length: dims }, (_, i) => Math.sin(seed + r * 7.3 + i * 1.7));
    data.set(normalise(row), r * dims);
  });
  return { embedderId, dims, ids, data };
}

const picks: PickRow[] = [
  { series_id: 201, rank: 2, movie_id: 101, reason: "Also about a drug trade.", similarity: 0.61, source: "llm", model: "openai/gpt-oss-20b", generated_at: "2026-11-02T10:00:00.000Z" },
  { series_id: 201, rank: 1, movie_id: 102, reason: "A chemist turns criminal.", similarity: null, source: "llm", model: "openai/gpt-oss-20b", generated_at: "2026-11-02T10:00:00.000Z" },
  { series_id: 203, rank: 1, movie_id: 106, reason: "Dragons and a throne.", similarity: 0.7, source: "fallback", model: null, generated_at: "2026-11-03T08:00:00.000Z" },
];

describe("site data serialisation", () => {
  it("round-trips movies through their two Arrow files with every column the pages read", () => {
    const movies = engineCatalog().movies;
    const decoded = decodeMovies(moviesToArrow(movies));
    applyMovieTexts(decoded, movieTextsToArrow(movies));
    // A movie without watch providers (every fixture movie) decodes with providers null.
    expect(decoded).toEqual(movies.map((m) => ({ ...withYear(m, m.release_date), providers: m.providers ?? null })));
  });

  it("reads text columns whole-chunk without shifting a value: accents, other scripts, emoji, empty strings and nulls", () => {
    const [base] = engineCatalog().movies;
    const titles = ["Amélie", "千と千尋の神隠し", "", "Ça 🎬 tourne 🍿", "Žena", "plain"];
    const movies = titles.map((title, i) => ({ ...base, id: 500 + i, title, poster_path: i % 2 ? null : `/p${i}é.jpg`, genre_names: i === 3 ? ["Comédie", "Drama"] : ["Drama"] }));
    const decoded = decodeMovies(moviesToArrow(movies));
    expect(decoded.map((m) => m.title)).toEqual(titles);
    expect(decoded.map((m) => m.poster_path)).toEqual(movies.map((m) => m.poster_path));
    expect(decoded[3].genre_names).toEqual(["Comédie", "Drama"]);
  });

  it("keeps overviews and metadata out of movies.arrow: they decode empty until the texts file fills them in", () => {
    const movies = engineCatalog().movies;
    const withText = movies.find((m) => m.overview)!;
    expect(tableFromIPC(moviesToArrow(movies)).schema.fields.map((f) => f.name)).not.toContain("overview");
    const decoded = decodeMovies(moviesToArrow(movies)).find((m) => m.id === withText.id)!;
    expect(decoded).toMatchObject({ title: withText.title, overview: "", keywords: [], cast: [], collection: null });
  });

  it("refuses a texts file whose rows are other movies", () => {
    const movies = engineCatalog().movies;
    const decoded = decodeMovies(moviesToArrow(movies));
    expect(() => applyMovieTexts(decoded, movieTextsToArrow([...movies].reverse()))).toThrow(/row 0 is movie \d+, not \d+; rebuild the site/);
    expect(() => applyMovieTexts(decoded, movieTextsToArrow(movies.slice(1)))).toThrow(/rows for \d+ movies/);
  });

  it("writes dates as Arrow dates and genres as lists, the types the catalogue declares", () => {
    const table = tableFromIPC(moviesToArrow(engineCatalog().movies));
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({ id: "Int32", release_date: "Date32<DAY>", genre_names: "List<Utf8>", age_appropriate: "Bool", popularity: "Float64" });
  });

  it("round-trips series, keeping their name and first air date columns", () => {
    const series = engineCatalog().series;
    expect(decodeSeries(seriesToArrow(series))).toEqual(series.map((s) => withYear(s, s.first_air_date)));
  });

  it("keeps a null release date null (not the epoch)", () => {
    const undated = engineCatalog().movies.find((m) => m.release_date === null)!;
    const [decoded] = decodeMovies(moviesToArrow([undated]));
    expect(decoded.release_date).toBeNull();
    expect(decoded.year).toBeNull();
  });

  it("ships int8 vectors that decode to the same quantised values, split by kind", () => {
    const movies = quantizeInt8(vectorSet([101, 102, 103], 8, 1));
    const series = quantizeInt8(vectorSet([201, 202], 8, 2));
    const decoded = decodeVectors(vectorsToArrow({ movies, series }))!;
    expect(decoded.embedderId).toBe("test:embedder");
    expect(decoded.dims).toBe(8);
    expect(decoded.movies.ids).toEqual([101, 102, 103]);
    expect(Array.from(decoded.movies.data)).toEqual(Array.from(movies.data));
    expect(Array.from(decoded.movies.scales)).toEqual(Array.from(movies.scales));
    expect(decoded.series.ids).toEqual([201, 202]);
    expect(Array.from(decoded.series.data)).toEqual(Array.from(series.data));
  });

  it("refuses to mix vectors from different embedders", () => {
    const movies = quantizeInt8(vectorSet([101], 4, 1, "model:a"));
    const series = quantizeInt8(vectorSet([201], 4, 2, "model:b"));
    expect(() => vectorsToArrow({ movies, series })).toThrow(/different embedders/);
  });

  it("limits shipped movie vectors to the first rows (the most popular)", () => {
    const limited = limitVectors(quantizeInt8(vectorSet([1, 2, 3, 4], 4, 3)), 2);
    expect(limited.ids).toEqual([1, 2]);
    expect(limited.data.length).toBe(8);
    expect(limited.scales.length).toBe(2);
  });

  it("groups picks by series in rank order and keeps a missing similarity null", () => {
    const decoded = decodePicks(picksToArrow(picks));
    expect([...decoded.keys()]).toEqual([201, 203]);
    expect(decoded.get(201)!.map((p) => p.movie_id)).toEqual([102, 101]);
    expect(decoded.get(201)![0].similarity).toBeNull();
    expect(decoded.get(203)![0]).toEqual(picks[2]);
  });

  it("carries each pick's card and series heading in picks.arrow, leaving out picks the catalogue cannot show", () => {
    const catalog = engineCatalog();
    const unknown: PickRow = { ...picks[0], movie_id: 999_999, rank: 3 };
    const bytes = picksToArrow([...picks, unknown], catalog);
    expect(decodePicks(bytes).get(201)!.map((p) => p.movie_id)).toEqual([102, 101]);
    const cards = decodePickCards(bytes)!;
    const movie = withYear(catalog.movies.find((m) => m.id === 102)!, catalog.movies.find((m) => m.id === 102)!.release_date);
    expect(cards.movies.get(102)).toMatchObject({ id: 102, title: movie.title, year: movie.year, genre_names: movie.genre_names, vote_count: movie.vote_count, overview: "" });
    expect(cards.movies.has(999_999)).toBe(false);
    expect(cards.series.get(201)).toEqual({ id: 201, name: catalog.series.find((s) => s.id === 201)!.name, genre_names: catalog.series.find((s) => s.id === 201)!.genre_names });
    expect(decodePickCards(picksToArrow(picks))).toBeNull();
  });

  it("decodes an empty picks file to no picks", () => {
    expect(decodePicks(picksToArrow([])).size).toBe(0);
  });

  it("summarises picks by source and model with the latest generation time", () => {
    expect(summarisePicks(picks)).toEqual({
      series: 2,
      llm_series: 1,
      rows: 3,
      sources: { llm: 2, fallback: 1 },
      models: ["openai/gpt-oss-20b"],
      generated_at: "2026-11-03T08:00:00.000Z",
    });
  });
});

function untar(bytes: Uint8Array, into: string): void {
  const file = path.join(into, "archive.tar");
  execFileSync("sh", ["-c", `cat > '${file}' && tar -xf '${file}' -C '${into}'`], { input: bytes });
}

describe("site archive", () => {
  it("is a tar that standard tools extract to the same bytes", async () => {
    const dir = mkdtempSync(path.join(work, "tar-"));
    const big = new Uint8Array(1500).map((_, i) => i % 251);
    untar(await tarArchive([{ name: "a.bin", bytes: big }, { name: "b.json", bytes: '{"ok":true}' }]), dir);
    expect(new Uint8Array(readFileSync(path.join(dir, "a.bin")))).toEqual(big);
    expect(readFileSync(path.join(dir, "b.json"), "utf8")).toBe('{"ok":true}');
  });

  it("refuses member names that could escape the archive's folder", () => {
    expect(() => tarArchive([{ name: "../evil", bytes: "x" }])).toThrow(/plain file name/);
  });

  it("holds the six files the pages read, all from the same catalogue", async () => {
    const catalog = engineCatalog();
    const vectors = {
      movies: vectorSet(catalog.movies.map((m) => m.id), 8, 1),
      series: vectorSet(catalog.series.map((s) => s.id), 8, 2),
      embedderId: "test:embedder",
    };
    const bytes = await buildSiteArchive({
      source: { dir: work, catalog },
      vectors: async () => vectors,
      picks: async () => picks,
      vectorLimit: 5,
      log: () => undefined,
      now: new Date("2026-11-05T00:00:00Z"),
    });
    const dir = mkdtempSync(path.join(work, "archive-"));
    untar(bytes, dir);
    const read = (name: string) => new Uint8Array(readFileSync(path.join(dir, name)));
    const movies = decodeMovies(read("movies.arrow"));
    expect(movies.map((m) => m.id)).toEqual(catalog.movies.map((m) => m.id));
    applyMovieTexts(movies, read("movie-texts.arrow"));
    expect(movies.map((m) => m.overview)).toEqual(catalog.movies.map((m) => m.overview));
    expect(decodeSeries(read("series.arrow")).map((s) => s.id)).toEqual(catalog.series.map((s) => s.id));
    expect(decodeVectors(read("vectors.arrow"))!.movies.ids).toEqual(catalog.movies.slice(0, 5).map((m) => m.id));
    expect(decodePicks(read("picks.arrow")).get(201)).toHaveLength(2);
    const meta = JSON.parse(readFileSync(path.join(dir, "meta.json"), "utf8"));
    expect(meta).toMatchObject({
      catalog: { source: "demo" },
      embedder: { id: "test:embedder", dims: 8 },
      vectors: { movies: 5, series: catalog.series.length },
      picks: { series: 2, rows: 3 },
      built_at: "2026-11-05T00:00:00.000Z",
    });
  });
});
