// refreshFromTmdb: paging, normalising, what a failed refresh leaves behind, the files it
// writes, and refreshes over real TMDB results when ../shared/data/raw has them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { MOVIE_COLUMNS, SERIES_COLUMNS } from "../../../lib/catalog.ts";
import { connectDuckDB, readCatalog, sqlPath } from "../../../loaders/catalog/store.ts";
import { TmdbAuthError, TmdbUnavailableError } from "../../../loaders/tmdb/client.ts";
import { makeTitles, type MockTitle, type MockTmdb } from "../../helpers/mock-tmdb.ts";
import {
  API_KEY,
  RAW,
  discoverRequests,
  everything,
  logger,
  mock,
  refresh,
  rejection,
  snapshot,
  tempDir,
  useTmdbTestEnvironment,
} from "./tmdb-fixtures.ts";

useTmdbTestEnvironment();

describe("refreshFromTmdb", () => {
  it("pages through discover until it has the requested counts, most popular first", async () => {
    const server = await mock({ movies: makeTitles("movie", 300), tv: makeTitles("tv", 100) });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 130, series: 45 });
    const catalog = await readCatalog(dir);
    expect(meta.counts).toEqual({ movies: 130, series: 45 });
    expect(catalog.movies.map((m) => m.id)).toEqual(makeTitles("movie", 130).map((m) => m.id));
    expect(catalog.series.map((s) => s.id)).toEqual(makeTitles("tv", 45).map((s) => s.id));
    // 7 pages of 20 for 130 movies, 3 for 45 series.
    expect(discoverRequests(server, "movie").map((r) => Number(r.query.page))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(discoverRequests(server, "tv")).toHaveLength(3);
  });

  it("asks discover for popularity order with adult titles and the overview language", async () => {
    const server = await mock({ movies: makeTitles("movie", 50), tv: makeTitles("tv", 50) });
    await refresh(server, { outDir: await tempDir(), movies: 10, series: 10, language: "fr-FR" });
    for (const request of [...discoverRequests(server, "movie"), ...discoverRequests(server, "tv")]) {
      expect(request.query).toMatchObject({ sort_by: "popularity.desc", include_adult: "true", language: "fr-FR" });
    }
    const genreRequest = server.requests.find((r) => r.path === "/genre/movie/list");
    expect(genreRequest?.query.language).toBe("en-US");
  });

  it("writes meta with the source, counts, language names and request count", async () => {
    const server = await mock({ movies: makeTitles("movie", 50), tv: makeTitles("tv", 50) });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 30, series: 10, language: "en-US" });
    const written = JSON.parse(await readFile(path.join(dir, "meta.json"), "utf8"));
    expect(written).toEqual(meta);
    expect(meta).toMatchObject({ source: "tmdb", overview_language: "en-US", counts: { movies: 30, series: 10 } });
    expect(meta.language_names).toMatchObject({ en: "English", ko: "Korean", xx: "No Language" });
    expect(meta.requests).toBe(server.requests.length);
    expect(Date.now() - Date.parse(meta.fetched_at)).toBeLessThan(60_000);
  });

  it("drops titles without an overview and counts them, still reaching the target", async () => {
    const server = await mock({ movies: makeTitles("movie", 100, { withoutOverviewEvery: 4 }), tv: makeTitles("tv", 30) });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 45, series: 10 });
    const catalog = await readCatalog(dir);
    expect(catalog.movies).toHaveLength(45);
    expect(catalog.movies.every((m) => m.overview.length > 0)).toBe(true);
    // Every 4th title lacks an overview: the 45th kept is title 59, after 14 dropped (4, 8, ..., 56).
    expect(meta.dropped.movies_without_overview).toBe(14);
  });

  it("skips results missing an id or a title and counts them", async () => {
    const server = await mock({
      movies: makeTitles("movie", 20),
      tv: makeTitles("tv", 20),
      transformPage: (kind, page, results) =>
        kind === "movie" && page === 1 ? [{ title: "No id" }, { id: 5, overview: "no title" }, ...results] : results,
    });
    const { meta } = await refresh(server, { outDir: await tempDir(), movies: 20, series: 5 });
    expect(meta.counts.movies).toBe(20);
    expect(meta.dropped.movies_missing_fields).toBe(2);
  });

  it("maps genre ids to names, dropping and counting unknown ids", async () => {
    const movies: MockTitle[] = makeTitles("movie", 3).map((m, i) => ({ ...m, genre_ids: i === 0 ? [28, 878, 99999] : [18] }));
    const server = await mock({ movies, tv: makeTitles("tv", 3).map((s) => ({ ...s, genre_ids: [10765, 18] })) });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 3, series: 3 });
    const catalog = await readCatalog(dir);
    expect(catalog.movies[0].genre_names).toEqual(["Action", "Science Fiction"]);
    expect(catalog.series[0].genre_names).toEqual(["Sci-Fi & Fantasy", "Drama"]);
    expect(meta.dropped.movies_unknown_genre_ids).toBe(1);
  });

  it("keeps adult titles, flagged and not age-appropriate", async () => {
    const server = await mock({ movies: makeTitles("movie", 20, { adultEvery: 5 }), tv: makeTitles("tv", 5) });
    const dir = await tempDir();
    await refresh(server, { outDir: dir, movies: 20, series: 5 });
    const adult = (await readCatalog(dir)).movies.filter((m) => m.adult);
    expect(adult).toHaveLength(4);
    expect(adult.every((m) => !m.age_appropriate)).toBe(true);
  });

  it("keeps the first, most popular sighting of an id that shifts to a later page", async () => {
    const titles = makeTitles("movie", 100);
    const shifted = titles[19];
    const server = await mock({
      movies: titles,
      tv: makeTitles("tv", 5),
      // Between page 1 and page 2 the last title of page 1 lost popularity and moved down.
      transformPage: (kind, page, results) =>
        kind === "movie" && page === 2 ? [{ ...shifted, popularity: 0.5 }, ...results.slice(0, 19)] : results,
    });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 50, series: 5 });
    const movies = (await readCatalog(dir)).movies;
    expect(new Set(movies.map((m) => m.id)).size).toBe(movies.length);
    expect(movies.find((m) => m.id === shifted.id)?.popularity).toBe(shifted.popularity);
    expect(meta.dropped.movies_duplicates).toBe(1);
    expect(movies).toHaveLength(50);
  });

  it("stops when TMDB runs out of titles, keeping what there is", async () => {
    const server = await mock({ movies: makeTitles("movie", 33), tv: makeTitles("tv", 8) });
    const { meta } = await refresh(server, { outDir: await tempDir(), movies: 1000, series: 1000 });
    expect(meta.counts).toEqual({ movies: 33, series: 8 });
    expect(discoverRequests(server, "movie")).toHaveLength(2);
  });

  it("reports progress every N pages and a summary with requests and retries", async () => {
    const server = await mock({ movies: makeTitles("movie", 200), tv: makeTitles("tv", 40) });
    server.fail({ path: "/discover/movie", page: 3 }, { kind: "status", status: 502 });
    const logged = logger();
    await refresh(server, { outDir: await tempDir(), movies: 200, series: 40, progressEvery: 5, log: logged.log });
    expect(logged.lines).toContain("movies: page 5/10, 100 rows");
    expect(logged.lines.some((line) => /\/discover\/movie page 3: HTTP 502; retry 1\/4/.test(line))).toBe(true);
    expect(logged.lines.at(-1)).toMatch(/wrote 200 movies and 40 series to .*; \d+ requests \(1 retries\) in [\d.]+ s$/);
  });
});

