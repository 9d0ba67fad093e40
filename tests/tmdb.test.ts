// The TMDB client, the refresh job and the choice of active catalogue, against a real HTTP
// server on 127.0.0.1 that behaves like TMDB (tests/helpers/mock-tmdb.ts).
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseCsv } from "csv-parse/sync";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MOVIE_COLUMNS, SERIES_COLUMNS, normaliseMovie, normaliseSeries, type Catalog } from "../lib/catalog.ts";
import { activeCatalog } from "../loaders/catalog/active.ts";
import { connectDuckDB, readCatalog, sqlPath, writeCatalog } from "../loaders/catalog/store.ts";
import {
  TmdbAuthError,
  TmdbClient,
  TmdbNotFoundError,
  TmdbResponseError,
  TmdbUnavailableError,
  type TmdbClientOptions,
} from "../loaders/tmdb/client.ts";
import { refreshFromTmdb, type RefreshOptions } from "../loaders/tmdb/refresh.ts";
import { inWindow, rootWindow, splitWindow } from "../loaders/tmdb/windows.ts";
import { makeTitles, startMockTmdb, type MockTitle, type MockTmdb, type MockTmdbOptions } from "./helpers/mock-tmdb.ts";
import { sharedRawDir } from "../loaders/shared/config.ts";

const API_KEY = "v3-test-key-5f2c9a";
const READ_TOKEN = "v4-test-token-eyJhbGciOi";
const ROOT = path.resolve(import.meta.dirname, "..");
const RAW = sharedRawDir();

const ENV_NAMES = [
  "TMDB_API_KEY",
  "TMDB_READ_TOKEN",
  "TMDB_BASE_URL",
  "TMDB_MOVIE_COUNT",
  "TMDB_SERIES_COUNT",
  "TMDB_LANGUAGE",
  "TMDB_TIMEOUT_MS",
  "TMDB_REQUESTS_PER_SECOND",
  "MARQUEE_CATALOG_DIR",
  "MARQUEE_CACHE_DIR",
  "MARQUEE_REFRESH_DAYS",
  "MARQUEE_AUTO_REFRESH",
];
let savedEnv: Record<string, string | undefined>;
const temps: string[] = [];
const mocks: MockTmdb[] = [];

beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  for (const name of ENV_NAMES) delete process.env[name];
});

afterEach(async () => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all(mocks.splice(0).map((mock) => mock.close()));
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "marquee-tmdb-test-"));
  temps.push(dir);
  return dir;
}

async function mock(options: MockTmdbOptions = {}): Promise<MockTmdb> {
  const server = await startMockTmdb({ apiKey: API_KEY, readToken: READ_TOKEN, ...options });
  mocks.push(server);
  return server;
}

/** Fast settings: no rate limit, millisecond backoff. Credentials: the v3 key unless given. */
function clientOptions(server: MockTmdb, extra: TmdbClientOptions = {}): TmdbClientOptions {
  return { baseUrl: server.url, apiKey: API_KEY, readToken: undefined, requestsPerSecond: 0, retryBaseMs: 1, ...extra };
}

function client(server: MockTmdb, extra: TmdbClientOptions = {}): TmdbClient {
  return new TmdbClient(clientOptions(server, extra));
}

interface Logged {
  lines: string[];
  log: (line: string) => void;
}
function logger(): Logged {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

async function refresh(server: MockTmdb, options: RefreshOptions & { extra?: TmdbClientOptions } = {}) {
  const { extra, ...rest } = options;
  return refreshFromTmdb({
    movies: 40,
    series: 20,
    log: () => {},
    ...rest,
    client: clientOptions(server, extra),
  });
}

async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(path.join(dir, name)));
  return files;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

function everything(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return `${error.message}\n${error.stack}\n${cause instanceof Error ? `${cause.message}\n${cause.stack}` : String(cause)}`;
}

const discoverRequests = (server: MockTmdb, kind: "movie" | "tv") => server.requests.filter((r) => r.path === `/discover/${kind}`);

