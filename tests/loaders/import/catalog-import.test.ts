// The TMDB export importer: formats, field mapping, merging, failures, and a full run over the
// real files in ../shared/data/raw (skipped with a notice when they are absent).
import { parse as parseCsvSync } from "csv-parse/sync";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOVIE_COLUMNS, SERIES_COLUMNS, TV_GENRES, type Catalog } from "../../../lib/catalog.ts";
import { connectDuckDB, readCatalog, readCatalogMeta, sqlPath } from "../../../loaders/catalog/store.ts";
import { ImportFileError, detectFormat, expandInput, openSource, type SourceRecord } from "../../../loaders/import/formats.ts";
import { RowError, builtInGenres, mapRow, parseGenreValue, parsePythonLiteral, resolveGenres } from "../../../loaders/import/fields.ts";
import { ImportError, importCatalog, mergeTitleRows, type ImportOptions } from "../../../loaders/import/catalog-import.ts";
import { parseCliArguments } from "../../../scripts/data-import.ts";
import { sharedRawDir } from "../../../loaders/shared/config.ts";

const run = promisify(execFile);
const FIXTURES = path.resolve("tests/fixtures/import");
const fixture = (name: string) => path.join(FIXTURES, name);
const RAW = sharedRawDir();

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "marquee-import-"));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function records(file: string): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const record of (await openSource(file)).records) out.push(record);
  return out;
}

async function fileError(promise: Promise<unknown>): Promise<ImportFileError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ImportFileError);
    return error as ImportFileError;
  }
  throw new Error("expected an ImportFileError");
}

describe("reading export files", () => {
  it("reads CSV with a BOM, CRLF line ends, quoted commas, doubled quotes and embedded newlines", async () => {
    const [first] = await records(fixture("movies-quirky.csv"));
    expect(Object.keys(first!.fields)[0]).toBe("id");
    expect(first!.fields.title).toBe("Harbour Lights, Part 1");
    expect(first!.fields.overview).toBe('A lighthouse keeper writes letters.\r\nNobody answers them, until "someone" does.');
  });

  it("numbers CSV records by the line they start on, across multi-line cells and blank lines", async () => {
    const rows = await records(fixture("movies-quirky.csv"));
    expect(rows.map((r) => [r.fields.id, r.line])).toEqual([
      ["101", 2],
      ["102", 4],
      ["103", 6],
      ["104", 7],
      ["105", 8],
      ["", 9],
      ["106", 10],
    ]);
  });

  it("flags CSV rows whose field count differs from the header", async () => {
    const rows = await records(fixture("movies-quirky.csv"));
    expect(rows.find((r) => r.fields.id === "105")!.problem).toMatch(/10 fields where the header has 9/);
    expect(rows.filter((r) => r.problem)).toHaveLength(1);
  });

  it("numbers JSON array elements by the line they start on and flags non-objects", async () => {
    const rows = await records(fixture("movies.json"));
    const text = (await readFile(fixture("movies.json"), "utf8")).split("\n");
    expect(rows.map((r) => r.line)).toEqual([2, 19, 30, 31]);
    expect(text[29]).toContain('"not an object"');
    expect(rows[2]!.problem).toBe("not a JSON object");
  });

  it("reads JSON Lines with their line numbers, skipping blank lines", async () => {
    const rows = await records(fixture("movies.jsonl"));
    expect(rows.map((r) => [r.fields.id, r.line])).toEqual([
      [109, 1],
      [110, 3],
      [111, 4],
    ]);
  });

  it("reads a single TMDB object per file, and the results of a TMDB list page", async () => {
    expect((await records(fixture("singles/201.json"))).map((r) => r.fields.id)).toEqual([201]);
    expect((await records(fixture("page.json"))).map((r) => r.fields.id)).toEqual([501]);
  });

  it("detects the format from the content first, then the extension", () => {
    expect(detectFormat("a.txt", '  [{"id": 1}]')).toBe("json");
    expect(detectFormat("a.jsonl", '{"id": 1}')).toBe("jsonl");
    expect(detectFormat("a.tsv", "id\ttitle")).toBe("tsv");
    expect(detectFormat("a", "id,title")).toBe("csv");
    expect(() => detectFormat("a.json", "id,title")).toThrow(/expected JSON/);
    expect(() => detectFormat("a.csv", "  \n")).toThrow(/empty/);
  });

  it("fails an unparseable CSV naming the file and the line the broken record starts on", async () => {
    const error = await fileError(records(fixture("broken.csv")));
    expect(error.file).toBe(fixture("broken.csv"));
    expect(error.line).toBe(3);
    expect(error.message).toContain(`${fixture("broken.csv")}:3: cannot parse CSV`);
  });

  it("fails invalid JSON naming the file, line and column", async () => {
    const error = await fileError(records(fixture("broken.json")));
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/broken\.json:3: invalid JSON at column \d+/);
  });

  it("expands a directory to its data files, sorted, leaving other files out", async () => {
    const { files, directory } = await expandInput(fixture("singles"));
    expect(directory).toBe(true);
    expect(files.map((f) => path.basename(f))).toEqual(["201.json", "202.json"]);
  });
});

