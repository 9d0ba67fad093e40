// Refreshes that go past TMDB's 500-page cap in date windows, and the date windows themselves.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Catalog } from "../../../lib/catalog.ts";
import { readCatalog } from "../../../loaders/catalog/store.ts";
import { inWindow, rootWindow, splitWindow } from "../../../loaders/tmdb/windows.ts";
import { makeTitles, startMockTmdb, type MockTmdb } from "../../helpers/mock-tmdb.ts";
import { API_KEY, discoverRequests, logger, mock, refresh, tempDir, useTmdbTestEnvironment } from "./tmdb-fixtures.ts";

useTmdbTestEnvironment();

describe("a refresh deeper than TMDB's 500-page cap", () => {
  // Two results a page make the 500-page cap 1,000 titles deep, so going past it is cheap.
  const PAGE_SIZE = 2;
  const MOVIES = 1500;
  const SERIES = 1100;
  let server: MockTmdb;
  let dir: string;
  let catalog: Catalog;
  let lines: string[];

  const windowsOf = (requests: MockTmdb["requests"], field: string) =>
    new Set(requests.map((r) => `${r.query[`${field}.gte`] ?? ""}..${r.query[`${field}.lte`] ?? ""}`));

  /** The first `count` titles the catalogue keeps (with an overview) in the mock's own discover order, and how deep the last one ranks. */
  function expectedTop(server: MockTmdb, kind: "movie" | "tv", count: number, leaveOut: Set<number> = new Set()) {
    const ranking = server.ranking(kind);
    const kept = ranking.filter((t) => t.overview !== "" && !leaveOut.has(t.id)).slice(0, count);
    return { ids: kept.map((t) => t.id), depth: ranking.indexOf(kept[count - 1]) + 1 };
  }

  beforeAll(async () => {
    // Popularity says nothing about the date here, so no date window holds the top on its own.
    const movies = makeTitles("movie", 3000, { withoutOverviewEvery: 9, adultEvery: 50 });
    // Undated titles within the unfiltered query's reach, and dates outside 1870..next year.
    for (const i of [3, 400, 990]) movies[i].release_date = "";
    movies[1300].release_date = "1861-06-01";
    movies[1450].release_date = "2031-05-01";
    server = await startMockTmdb({ apiKey: API_KEY, movies, tv: makeTitles("tv", 1500), pageSize: PAGE_SIZE });
    dir = await mkdtemp(path.join(tmpdir(), "marquee-tmdb-test-"));
    const logged = logger();
    await refresh(server, { outDir: dir, movies: MOVIES, series: SERIES, log: logged.log });
    catalog = await readCatalog(dir);
    lines = logged.lines;
  });

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("returns exactly the N most popular movies of the mock's data set, most popular first", () => {
    expect(catalog.movies.map((m) => m.id)).toEqual(expectedTop(server, "movie", MOVIES).ids);
  });

  it("returns exactly the N most popular series, through first_air_date windows", () => {
    expect(catalog.series.map((s) => s.id)).toEqual(expectedTop(server, "tv", SERIES).ids);
    const tv = discoverRequests(server, "tv");
    expect(windowsOf(tv, "first_air_date").size).toBeGreaterThan(2);
    expect(tv.some((r) => Object.keys(r.query).some((name) => name.startsWith("primary_release_date")))).toBe(false);
  });

  it("keeps every id once and counts no duplicates where windows resume after ranks already read", async () => {
    const ids = catalog.movies.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const meta = JSON.parse(await readFile(path.join(dir, "meta.json"), "utf8"));
    expect(meta.dropped).toMatchObject({ movies_duplicates: 0, series_duplicates: 0 });
  });

  it("asks every window for popularity order and never for a page past 500", () => {
    const requests = [...discoverRequests(server, "movie"), ...discoverRequests(server, "tv")];
    expect(requests.every((r) => r.query.sort_by === "popularity.desc" && Number(r.query.page) <= 500)).toBe(true);
  });

  it("sends close to the minimum number of requests", () => {
    for (const [kind, count, field] of [["movie", MOVIES, "primary_release_date"], ["tv", SERIES, "first_air_date"]] as const) {
      const requests = discoverRequests(server, kind);
      const windows = windowsOf(requests, field).size;
      // No strategy reads the top `depth` results in fewer than depth / PAGE_SIZE pages. Each
      // window may add a page whose first results were known from the query it was split from,
      // a page read past its last useful result, and one for a round's concurrent requests.
      const minimum = Math.ceil(expectedTop(server, kind, count).depth / PAGE_SIZE);
      expect(requests.length).toBeGreaterThanOrEqual(minimum);
      expect(requests.length).toBeLessThanOrEqual(minimum + 3 * windows);
      // Windows are split only when they are needed past the cap, so they stay few.
      expect(windows).toBeLessThanOrEqual(12);
    }
  });

  it("says on its log that it continues in date windows", () => {
    expect(lines).toContainEqual(expect.stringMatching(/^movies: reached TMDB's 500-page cap .* continuing in date windows by primary_release_date/));
  });

  it("starts date windows only when the target needs more than the first 500 pages", async () => {
    const small = await mock({ movies: makeTitles("movie", 3000), tv: makeTitles("tv", 10), pageSize: PAGE_SIZE });
    const out = await tempDir();
    await refresh(small, { outDir: out, movies: 950, series: 5 });
    const requests = discoverRequests(small, "movie");
    expect(windowsOf(requests, "primary_release_date")).toEqual(new Set([".."]));
    expect(requests).toHaveLength(475);
    expect((await readCatalog(out)).movies.map((m) => m.id)).toEqual(expectedTop(small, "movie", 950).ids);
  });

  it("takes undated titles from the unfiltered query only, and reports those below its cap as out of reach", async () => {
    const movies = makeTitles("movie", 2000);
    // Date filters leave undated titles out, so only the unfiltered top 1,000 can hold them.
    for (const i of [10, 1100, 1200]) movies[i].release_date = null;
    const undated = await mock({ movies, tv: makeTitles("tv", 10), pageSize: PAGE_SIZE });
    const out = await tempDir();
    const logged = logger();
    await refresh(undated, { outDir: out, movies: 1300, series: 5, log: logged.log });
    const ids = (await readCatalog(out)).movies.map((m) => m.id);
    expect(ids).toContain(movies[10].id);
    expect(ids).toEqual(expectedTop(undated, "movie", 1300, new Set([movies[1100].id, movies[1200].id])).ids);
    expect(logged.lines).toContainEqual(expect.stringMatching(/^movies: 2 titles without a primary_release_date .* out of reach/));
  });
});

describe("date windows", () => {
  it("split into disjoint, adjacent halves that keep the outer ends open", () => {
    const root = rootWindow(new Date("2025-06-15T12:00:00Z"));
    expect(root).toEqual({ from: "1870-01-01", to: "2026-06-15" });
    const [left, right] = splitWindow(root)!;
    expect(left.gte).toBeUndefined();
    expect(right.lte).toBeUndefined();
    expect(Date.parse(right.gte!) - Date.parse(left.lte!)).toBe(86_400_000);
    const [leftOfRight, rightOfRight] = splitWindow(right)!;
    expect(leftOfRight.gte).toBe(right.gte);
    expect(Date.parse(rightOfRight.gte!) - Date.parse(leftOfRight.lte!)).toBe(86_400_000);
    expect(rightOfRight.lte).toBeUndefined();
  });

  it("put every dated title in exactly one half and undated titles only in the unfiltered root", () => {
    const root = rootWindow(new Date("2025-06-15T00:00:00Z"));
    const halves = splitWindow(root)!;
    for (const date of ["1700-01-01", "1870-01-01", "1947-09-23", "1947-09-24", "2025-06-15", "2099-12-31"]) {
      expect(halves.filter((w) => inWindow(w, date))).toHaveLength(1);
    }
    expect(inWindow(root, null)).toBe(true);
    expect(halves.some((w) => inWindow(w, null))).toBe(false);
  });

  it("cannot split a single day", () => {
    expect(splitWindow({ gte: "2020-01-01", lte: "2020-01-01", from: "2020-01-01", to: "2020-01-01" })).toBeNull();
  });
});
