// The refresh's details step against the mock TMDB: what it extracts from movie and TV details,
// one request per title, the per-title cache (hits, ages, languages, a killed run resuming),
// titles without details, and TMDB_DETAILS=0.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readCatalog } from "../../../loaders/catalog/store.ts";
import { TmdbAuthError } from "../../../loaders/tmdb/client.ts";
import { TmdbDetailsError } from "../../../loaders/tmdb/details.ts";
import { makeTitles, type MockTitle, type MockTmdb } from "../../helpers/mock-tmdb.ts";
import { API_KEY, READ_TOKEN, ROOT, logger, mock, refresh, rejection, tempDir, useTmdbTestEnvironment } from "./tmdb-fixtures.ts";

useTmdbTestEnvironment();

const detailRequests = (server: MockTmdb, kind?: "movie" | "tv") =>
  server.requests.filter((r) => (kind ? r.path.startsWith(`/${kind}/`) : /^\/(movie|tv)\/\d+$/.test(r.path)));
const idOf = (request: { path: string }) => Number(request.path.split("/")[2]);

function movieDetails(title: MockTitle): Record<string, unknown> {
  const cast = Array.from({ length: 12 }, (_, order) => ({ id: order, name: `Actor ${order + 1}`, character: `Role ${order + 1}`, order }));
  return {
    ...title,
    belongs_to_collection: { id: 10, name: "The Glass City Collection", poster_path: null },
    production_companies: [{ id: 1, name: "Copperline Studios", origin_country: "US" }, { id: 2, name: "Meridian Works", origin_country: "GB" }],
    keywords: { id: title.id, keywords: [{ id: 1, name: "heist" }, { id: 2, name: "night train" }] },
    credits: {
      id: title.id,
      // Not in billing order: the order field decides.
      cast: [cast[2], cast[0], cast[1], ...cast.slice(3).reverse()],
      crew: [
        { id: 20, name: "Pia Producer", job: "Producer", department: "Production" },
        { id: 21, name: "Dev Director", job: "Director", department: "Directing" },
        { id: 22, name: "Nia Novelist", job: "Novel", department: "Writing" },
        { id: 23, name: "Sam Screen", job: "Screenplay", department: "Writing" },
        { id: 21, name: "Dev Director", job: "Story", department: "Writing" },
        { id: 24, name: "Cam Era", job: "Director of Photography", department: "Camera" },
      ],
    },
  };
}

function tvDetails(title: MockTitle): Record<string, unknown> {
  return {
    ...title,
    created_by: [{ id: 1, credit_id: "c1", name: "Hana Ito" }, { id: 2, credit_id: "c2", name: "Otto Gill" }],
    networks: [{ id: 3, name: "Channel North", logo_path: null, origin_country: "GB" }],
    production_companies: [{ id: 4, name: "Tall Pine Entertainment" }],
    keywords: { id: title.id, results: [{ id: 5, name: "island" }, { id: 6, name: "coast guard" }] },
    aggregate_credits: {
      id: title.id,
      cast: Array.from({ length: 10 }, (_, order) => ({ id: order, name: `Regular ${order + 1}`, order: 9 - order, roles: [], total_episode_count: order })),
      crew: [],
    },
  };
}