describe("mapping fields", () => {
  const genres = builtInGenres();

  it("reads genre lists in every shape exports use", () => {
    expect(parseGenreValue(["Drama", "Crime"])).toEqual(["Drama", "Crime"]);
    expect(parseGenreValue("Sci-Fi & Fantasy, Drama")).toEqual(["Sci-Fi & Fantasy", "Drama"]);
    expect(parseGenreValue('[{"id": 28, "name": "Action"}]')).toEqual(["Action"]);
    expect(parseGenreValue("[28, 12]")).toEqual([28, 12]);
    expect(parseGenreValue("['Drama', 'Children\\'s']")).toEqual(["Drama", "Children's"]);
    expect(parseGenreValue("[{'id': 16, 'name': 'Animation'}]")).toEqual(["Animation"]);
    expect(parseGenreValue([35, 80])).toEqual([35, 80]);
  });

  it("rejects a genre list it cannot read", () => {
    expect(() => parseGenreValue("[28, 12")).toThrow(RowError);
    expect(parsePythonLiteral("(1, 'a', None)")).toEqual([1, "a", null]);
  });

  it("resolves genre ids through the TV list for series and the movie list for movies", () => {
    expect(resolveGenres("[10765, 18]", "tv", genres).names).toEqual(["Sci-Fi & Fantasy", "Drama"]);
    expect(resolveGenres("[878, 10769]", "movie", genres).names).toEqual(["Science Fiction", "Foreign"]);
    expect(resolveGenres("[10765]", "movie", genres)).toEqual({ names: [], unknownIds: [10765] });
  });

  it("falls back from title to name to original_title, and reads either date column", () => {
    const row = mapRow({ id: "7", original_title: "Original", first_air_date: "17-04-2011", overview: "x", language: "EN" }, "movie", genres);
    expect(row.title).toMatchObject({ id: 7, title: "Original", date: "2011-04-17", language: "en" });
    const series = mapRow({ id: "8", title: "T", name: "N", release_date: "2001-02-03" }, "tv", genres);
    expect(series.title).toMatchObject({ title: "N", date: "2001-02-03" });
  });

  it("routes a row by its kind column, whatever flag its file came under", () => {
    expect(mapRow({ id: 1, kind: "tv" }, "movie", genres).kind).toBe("tv");
    expect(mapRow({ id: 1, media_type: "movie" }, "tv", genres).kind).toBe("movie");
    expect(mapRow({ id: 1, kind: "" }, "tv", genres).kind).toBe("tv");
    expect(() => mapRow({ id: 1, kind: "person" }, "movie", genres)).toThrow(/kind must be/);
  });

  it("keeps only the fields a row has, so empty cells never overwrite other sources", () => {
    const { title } = mapRow({ id: "9", title: "T", overview: "", poster_path: "None", popularity: "" }, "movie", genres);
    expect(title).toEqual({ id: 9, title: "T" });
  });

  it("names the field that makes a row invalid", () => {
    const reason = (fields: Record<string, unknown>) => {
      try {
        mapRow(fields, "movie", genres);
      } catch (error) {
        return (error as RowError).reason;
      }
    };
    expect(reason({ id: "1", release_date: "31-02-2020" })).toBe("invalid_date");
    expect(reason({ id: "x" })).toBe("invalid_id");
    expect(reason({ id: "1", vote_count: "many" })).toBe("invalid_vote_count");
    expect(reason({ id: "1", adult: "perhaps" })).toBe("invalid_adult");
    expect(reason({ title: "no id" })).toBe("missing_id");
  });
});