describe("TmdbClient authentication", () => {
  it("sends a v3 key as the api_key query parameter and no Authorization header", async () => {
    const server = await mock();
    await client(server).genres("movie");
    expect(server.requests[0].query.api_key).toBe(API_KEY);
    expect(server.requests[0].authorization).toBeUndefined();
  });

  it("sends a v4 token as a Bearer header and keeps the secret out of the URL", async () => {
    const server = await mock();
    await client(server, { apiKey: API_KEY, readToken: READ_TOKEN }).genres("movie");
    expect(server.requests[0].authorization).toBe(`Bearer ${READ_TOKEN}`);
    expect(server.requests[0].query.api_key).toBeUndefined();
  });

  it("fails at once on 401 with a message naming the settings and no secret", async () => {
    const server = await mock({ apiKey: "another-key", readToken: undefined });
    const error = await rejection(client(server, { maxAttempts: 5 }).genres("movie"));
    expect(error).toBeInstanceOf(TmdbAuthError);
    expect(error.message).toBe("TMDB rejected the credentials (401): check TMDB_API_KEY or TMDB_READ_TOKEN");
    expect(server.requests).toHaveLength(1);
    expect(everything(error)).not.toContain(API_KEY);
  });
});

describe("TmdbClient failures", () => {
  it("waits for Retry-After on 429, then succeeds", async () => {
    const server = await mock({ movies: makeTitles("movie", 5) });
    server.fail({ path: "/discover/movie" }, { kind: "status", status: 429, headers: { "retry-after": "1" } });
    const tmdb = client(server);
    const page = await tmdb.discover("movie", { page: 1 });
    expect(page.results).toHaveLength(5);
    expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(950);
    expect(tmdb.stats).toEqual({ requests: 2, retries: 1 });
  });

  it("retries a 500 and returns the next good answer", async () => {
    const server = await mock({ movies: makeTitles("movie", 5) });
    server.fail({ path: "/discover/movie" }, { kind: "status", status: 500 });
    const page = await client(server).discover("movie", { page: 1 });
    expect(page.results).toHaveLength(5);
    expect(server.requests).toHaveLength(2);
  });

  it("retries a dropped connection", async () => {
    const server = await mock();
    server.fail({ path: "/genre/tv/list" }, { kind: "reset" });
    await expect(client(server).genres("tv")).resolves.toContainEqual({ id: 10765, name: "Sci-Fi & Fantasy" });
  });

  it("retries a request that times out", async () => {
    const server = await mock();
    server.fail({ path: "/configuration/languages" }, { kind: "hang" });
    const names = await client(server, { timeoutMs: 200 }).languages();
    expect(names.ja).toBe("Japanese");
    expect(server.requests).toHaveLength(2);
  });

  it("gives up after the configured attempts with an error naming the endpoint and page", async () => {
    const server = await mock();
    server.fail({ path: "/discover/tv" }, { kind: "status", status: 503 }, Infinity);
    const error = await rejection(client(server, { maxAttempts: 3 }).discover("tv", { page: 7 }));
    expect(error).toBeInstanceOf(TmdbUnavailableError);
    expect(error.message).toBe("TMDB request /discover/tv page 7 failed after 3 attempts: HTTP 503");
    expect(server.requests).toHaveLength(3);
  });

  it("fails at once on 404, naming the path and TMDB_BASE_URL", async () => {
    const server = await mock();
    const error = await rejection(client(server).get("/no/such/endpoint", {}, (body) => body));
    expect(error).toBeInstanceOf(TmdbNotFoundError);
    expect(error.message).toContain("/no/such/endpoint");
    expect(error.message).toContain("TMDB_BASE_URL");
    expect(server.requests).toHaveLength(1);
  });

  it("retries malformed JSON once and then succeeds", async () => {
    const server = await mock({ movies: makeTitles("movie", 3) });
    server.fail({ path: "/discover/movie", page: 2 }, { kind: "malformed" });
    const page = await client(server).discover("movie", { page: 2 });
    expect(page.page).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it("fails on malformed JSON the second time, naming the endpoint and page", async () => {
    const server = await mock();
    server.fail({ path: "/discover/movie", page: 4 }, { kind: "malformed" }, Infinity);
    const error = await rejection(client(server).discover("movie", { page: 4 }));
    expect(error).toBeInstanceOf(TmdbResponseError);
    expect(error.message).toBe("TMDB sent malformed JSON for /discover/movie page 4 (twice)");
    expect(server.requests).toHaveLength(2);
  });

  it("rejects a page without results at once, naming the endpoint and page", async () => {
    const server = await mock();
    server.fail({ path: "/discover/tv", page: 3 }, { kind: "missing-results" });
    const error = await rejection(client(server).discover("tv", { page: 3 }));
    expect(error).toBeInstanceOf(TmdbResponseError);
    expect(error.message).toBe("unexpected TMDB response for /discover/tv page 3: missing `results` array");
    expect(server.requests).toHaveLength(1);
  });

  it("reports TMDB's message for a refused request without retrying it", async () => {
    const server = await mock();
    const error = await rejection(client(server).discover("movie", { page: 501 }));
    expect(error).toBeInstanceOf(TmdbResponseError);
    expect(error.message).toMatch(/^TMDB refused \/discover\/movie page 501 \(HTTP 400\): Invalid page/);
    expect(server.requests).toHaveLength(1);
  });

  it("never puts the v3 key in an error, even when the network fails", async () => {
    const server = await mock();
    server.fail({ path: "/genre/movie/list" }, { kind: "reset" }, Infinity);
    const error = await rejection(client(server, { maxAttempts: 2 }).genres("movie"));
    expect(error).toBeInstanceOf(TmdbUnavailableError);
    expect(everything(error)).not.toContain(API_KEY);
  });

  it("spaces requests to the configured rate however many run at once", async () => {
    const server = await mock({ movies: makeTitles("movie", 40) });
    const tmdb = client(server, { requestsPerSecond: 50, concurrency: 8 });
    await Promise.all(Array.from({ length: 21 }, (_, i) => tmdb.discover("movie", { page: i + 1 })));
    const times = server.requests.map((r) => r.at).sort((a, b) => a - b);
    // 21 requests at 50/s: 20 gaps of 20 ms (a little slack for timer granularity).
    expect(times[20] - times[0]).toBeGreaterThanOrEqual(20 * 20 * 0.9);
  });
});

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
    const server = await mock({ movies: titles, tv: makeTitles("tv", 5) });
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

describe("data:refresh command", () => {
  const run = promisify(execFile);
  const tsx = path.join(ROOT, "node_modules/.bin/tsx");
  const script = path.join(ROOT, "scripts/data-refresh.ts");

  async function cli(args: string[], env: Record<string, string>) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !ENV_NAMES.includes(name)));
    try {
      const { stdout, stderr } = await run(tsx, [script, ...args], { cwd: await tempDir(), env: { ...base, ...env } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code: number; stdout: string; stderr: string };
      return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
    }
  }

  it("exits 2 without credentials, saying what to set", async () => {
    const result = await cli([], {});
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/TMDB_API_KEY.*TMDB_READ_TOKEN.*data:import/);
  });

  it("exits 1 with one line and no key when TMDB refuses the key", async () => {
    const server = await mock({ apiKey: "the-right-key", readToken: undefined });
    const dir = await tempDir();
    const result = await cli(["--out", dir, "--movies", "10"], { TMDB_API_KEY: API_KEY, TMDB_BASE_URL: server.url });
    expect(result.code).toBe(1);
    const last = result.stderr.trim().split("\n").at(-1);
    expect(last).toBe("data:refresh: TMDB rejected the credentials (401): check TMDB_API_KEY or TMDB_READ_TOKEN; the previous catalogue is unchanged");
    expect(result.stdout + result.stderr).not.toContain(API_KEY);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("writes the catalogue the options ask for", async () => {
    const server = await mock({ movies: makeTitles("movie", 60), tv: makeTitles("tv", 30) });
    const dir = path.join(await tempDir(), "out");
    const result = await cli(["--out", dir, "--movies", "25", "--series", "12", "--language", "de-DE"], {
      TMDB_READ_TOKEN: READ_TOKEN,
      TMDB_BASE_URL: server.url,
      TMDB_REQUESTS_PER_SECOND: "0",
    });
    expect(result.code).toBe(0);
    const meta = JSON.parse(await readFile(path.join(dir, "meta.json"), "utf8"));
    expect(meta).toMatchObject({ counts: { movies: 25, series: 12 }, overview_language: "de-DE" });
    expect(result.stdout + result.stderr).not.toContain(READ_TOKEN);
  });
});

function smallCatalog(fetchedAt: string, source: Catalog["meta"]["source"] = "import"): Catalog {
  return {
    movies: [normaliseMovie({ id: 1, title: "Old Film", overview: "From before.", date: "1990-01-01", genre_names: ["Drama"], language: "en" })],
    series: [normaliseSeries({ id: 2, title: "Old Show", overview: "From before.", date: "1991-01-01", genre_names: ["Drama"], language: "en" })],
    meta: { source, fetched_at: fetchedAt, counts: { movies: 0, series: 0 }, dropped: {} },
  };
}

describe("activeCatalog", () => {
  let catalogDirectory: string;
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

  beforeEach(async () => {
    const root = await tempDir();
    catalogDirectory = path.join(root, "catalog");
    process.env.MARQUEE_CATALOG_DIR = catalogDirectory;
    process.env.MARQUEE_CACHE_DIR = path.join(root, "cache");
    process.env.TMDB_REQUESTS_PER_SECOND = "0";
    process.env.TMDB_MOVIE_COUNT = "20";
    process.env.TMDB_SERIES_COUNT = "10";
  });

  async function tmdbServer(options: MockTmdbOptions = {}) {
    const server = await mock({ movies: makeTitles("movie", 50), tv: makeTitles("tv", 20), ...options });
    process.env.TMDB_API_KEY = API_KEY;
    process.env.TMDB_BASE_URL = server.url;
    return server;
  }

  it("uses a fresh catalogue without asking TMDB", async () => {
    const server = await tmdbServer();
    await writeCatalog(catalogDirectory, smallCatalog(daysAgo(3), "tmdb"));
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active.dir).toBe(catalogDirectory);
    expect(active.meta.source).toBe("tmdb");
    expect(server.requests).toHaveLength(0);
    expect(logged.lines).toHaveLength(1);
    expect(logged.lines[0]).toMatch(/using the tmdb catalogue .*3 days old, refresh after 30 days/);
  });

  it("uses an old catalogue as it is when there are no credentials", async () => {
    await writeCatalog(catalogDirectory, smallCatalog(daysAgo(400)));
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active.dir).toBe(catalogDirectory);
    expect(logged.lines[0]).toContain("no TMDB credentials");
  });

  it("refreshes a catalogue older than MARQUEE_REFRESH_DAYS", async () => {
    const server = await tmdbServer();
    process.env.MARQUEE_REFRESH_DAYS = "7";
    await writeCatalog(catalogDirectory, smallCatalog(daysAgo(8), "tmdb"));
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active.meta.source).toBe("tmdb");
    expect(active.meta.counts).toEqual({ movies: 20, series: 10 });
    expect(server.requests.length).toBeGreaterThan(0);
    expect(logged.lines.at(-1)).toContain("just refreshed");
    expect(readdirSync(catalogDirectory).sort()).toEqual(["meta.json", "movies.parquet", "series.parquet"]);
  });

  it("never refreshes an imported catalogue, however old, and says how to refresh it", async () => {
    const server = await tmdbServer();
    await writeCatalog(catalogDirectory, smallCatalog(daysAgo(400), "import"));
    const before = await snapshot(catalogDirectory);
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active).toMatchObject({ dir: catalogDirectory, meta: { source: "import" } });
    expect(server.requests).toHaveLength(0);
    expect(logged.lines).toHaveLength(1);
    expect(logged.lines[0]).toMatch(/using the import catalogue .*400 days old.*never refreshed automatically.*npm run data:refresh/);
    expect(await snapshot(catalogDirectory)).toEqual(before);
  });

  it("leaves an old catalogue alone when MARQUEE_AUTO_REFRESH=0, even with credentials", async () => {
    const server = await tmdbServer();
    process.env.MARQUEE_AUTO_REFRESH = "0";
    await writeCatalog(catalogDirectory, smallCatalog(daysAgo(90), "tmdb"));
    const before = await snapshot(catalogDirectory);
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active.dir).toBe(catalogDirectory);
    expect(server.requests).toHaveLength(0);
    expect(logged.lines).toEqual([expect.stringMatching(/using the tmdb catalogue .*90 days old; MARQUEE_AUTO_REFRESH=0/)]);
    expect(await snapshot(catalogDirectory)).toEqual(before);
  });

  it("uses the demo without asking TMDB when there is no catalogue and MARQUEE_AUTO_REFRESH=0", async () => {
    const server = await tmdbServer();
    process.env.MARQUEE_AUTO_REFRESH = "false";
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active.meta.source).toBe("demo");
    expect(server.requests).toHaveLength(0);
    expect(logged.lines.at(-1)).toMatch(/using the demo catalogue .*MARQUEE_AUTO_REFRESH=0 leaves refreshing to npm run data:refresh/);
  });

  it("rejects a MARQUEE_AUTO_REFRESH that is not yes or no, naming it", async () => {
    process.env.MARQUEE_AUTO_REFRESH = "sometimes";
    await expect(activeCatalog({ log: () => {} })).rejects.toThrow(/MARQUEE_AUTO_REFRESH must be 1 or 0.*"sometimes"/);
  });

  it("refreshes when there is no catalogue and credentials are set", async () => {
    await tmdbServer();
    const active = await activeCatalog({ log: () => {} });
    expect(active).toMatchObject({ dir: catalogDirectory, meta: { source: "tmdb" } });
  });

  it("keeps the last good catalogue, with a warning, when the refresh fails", async () => {
    const server = await tmdbServer({ apiKey: "not-this-one", readToken: undefined });
    await writeCatalog(catalogDirectory, smallCatalog(daysAgo(90), "tmdb"));
    const before = await snapshot(catalogDirectory);
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active.meta.source).toBe("tmdb");
    expect(server.requests.length).toBeGreaterThan(0);
    expect(logged.lines.at(-1)).toMatch(/warning: TMDB refresh failed \(TMDB rejected the credentials.*keeping the last good catalogue/);
    expect(logged.lines.join("\n")).not.toContain(API_KEY);
    expect(await snapshot(catalogDirectory)).toEqual(before);
  });

  it("refreshes once when several callers ask at the same time", async () => {
    const server = await tmdbServer();
    const results = await Promise.all([activeCatalog({ log: () => {} }), activeCatalog({ log: () => {} }), activeCatalog({ log: () => {} })]);
    expect(new Set(results.map((r) => r.meta.fetched_at)).size).toBe(1);
    expect(server.requests.filter((r) => r.path === "/configuration/languages")).toHaveLength(1);
  });

  it("falls back to the demo catalogue without a catalogue or credentials", async () => {
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active.meta.source).toBe("demo");
    expect(active.dir).not.toBe(catalogDirectory);
    const choices = logged.lines.filter((line) => line.startsWith("catalogue:"));
    expect(choices).toHaveLength(1);
    expect(choices[0]).toMatch(/using the demo catalogue .*set TMDB_API_KEY or TMDB_READ_TOKEN/);
  });

  it("falls back to the demo catalogue when the first refresh fails", async () => {
    await tmdbServer({ apiKey: "not-this-one", readToken: undefined });
    const logged = logger();
    const active = await activeCatalog({ log: logged.log });
    expect(active.meta.source).toBe("demo");
    expect(logged.lines.some((line) => line.includes("falling back to the demo catalogue"))).toBe(true);
    expect(existsSync(path.join(catalogDirectory, "meta.json"))).toBe(false);
  });
});