describe("the details step of a refresh", () => {
  it("extracts keywords, collection, companies, directors, writers and billed cast from a movie's details", async () => {
    const server = await mock({ movies: makeTitles("movie", 3), tv: makeTitles("tv", 1), detailsFor: (kind, t) => (kind === "movie" ? movieDetails(t) : tvDetails(t)) });
    const dir = await tempDir();
    await refresh(server, { outDir: dir, movies: 3, series: 1, language: "en-GB" });
    const [movie] = (await readCatalog(dir)).movies;
    expect(movie).toMatchObject({
      keywords: ["heist", "night train"],
      collection: "The Glass City Collection",
      companies: ["Copperline Studios", "Meridian Works"],
      directors: ["Dev Director"],
      // Screenplay before Novel before Story; the director's story credit counts once.
      writers: ["Sam Screen", "Nia Novelist", "Dev Director"],
      cast: ["Actor 1", "Actor 2", "Actor 3", "Actor 4", "Actor 5", "Actor 6", "Actor 7", "Actor 8"],
    });
    const [request] = detailRequests(server, "movie");
    expect(request.query).toMatchObject({ append_to_response: "keywords,credits", language: "en-GB" });
  });

  it("extracts keywords (as results), creators, networks, companies and aggregate cast from a series' details", async () => {
    const server = await mock({ movies: makeTitles("movie", 1), tv: makeTitles("tv", 2), detailsFor: (kind, t) => (kind === "movie" ? movieDetails(t) : tvDetails(t)) });
    const dir = await tempDir();
    await refresh(server, { outDir: dir, movies: 1, series: 2 });
    const [series] = (await readCatalog(dir)).series;
    expect(series).toMatchObject({
      keywords: ["island", "coast guard"],
      creators: ["Hana Ito", "Otto Gill"],
      networks: ["Channel North"],
      companies: ["Tall Pine Entertainment"],
      cast: ["Regular 10", "Regular 9", "Regular 8", "Regular 7", "Regular 6", "Regular 5", "Regular 4", "Regular 3"],
    });
    expect(detailRequests(server, "tv")[0].query).toMatchObject({ append_to_response: "keywords,aggregate_credits" });
  });

  it("sends one details request per title kept, and no other", async () => {
    const server = await mock({ movies: makeTitles("movie", 80, { withoutOverviewEvery: 5 }), tv: makeTitles("tv", 30) });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 50, series: 12 });
    const catalog = await readCatalog(dir);
    const asked = detailRequests(server).map((r) => r.path).sort();
    expect(asked).toEqual([...catalog.movies.map((m) => `/movie/${m.id}`), ...catalog.series.map((s) => `/tv/${s.id}`)].sort());
    expect(asked).toHaveLength(62);
    expect(meta.details).toEqual({ cached: 0, fetched: 62, not_found: 0, failed: 0 });
    expect(meta.requests).toBe(server.requests.length);
  });

  it("answers a second refresh from the cache, without a details request", async () => {
    const server = await mock({ movies: makeTitles("movie", 30), tv: makeTitles("tv", 10) });
    const cache = path.join(await tempDir(), "details");
    const first = await tempDir();
    await refresh(server, { outDir: first, movies: 30, series: 10, detailsCacheDir: cache });
    const before = server.requests.length;
    const second = await tempDir();
    const { meta } = await refresh(server, { outDir: second, movies: 30, series: 10, detailsCacheDir: cache });
    expect(detailRequests({ ...server, requests: server.requests.slice(before) })).toEqual([]);
    expect(meta.details).toEqual({ cached: 40, fetched: 0, not_found: 0, failed: 0 });
    const [a, b] = [await readCatalog(first), await readCatalog(second)];
    expect(b.movies).toEqual(a.movies);
    expect(b.series).toEqual(a.series);
    expect(a.movies.every((m) => m.keywords!.length > 0 && m.cast!.length > 0)).toBe(true);
  });

  it("fetches again a title cached longer ago than the maximum age, and only that one", async () => {
    const server = await mock({ movies: makeTitles("movie", 10), tv: makeTitles("tv", 5) });
    const cache = path.join(await tempDir(), "details");
    await refresh(server, { outDir: await tempDir(), movies: 10, series: 5, detailsCacheDir: cache });
    const file = path.join(cache, `movie-${makeTitles("movie", 1)[0].id}.json`);
    const entry = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, JSON.stringify({ ...entry, fetched_at: new Date(Date.now() - 100 * 86_400_000).toISOString() }));
    const before = server.requests.length;
    const { meta } = await refresh(server, { outDir: await tempDir(), movies: 10, series: 5, detailsCacheDir: cache, detailsMaxAgeDays: 90 });
    expect(server.requests.slice(before).filter((r) => /^\/(movie|tv)\/\d+$/.test(r.path)).map((r) => r.path)).toEqual([`/movie/${entry.id}`]);
    expect(meta.details).toMatchObject({ cached: 14, fetched: 1 });
  });

  it("fetches again when the refresh's language differs from the cached one (collection names are localised)", async () => {
    const server = await mock({ movies: makeTitles("movie", 5), tv: makeTitles("tv", 2) });
    const cache = path.join(await tempDir(), "details");
    await refresh(server, { outDir: await tempDir(), movies: 5, series: 2, detailsCacheDir: cache, language: "en-US" });
    const { meta } = await refresh(server, { outDir: await tempDir(), movies: 5, series: 2, detailsCacheDir: cache, language: "fr-FR" });
    expect(meta.details).toMatchObject({ cached: 0, fetched: 7 });
  });

  it("resumes a killed refresh: the next run asks only for the titles the killed one had not cached", async () => {
    const MOVIES = 40;
    const SERIES = 20;
    let child: ReturnType<typeof spawn> | undefined;
    let seen = 0;
    const server = await mock({
      movies: makeTitles("movie", MOVIES),
      tv: makeTitles("tv", SERIES),
      onRequest: (request) => {
        if (/^\/(movie|tv)\/\d+$/.test(request.path) && ++seen === 20) child?.kill("SIGKILL");
      },
    });
    const root = await tempDir();
    const [out, cache] = [path.join(root, "catalog"), path.join(root, "details")];
    // node itself, not the tsx launcher: SIGKILL must reach the process doing the work.
    child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/refresh-child.ts", server.url, API_KEY, out, cache, String(MOVIES), String(SERIES)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Should the kill never come, the child still must not outlive the test.
    const guard = setTimeout(() => child?.kill("SIGKILL"), 30_000);
    let stdout = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child!.on("exit", (c, s) => resolve([c, s])));
    clearTimeout(guard);
    expect({ code, signal, stdout }).toEqual({ code: null, signal: "SIGKILL", stdout: "" });
    expect(existsSync(path.join(out, "meta.json"))).toBe(false);

    const cachedIds = new Set((await readdir(cache)).filter((name) => name.endsWith(".json")).map((name) => name.replace(/\.json$/, "")));
    expect(cachedIds.size).toBeGreaterThan(0);
    expect(cachedIds.size).toBeLessThan(MOVIES + SERIES);
    // What a writer killed between its write and its rename leaves behind.
    const leftover = path.join(cache, `movie-1.json.${child.pid}.${Date.now()}.1.tmp`);
    await writeFile(leftover, "{");

    // The resumed run signs in with the read token, telling its requests apart from any of the
    // killed child's that were still on their way to the server.
    const { meta } = await refresh(server, { outDir: out, movies: MOVIES, series: SERIES, detailsCacheDir: cache, extra: { readToken: READ_TOKEN } });
    const asked = detailRequests(server)
      .filter((r) => r.authorization === `Bearer ${READ_TOKEN}`)
      .map((r) => `${r.path.split("/")[1]}-${idOf(r)}`);
    expect(asked.filter((key) => cachedIds.has(key))).toEqual([]);
    expect(asked).toHaveLength(MOVIES + SERIES - cachedIds.size);
    expect(meta.details).toEqual({ cached: cachedIds.size, fetched: asked.length, not_found: 0, failed: 0 });
    expect(existsSync(leftover)).toBe(false);
    const catalog = await readCatalog(out);
    expect([...catalog.movies, ...catalog.series].every((t) => t.keywords!.length > 0)).toBe(true);
  }, 60_000);

  it("keeps a title TMDB has no details for (404) with its discover fields and empty metadata, counted and named", async () => {
    const movies = makeTitles("movie", 20);
    const gone = movies[3];
    const server = await mock({ movies, tv: makeTitles("tv", 5) });
    server.fail({ path: `/movie/${gone.id}` }, { kind: "status", status: 404, body: { success: false, status_code: 34, status_message: "The resource you requested could not be found." } }, Infinity);
    const dir = await tempDir();
    const logged = logger();
    const cache = path.join(await tempDir(), "details");
    const { meta } = await refresh(server, { outDir: dir, movies: 20, series: 5, log: logged.log, detailsCacheDir: cache });
    expect(meta.details).toEqual({ cached: 0, fetched: 24, not_found: 1, failed: 0 });
    const movie = (await readCatalog(dir)).movies.find((m) => m.id === gone.id);
    expect(movie).toMatchObject({ title: gone.title, overview: gone.overview, keywords: [], collection: null, directors: [], cast: [] });
    expect(logged.lines.some((line) => line.includes("1 not found") && line.includes(`movie ${gone.id}`))).toBe(true);
    // Not cached: the next refresh asks for it again, and only for it.
    const before = server.requests.length;
    await refresh(server, { outDir: dir, movies: 20, series: 5, detailsCacheDir: cache });
    expect(detailRequests({ ...server, requests: server.requests.slice(before) }).map((r) => r.path)).toEqual([`/movie/${gone.id}`]);
  });

  it("keeps a title whose details fail through every retry with empty metadata, counted as failed", async () => {
    const series = makeTitles("tv", 6);
    const server = await mock({ movies: makeTitles("movie", 10), tv: series });
    server.fail({ path: `/tv/${series[0].id}` }, { kind: "status", status: 503 }, Infinity);
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 10, series: 6, extra: { maxAttempts: 2 } });
    expect(meta.details).toEqual({ cached: 0, fetched: 15, not_found: 0, failed: 1 });
    expect((await readCatalog(dir)).series.find((s) => s.id === series[0].id)).toMatchObject({ name: series[0].name, keywords: [], creators: [] });
  });

  it("fails the refresh, writing nothing, when most details requests fail; what was fetched stays cached", async () => {
    const movies = makeTitles("movie", 30);
    const server = await mock({ movies, tv: makeTitles("tv", 5) });
    for (const movie of movies.slice(5)) server.fail({ path: `/movie/${movie.id}` }, { kind: "status", status: 500 }, Infinity);
    const dir = path.join(await tempDir(), "catalog");
    const cache = path.join(await tempDir(), "details");
    const error = await rejection(refresh(server, { outDir: dir, movies: 30, series: 5, detailsCacheDir: cache, extra: { maxAttempts: 1 } }));
    expect(error).toBeInstanceOf(TmdbDetailsError);
    expect(error.message).toMatch(/TMDB details failed for \d+ of the \d+ titles asked so far .*HTTP 500.*cached for the next run/);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    expect(readdirSync(cache).filter((name) => name.endsWith(".json")).length).toBeGreaterThan(0);
  });

  it("fails the refresh when TMDB refuses the credentials during the details step", async () => {
    const movies = makeTitles("movie", 10);
    const server = await mock({ movies, tv: makeTitles("tv", 5) });
    server.fail({ path: `/movie/${movies[2].id}` }, { kind: "status", status: 401, body: { status_code: 7, status_message: "Invalid API key" } });
    const dir = path.join(await tempDir(), "catalog");
    expect(await rejection(refresh(server, { outDir: dir, movies: 10, series: 5 }))).toBeInstanceOf(TmdbAuthError);
    expect(existsSync(path.join(dir, "meta.json"))).toBe(false);
  });

  it("makes no details request with TMDB_DETAILS=0, leaving the metadata empty", async () => {
    process.env.TMDB_DETAILS = "0";
    const server = await mock({ movies: makeTitles("movie", 30), tv: makeTitles("tv", 10) });
    const dir = await tempDir();
    const logged = logger();
    const { meta } = await refresh(server, { outDir: dir, movies: 30, series: 10, log: logged.log });
    expect(detailRequests(server)).toEqual([]);
    expect(meta.details).toBeUndefined();
    expect(logged.lines).toContain("details: off (TMDB_DETAILS=0): the catalogue gets no keywords or credits");
    const catalog = await readCatalog(dir);
    expect(catalog.movies).toHaveLength(30);
    expect(catalog.movies.every((m) => m.keywords!.length === 0 && m.collection === null)).toBe(true);
  });

  it("logs progress every N titles with the time left, then a summary", async () => {
    const server = await mock({ movies: makeTitles("movie", 40), tv: makeTitles("tv", 10) });
    const logged = logger();
    await refresh(server, { outDir: await tempDir(), movies: 40, series: 10, log: logged.log, detailsProgressEvery: 20 });
    const details = logged.lines.filter((line) => line.startsWith("details:"));
    expect(details[0]).toMatch(/^details: 50 titles, 0 cached in .*, 50 to fetch \(one request each\)$/);
    expect(details.slice(1, 3)).toEqual([
      expect.stringMatching(/^details: 20\/50 fetched \(0 without details\), \d+ s, about \d+ s left$/),
      expect.stringMatching(/^details: 40\/50 fetched \(0 without details\), \d+ s, about \d+ s left$/),
    ]);
    expect(details.at(-1)).toMatch(/^details: 0 cached, 50 fetched in \d+ s$/);
    expect(logged.lines.at(-1)).toMatch(/^tmdb refresh: wrote 40 movies and 10 series/);
  });
});