describe("merging rows that share an id", () => {
  it("takes each field from the freshest row that has it (most votes, then the later row)", () => {
    const merged = mergeTitleRows([
      { seq: 0, title: { id: 1, title: "Old", overview: "Old text", vote_count: 10, popularity: 1, poster_path: "/p.jpg" } },
      { seq: 1, title: { id: 1, title: "New", vote_count: 50, popularity: 9 } },
      { seq: 2, title: { id: 1, overview: "Unranked text" } },
    ]);
    expect(merged).toEqual({ id: 1, title: "New", overview: "Old text", vote_count: 50, popularity: 9, poster_path: "/p.jpg" });
  });

  it("breaks vote_count ties in favour of the later row", () => {
    const merged = mergeTitleRows([
      { seq: 1, title: { id: 1, popularity: 2, vote_count: 5 } },
      { seq: 0, title: { id: 1, popularity: 1, vote_count: 5 } },
    ]);
    expect(merged.popularity).toBe(2);
  });
});

describe("importing the fixtures", () => {
  const goodOptions = (out: string, log: string[]): ImportOptions => ({
    movies: [fixture("movies-quirky.csv"), fixture("movies.json"), fixture("movies.jsonl"), fixture("singles"), fixture("mixed.csv")],
    series: [fixture("series.csv")],
    genres: [fixture("genres-extra.csv")],
    out,
    log: (line) => log.push(line),
  });
  let out: string;
  let catalog: Catalog;
  const log: string[] = [];

  beforeAll(async () => {
    out = await tempDir();
    await importCatalog(goodOptions(out, log));
    catalog = await readCatalog(out);
  });

  const movie = (id: number) => catalog.movies.find((m) => m.id === id);
  const series = (id: number) => catalog.series.find((s) => s.id === id);

  it("imports every valid title once, from all formats", () => {
    expect(catalog.movies.map((m) => m.id).sort((a, b) => a - b)).toEqual([101, 102, 107, 108, 109, 110, 111, 201, 202, 301]);
    expect(catalog.series.map((s) => s.id).sort((a, b) => a - b)).toEqual([302, 401, 402]);
  });

  it("parses DD-MM-YYYY and DD/MM/YYYY dates", () => {
    expect(movie(101)!.release_date).toBe("1999-12-24");
    expect(movie(111)!.release_date).toBe("2021-04-03");
    expect(series(401)!.first_air_date).toBe("2011-04-17");
  });

  it("keeps multi-line overviews with plain newlines and unescaped quotes", () => {
    expect(movie(101)!.overview).toBe('A lighthouse keeper writes letters.\nNobody answers them, until "someone" does.');
  });

  it("merges duplicates field by field: fresher figures, non-empty text and paths", () => {
    expect(movie(102)).toMatchObject({
      overview: "An orchard keeps a family together.",
      poster_path: "/orchard.jpg",
      popularity: 9.5,
      vote_count: 150,
      genre_names: ["Drama", "Family"],
    });
  });

  it("sends kind=tv rows of a --movies file to series, merged with the series file's row", () => {
    expect(movie(302)).toBeUndefined();
    expect(series(302)).toMatchObject({
      name: "Mixed Show",
      overview: "A show in a mixed file.",
      genre_names: ["Sci-Fi & Fantasy", "Drama"],
      poster_path: "/mixed.jpg",
    });
  });

  it("resolves genre ids through an extra genre map whose id column has no header", () => {
    expect(movie(107)!.genre_names).toEqual(["Custom Genre"]);
    expect(movie(107)!.title).toBe("Le Titre Original");
  });

  it("reads genres from JSON strings and Python-ish lists", () => {
    expect(movie(109)!.genre_names).toEqual(["Action", "Adventure"]);
    expect(movie(110)!.genre_names).toEqual(["Action", "Adventure"]);
    expect(movie(111)!.genre_names).toEqual(["Drama", "Crime"]);
  });

  it("keeps the adult flag and derives age_appropriate from it", () => {
    expect(movie(108)).toMatchObject({ adult: true, age_appropriate: false });
    expect(movie(201)).toMatchObject({ adult: false, age_appropriate: true });
  });

  it("reports each bad row as file:line with its reason", () => {
    const quirky = fixture("movies-quirky.csv");
    expect(log).toContain(`${quirky}:6: skipped row (movies_invalid_date): impossible date "31-02-2020"`);
    expect(log.some((l) => l.startsWith(`${quirky}:8: skipped row (movies_malformed_row)`))).toBe(true);
    expect(log.some((l) => l.startsWith(`${quirky}:9: skipped row (movies_missing_id)`))).toBe(true);
    expect(log.some((l) => l.startsWith(`${quirky}:10: skipped row (movies_invalid_language)`))).toBe(true);
    expect(log.some((l) => l.startsWith(`${fixture("movies.json")}:30: skipped row (movies_malformed_row)`))).toBe(true);
    expect(log.some((l) => l.startsWith(`${fixture("mixed.csv")}:4: skipped row (movies_unknown_kind)`))).toBe(true);
  });

  it("prints rows read, kept and skipped for each file", () => {
    expect(log).toContain(
      `${fixture("movies-quirky.csv")}: csv, 7 rows read, 3 kept, 4 skipped (movies_invalid_date: 1, movies_malformed_row: 1, movies_missing_id: 1, movies_invalid_language: 1)`,
    );
    expect(log).toContain(`${fixture("singles")}: 2 files, 2 rows read, 2 kept, 0 skipped`);
  });

  it("counts skipped rows by reason and titles without overview in meta.dropped", async () => {
    const meta = await readCatalogMeta(out);
    expect(meta.dropped).toEqual({
      movies_without_overview: 1,
      series_without_overview: 1,
      movies_invalid_date: 1,
      movies_malformed_row: 2,
      movies_missing_id: 1,
      movies_invalid_language: 1,
      movies_unknown_kind: 1,
    });
  });

  it("writes meta with source, time, counts, the files imported and language names", async () => {
    const meta = await readCatalogMeta(out);
    expect(meta.source).toBe("import");
    expect(Date.now() - Date.parse(meta.fetched_at)).toBeLessThan(60_000);
    expect(meta.counts).toEqual({ movies: 10, series: 3 });
    expect(meta.notes!.some((n) => n.startsWith(`movies: ${fixture("movies.jsonl")}:`))).toBe(true);
    expect(meta.notes!.some((n) => n.startsWith(`series: ${fixture("series.csv")}:`))).toBe(true);
    expect(meta.language_names).toEqual({ en: "English", fr: "French", de: "German", es: "Spanish", ja: "Japanese", ko: "Korean" });
  });

  it("warns about genre ids no list knows instead of dropping the row", async () => {
    const lines: string[] = [];
    const result = await importCatalog({ ...goodOptions(await tempDir(), lines), genres: [] });
    expect(result.report.unknownGenreIds).toEqual({ "99999": 1 });
    expect(lines.some((l) => l.includes("99999 (1 rows)"))).toBe(true);
    expect(result.meta.counts.movies).toBe(10);
  });

  it("fails a file without an id column, names it, and writes nothing", async () => {
    const dir = path.join(await tempDir(), "catalog");
    const options = { ...goodOptions(dir, []), movies: [fixture("no-id.csv"), fixture("singles")] };
    await expect(importCatalog(options)).rejects.toThrow(/no-id\.csv: no id column \(columns: title, overview, release_date\)/);
    expect(existsSync(dir)).toBe(false);
  });

  it("leaves an existing catalogue untouched when a file cannot be parsed", async () => {
    const before = await readFile(path.join(out, "meta.json"), "utf8");
    const options = { ...goodOptions(out, []), movies: [fixture("broken.json"), fixture("singles")] };
    await expect(importCatalog(options)).rejects.toThrow(ImportError);
    expect(await readFile(path.join(out, "meta.json"), "utf8")).toBe(before);
  });

  it("imports the other files when skipBadFiles is set, listing the skipped ones in meta.notes", async () => {
    const options = { ...goodOptions(await tempDir(), []), movies: [fixture("broken.csv"), fixture("no-id.csv"), fixture("singles")], skipBadFiles: true };
    const { meta, report } = await importCatalog(options);
    expect(meta.counts.movies).toBe(2);
    expect(report.failedFiles.map((f) => path.basename(f.file))).toEqual(["broken.csv", "no-id.csv"]);
    expect(meta.notes!.filter((n) => n.startsWith("skipped file:"))).toHaveLength(2);
  });

  it("refuses to write a catalogue without series", async () => {
    const options = { ...goodOptions(await tempDir(), []), movies: [fixture("singles")], series: [] };
    await expect(importCatalog(options)).rejects.toThrow(/no series to import/);
  });
});

