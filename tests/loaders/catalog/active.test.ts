// activeCatalog: which catalogue the site and the engine use, and when it refreshes from TMDB.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { normaliseMovie, normaliseSeries, type Catalog } from "../../../lib/catalog.ts";
import { activeCatalog } from "../../../loaders/catalog/active.ts";
import { writeCatalog } from "../../../loaders/catalog/store.ts";
import { makeTitles, type MockTmdbOptions } from "../../helpers/mock-tmdb.ts";
import { API_KEY, logger, mock, snapshot, tempDir, useTmdbTestEnvironment } from "../tmdb/tmdb-fixtures.ts";

useTmdbTestEnvironment();

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