describe("a failed refresh", () => {
  async function previousCatalogue(server: MockTmdb): Promise<{ dir: string; before: Map<string, Buffer> }> {
    const dir = await tempDir();
    await refresh(server, { outDir: dir, movies: 30, series: 10 });
    return { dir, before: await snapshot(dir) };
  }

  it("on 401 leaves the previous catalogue byte-identical, with no temp files and no key in the error", async () => {
    const server = await mock({ movies: makeTitles("movie", 100), tv: makeTitles("tv", 50) });
    const { dir, before } = await previousCatalogue(server);
    server.fail({ path: "/discover/tv", page: 2 }, { kind: "status", status: 401, body: { status_code: 7, status_message: "Invalid API key" } });
    const error = await rejection(refresh(server, { outDir: dir, movies: 60, series: 40 }));
    expect(error).toBeInstanceOf(TmdbAuthError);
    expect(everything(error)).not.toContain(API_KEY);
    expect(await snapshot(dir)).toEqual(before);
  });

  it("when interrupted leaves the previous catalogue byte-identical, with no temp files", async () => {
    const controller = new AbortController();
    const server = await mock({
      movies: makeTitles("movie", 200),
      tv: makeTitles("tv", 50),
      transformPage: (kind, page, results) => {
        if (kind === "movie" && page === 6) controller.abort();
        return results;
      },
    });
    const { dir, before } = await previousCatalogue(server);
    const error = await rejection(refresh(server, { outDir: dir, movies: 180, series: 40, signal: controller.signal }));
    expect(error.name).toBe("AbortError");
    expect(await snapshot(dir)).toEqual(before);
  });

  it("after exhausting retries on a server error leaves the previous catalogue byte-identical", async () => {
    const server = await mock({ movies: makeTitles("movie", 100), tv: makeTitles("tv", 50) });
    const { dir, before } = await previousCatalogue(server);
    server.fail({ path: "/discover/movie", page: 3 }, { kind: "status", status: 500 }, Infinity);
    const error = await rejection(refresh(server, { outDir: dir, movies: 60, series: 10, extra: { maxAttempts: 3 } }));
    expect(error).toBeInstanceOf(TmdbUnavailableError);
    expect(await snapshot(dir)).toEqual(before);
  });

  it("writes nothing at all into a new directory", async () => {
    const server = await mock({ movies: makeTitles("movie", 100), tv: makeTitles("tv", 50) });
    server.fail({ path: "/genre/tv/list" }, { kind: "missing-results" });
    const dir = path.join(await tempDir(), "catalog");
    await rejection(refresh(server, { outDir: dir }));
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});

describe("the catalogue a refresh writes", () => {
  it("reads back in DuckDB with the schema's column types", async () => {
    const server = await mock({ movies: makeTitles("movie", 30, { adultEvery: 7 }), tv: makeTitles("tv", 10) });
    const dir = await tempDir();
    await refresh(server, { outDir: dir, movies: 30, series: 10 });
    const connection = await connectDuckDB();
    try {
      const describeFile = async (file: string) =>
        (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(path.join(dir, file))})`))
          .getRowObjectsJS()
          .map((row) => [row.column_name, row.column_type]);
      expect(await describeFile("movies.parquet")).toEqual(MOVIE_COLUMNS.map(([name, type]) => [name, type]));
      expect(await describeFile("series.parquet")).toEqual(SERIES_COLUMNS.map(([name, type]) => [name, type]));
    } finally {
      connection.closeSync();
    }
  });

  it("round-trips every field of a title", async () => {
    const titles = makeTitles("movie", 5);
    const server = await mock({
      movies: titles,
      tv: makeTitles("tv", 5),
      detailsFor: (_kind, title) => ({
        ...title,
        keywords: { keywords: [{ id: 1, name: "lighthouse" }] },
        belongs_to_collection: { id: 2, name: "Harbour Collection" },
        production_companies: [{ id: 3, name: "Tall Pine Entertainment" }],
        credits: {
          cast: [{ name: "Second Billed", order: 1 }, { name: "First Billed", order: 0 }],
          crew: [{ name: "A Director", job: "Director" }, { name: "A Writer", job: "Screenplay" }],
        },
      }),
    });
    const dir = await tempDir();
    await refresh(server, { outDir: dir, movies: 5, series: 5 });
    const first = (await readCatalog(dir)).movies[0];
    expect(first).toEqual({
      id: titles[0].id,
      title: titles[0].title,
      overview: titles[0].overview,
      release_date: titles[0].release_date,
      popularity: titles[0].popularity,
      vote_average: titles[0].vote_average,
      vote_count: titles[0].vote_count,
      genre_names: ["Action", "Comedy"],
      language: "en",
      adult: false,
      age_appropriate: true,
      poster_path: titles[0].poster_path,
      backdrop_path: null,
      keywords: ["lighthouse"],
      collection: "Harbour Collection",
      companies: ["Tall Pine Entertainment"],
      directors: ["A Director"],
      writers: ["A Writer"],
      cast: ["First Billed", "Second Billed"],
      providers: expect.any(String),
    });
    // Film 1 (id 100000) streams in US and GB and rents in DE; JP is not among the default regions, FR has nothing.
    expect(JSON.parse(first.providers!)).toEqual({
      links: {
        DE: "https://www.themoviedb.org/movie/100000-mock/watch?locale=DE",
        GB: "https://www.themoviedb.org/movie/100000-mock/watch?locale=GB",
        US: "https://www.themoviedb.org/movie/100000-mock/watch?locale=US",
      },
      offers: [
        { region: "DE", kind: "rent", provider: "Canal Mock", logo_path: "/logo3.jpg" },
        { region: "GB", kind: "flatrate", provider: "Disney Mock", logo_path: "/logo2.jpg" },
        { region: "US", kind: "flatrate", provider: "Mockflix", logo_path: "/logo0.jpg" },
        { region: "US", kind: "rent", provider: "Prime Mock", logo_path: "/logo1.jpg" },
        { region: "US", kind: "buy", provider: "Prime Mock", logo_path: "/logo1.jpg" },
      ],
    });
  });
});

const ROYRUSSO = path.join(RAW, "royrusso__sample_tmdb_dataset/data");
const CSCHUPBACH = path.join(RAW, "cschupbach__tmdb/data/raw/tv_series.csv");
const haveRaw = existsSync(ROYRUSSO) && existsSync(CSCHUPBACH);
if (!haveRaw) console.warn(`skipping the real-TMDB-data refresh test: ${ROYRUSSO} or ${CSCHUPBACH} is absent`);

describe.skipIf(!haveRaw)("a refresh over real TMDB results", () => {
  it("keeps every real movie and series result, with TMDB's genre names", async () => {
    const movies = readdirSync(ROYRUSSO)
      .filter((file) => file.endsWith(".json"))
      .map((file) => JSON.parse(readFileSync(path.join(ROYRUSSO, file), "utf8")) as MockTitle);
    const rows = parseCsv(readFileSync(CSCHUPBACH), { columns: true }) as Record<string, string>[];
    const tv = rows.map((row) => ({
      ...row,
      id: Number(row.id),
      popularity: Number(row.popularity),
      vote_average: Number(row.vote_average),
      vote_count: Number(row.vote_count),
      genre_ids: JSON.parse(row.genre_ids) as number[],
    }));
    const server = await mock({ movies, tv });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: movies.length, series: tv.length });
    expect(meta.counts).toEqual({ movies: movies.length, series: tv.length });
    const catalog = await readCatalog(dir);
    expect(catalog.movies.find((m) => m.id === 100)?.genre_names).toEqual(["Comedy", "Crime"]);
    expect(catalog.series.find((s) => s.id === 1399)?.genre_names).toEqual(["Drama", "Sci-Fi & Fantasy"]);
  });
});

const TOP10K = path.join(RAW, "vartika51__recommender-system/top10K-TMDB-movies.csv");
if (!existsSync(TOP10K)) console.warn(`skipping the real-popularity top-N test past the page cap: ${TOP10K} is absent`);

describe.skipIf(!existsSync(TOP10K))("a refresh past the page cap over real TMDB popularity and release dates", () => {
  it("returns exactly the N most popular of Kaggle's top 10,000 movies", async () => {
    const rows = parseCsv(readFileSync(TOP10K), { columns: true }) as Record<string, string>[];
    const movies: MockTitle[] = rows.map((row) => ({
      ...row,
      id: Number(row.id),
      popularity: Number(row.popularity),
      vote_average: Number(row.vote_average),
      vote_count: Number(row.vote_count),
      genre_ids: [],
    }));
    // Five results a page put the cap at 2,500 titles; the target needs 3,000. Real popularity
    // leans to recent titles without following the date, unlike the synthetic data above.
    const server = await mock({ movies, tv: makeTitles("tv", 5), pageSize: 5 });
    const dir = await tempDir();
    await refresh(server, { outDir: dir, movies: 3000, series: 5 });
    const expected = server.ranking("movie").filter((t) => String(t.overview).trim() !== "").slice(0, 3000);
    expect((await readCatalog(dir)).movies.map((m) => m.id)).toEqual(expected.map((t) => t.id));
  });
});