describe("the data:import command line", () => {
  it("collects the paths after each list flag", () => {
    expect(parseCliArguments(["--movies", "a.csv", "b", "--series", "c.csv", "--genres=g.csv", "--out", "o", "--skip-bad-files"])).toEqual({
      movies: ["a.csv", "b"],
      series: ["c.csv"],
      genres: ["g.csv"],
      out: "o",
      skipBadFiles: true,
      help: false,
    });
  });

  it("rejects paths that follow no list flag, unknown flags and an empty command", () => {
    expect(() => parseCliArguments(["--out", "o", "stray.csv"])).toThrow(/unexpected argument "stray.csv"/);
    expect(() => parseCliArguments(["--movies", "a.csv", "--film", "b"])).toThrow(/film/);
    expect(() => parseCliArguments([])).toThrow(/at least one file/);
  });

  it("prints the usage and exits 2 on bad arguments", async () => {
    const result = await run("node_modules/.bin/tsx", ["scripts/data-import.ts", "--out"]).catch((error) => error);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Usage: npm run data:import/);
  });
});

// ---- the real export files ---------------------------------------------------------------------

const SOURCES = {
  top10k: `${RAW}/vartika51__recommender-system/top10K-TMDB-movies.csv`,
  t5k: `${RAW}/kashishdatta__MovieRecommender/tmdb_5000_movies.csv`,
  rr: `${RAW}/royrusso__sample_tmdb_dataset/data`,
  mu: `${RAW}/MustakimHF__Content-Strategy-Insights/data/tmdb_popular.csv`,
  bh: `${RAW}/bhavyarathore11__NETFLIX-Entertainment-recommender-App-/tv_shows.csv`,
  cs: `${RAW}/cschupbach__tmdb/data/raw/tv_series.csv`,
  muGenres: `${RAW}/MustakimHF__Content-Strategy-Insights/data/genres_map.csv`,
  csGenres: `${RAW}/cschupbach__tmdb/data/raw/tv_genres.csv`,
  anuragMovies: `${RAW}/Anurag-AI-sys__movies_tv_data_ingestion/top_rated_movies.csv`,
  anuragTv: `${RAW}/Anurag-AI-sys__movies_tv_data_ingestion/top_rated_tv.csv`,
  snandana: `${RAW}/snandana115-byte__ensemble_learning/top_rated_tv.csv`,
};

if (!existsSync(RAW)) console.warn(`import tests over real data skipped: ${RAW} is absent (set MARQUEE_RAW_DIR to point at the raw TMDB data)`);

async function rawRows(file: string): Promise<Record<string, string>[]> {
  return parseCsvSync(await readFile(file), { columns: true, bom: true }) as Record<string, string>[];
}

/** Ids per medium and which of them have an overview somewhere, computed straight from the files. */
async function expectedIds() {
  const movies = new Map<number, boolean>();
  const series = new Map<number, boolean>();
  const add = (map: Map<number, boolean>, id: unknown, overview: unknown) =>
    map.set(Number(id), (map.get(Number(id)) ?? false) || String(overview ?? "").trim() !== "");
  for (const row of [...(await rawRows(SOURCES.top10k)), ...(await rawRows(SOURCES.t5k))]) add(movies, row.id, row.overview);
  for (const name of await readdir(SOURCES.rr)) {
    const object = JSON.parse(await readFile(path.join(SOURCES.rr, name), "utf8"));
    add(movies, object.id, object.overview);
  }
  for (const row of await rawRows(SOURCES.mu)) add(row.kind === "tv" ? series : movies, row.id, row.overview);
  for (const row of [...(await rawRows(SOURCES.bh)), ...(await rawRows(SOURCES.cs))]) add(series, row.id, row.overview);
  const withOverview = (map: Map<number, boolean>) => [...map.values()].filter(Boolean).length;
  return { movies: { ids: movies.size, kept: withOverview(movies) }, series: { ids: series.size, kept: withOverview(series) } };
}

describe.skipIf(!existsSync(RAW))("importing the real TMDB exports", () => {
  let out: string;
  let stderr: string;
  let catalog: Catalog;

  // One end-to-end run of the CLI over every raw file, the id-less ones included.
  beforeAll(async () => {
    out = await tempDir();
    const args = [
      "scripts/data-import.ts",
      "--movies", SOURCES.t5k, SOURCES.top10k, SOURCES.mu, SOURCES.rr, SOURCES.anuragMovies,
      "--series", SOURCES.cs, SOURCES.bh, SOURCES.anuragTv, SOURCES.snandana,
      "--genres", SOURCES.muGenres, SOURCES.csGenres,
      "--out", out,
      "--skip-bad-files",
    ];
    const result = await run("node_modules/.bin/tsx", args, { maxBuffer: 64 * 1024 * 1024 });
    stderr = result.stderr;
    catalog = await readCatalog(out);
  });

  it("keeps every id with an overview in some source, once", async () => {
    const expected = await expectedIds();
    const meta = await readCatalogMeta(out);
    expect(meta.counts).toEqual({ movies: expected.movies.kept, series: expected.series.kept });
    expect(meta.dropped.movies_without_overview).toBe(expected.movies.ids - expected.movies.kept);
    expect(meta.dropped.series_without_overview).toBe(expected.series.ids - expected.series.kept);
    expect(new Set(catalog.movies.map((m) => m.id)).size).toBe(catalog.movies.length);
  });

  it("parses the DD-MM-YYYY dates of shows only the bhavyarathore11 file has", async () => {
    const others = new Set([...(await rawRows(SOURCES.cs)), ...(await rawRows(SOURCES.mu))].map((r) => Number(r.id)));
    const bhOnly = (await rawRows(SOURCES.bh)).filter((r) => !others.has(Number(r.id)));
    expect(bhOnly.length).toBeGreaterThan(0);
    const byId = new Map(catalog.series.map((s) => [s.id, s]));
    for (const row of bhOnly) {
      const [day, month, year] = row.first_air_date!.split("-");
      expect(byId.get(Number(row.id))?.first_air_date).toBe(`${year}-${month}-${day}`);
    }
  });

  it("fills a well-known movie from its freshest and most complete sources", async () => {
    const rr = JSON.parse(await readFile(path.join(SOURCES.rr, "278.json"), "utf8"));
    const voteCounts = [rr.vote_count, ...[...(await rawRows(SOURCES.top10k)), ...(await rawRows(SOURCES.t5k))].filter((r) => r.id === "278").map((r) => Number(r.vote_count))];
    const shawshank = catalog.movies.find((m) => m.id === 278)!;
    expect(shawshank).toMatchObject({
      title: rr.title,
      release_date: rr.release_date,
      poster_path: rr.poster_path,
      backdrop_path: rr.backdrop_path,
      language: "en",
      vote_count: Math.max(...voteCounts),
    });
    expect(shawshank.genre_names).toEqual(expect.arrayContaining(["Drama", "Crime"]));
  });

  it("maps the TV genre ids of the mixed file through the TV genre list", async () => {
    const others = new Set([...(await rawRows(SOURCES.cs)), ...(await rawRows(SOURCES.bh))].map((r) => Number(r.id)));
    const tvNames = new Map(TV_GENRES.map((g) => [g.id, g.name]));
    const muOnly = (await rawRows(SOURCES.mu)).filter((r) => r.kind === "tv" && r.overview!.trim() !== "" && !others.has(Number(r.id)));
    expect(muOnly.some((r) => r.genre_ids!.includes("10765"))).toBe(true);
    const byId = new Map(catalog.series.map((s) => [s.id, s]));
    for (const row of muOnly) {
      const expected = (JSON.parse(row.genre_ids!) as number[]).map((id) => tvNames.get(id));
      expect(byId.get(Number(row.id))?.genre_names).toEqual(expected);
    }
  });

  it("skips the files without ids, naming each, and reports progress per file", () => {
    for (const file of [SOURCES.anuragMovies, SOURCES.anuragTv, SOURCES.snandana]) {
      expect(stderr).toContain(`skipping ${file}: no id column`);
    }
    expect(stderr).toContain(`${SOURCES.top10k}: csv, 10000 rows read, 10000 kept, 0 skipped`);
    expect(stderr).toMatch(/data:import: wrote \d+ movies and \d+ series/);
  });

  it("writes Parquet that DuckDB reads back with the catalogue's column types", async () => {
    const connection = await connectDuckDB();
    try {
      for (const [file, columns] of [["movies.parquet", MOVIE_COLUMNS], ["series.parquet", SERIES_COLUMNS]] as const) {
        const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(path.join(out, file))})`)).getRowObjectsJS();
        expect(described.map((c) => [c.column_name, c.column_type])).toEqual(columns.map(([name, type]) => [name, type]));
      }
    } finally {
      connection.closeSync();
    }
  });

  it("fails with a one-line error and exit code 1 when an id-less file is given without --skip-bad-files", async () => {
    const dir = path.join(await tempDir(), "catalog");
    const args = ["scripts/data-import.ts", "--movies", SOURCES.anuragMovies, "--series", SOURCES.bh, "--out", dir];
    const result = await run("node_modules/.bin/tsx", args, { maxBuffer: 64 * 1024 * 1024 }).catch((error) => error);
    expect(result.code).toBe(1);
    const errorLines = (result.stderr as string).split("\n").filter((l) => l.startsWith("data:import: error:"));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain(`${SOURCES.anuragMovies}: no id column`);
    expect(existsSync(dir)).toBe(false);
  });
});
