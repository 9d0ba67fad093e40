// The refresh's watch-providers step against the mock TMDB: one request per movie, only the
// configured regions kept, the per-movie cache, movies without providers, and what it costs.
import { describe, expect, it } from "vitest";
import { readCatalog } from "../../../loaders/catalog/store.ts";
import { TmdbProvidersError, watchRegions } from "../../../loaders/tmdb/providers.ts";
import { readWatchProviders } from "../../../lib/providers.ts";
import { makeTitles, type MockTmdb } from "../../helpers/mock-tmdb.ts";
import { logger, mock, refresh, rejection, tempDir, useTmdbTestEnvironment } from "./tmdb-fixtures.ts";

useTmdbTestEnvironment();

const providerRequests = (server: MockTmdb) => server.requests.filter((r) => /^\/movie\/\d+\/watch\/providers$/.test(r.path));

describe("the watch-providers step of a refresh", () => {
  it("sends one request per movie kept, none for series, and keeps only the asked regions", async () => {
    const server = await mock({ movies: makeTitles("movie", 12), tv: makeTitles("tv", 4) });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 12, series: 4, watchRegions: ["GB", "US"] });
    const catalog = await readCatalog(dir);
    expect(providerRequests(server).map((r) => Number(r.path.split("/")[2])).sort()).toEqual(catalog.movies.map((m) => m.id).sort());
    const regions = new Set(catalog.movies.flatMap((m) => readWatchProviders(m.providers)?.offers.map((o) => o.region) ?? []));
    expect([...regions].sort()).toEqual(["GB", "US"]);
    // Every third mock movie streams nowhere.
    const without = catalog.movies.filter((m) => m.id % 3 === 0);
    expect(without.length).toBeGreaterThan(0);
    expect(without.every((m) => m.providers === undefined)).toBe(true);
    expect(meta.providers).toEqual({ regions: ["GB", "US"], cached: 0, fetched: 12, not_found: 0, failed: 0, with_providers: 12 - without.length });
  });

  it("answers a second refresh from the cache, and fetches again when the regions change", async () => {
    const server = await mock({ movies: makeTitles("movie", 6), tv: makeTitles("tv", 2) });
    const cache = `${await tempDir()}/providers`;
    await refresh(server, { outDir: await tempDir(), movies: 6, series: 2, watchRegions: ["US"], providersCacheDir: cache });
    const before = providerRequests(server).length;
    const again = await refresh(server, { outDir: await tempDir(), movies: 6, series: 2, watchRegions: ["US"], providersCacheDir: cache });
    expect(providerRequests(server).length).toBe(before);
    expect(again.meta.providers).toMatchObject({ cached: 6, fetched: 0 });
    const other = await refresh(server, { outDir: await tempDir(), movies: 6, series: 2, watchRegions: ["US", "FR"], providersCacheDir: cache });
    expect(other.meta.providers).toMatchObject({ cached: 0, fetched: 6 });
  });

  it("keeps a movie TMDB has no providers for (404) without providers, and drops offers of the wrong shape", async () => {
    const titles = makeTitles("movie", 4);
    const server = await mock({
      movies: titles,
      tv: makeTitles("tv", 1),
      providersFor: (title) =>
        title.id === titles[0].id
          ? null
          : { US: { link: "javascript:alert(1)", flatrate: [{ provider_name: "Good Stream", logo_path: "/good.png" }, { provider_name: 42 }, { provider_name: "Bad Logo", logo_path: "../../etc" }] } },
    });
    const dir = await tempDir();
    const { meta } = await refresh(server, { outDir: dir, movies: 4, series: 1, watchRegions: ["US"] });
    const byId = new Map((await readCatalog(dir)).movies.map((m) => [m.id, m]));
    expect(byId.get(titles[0].id)!.providers).toBeUndefined();
    expect(readWatchProviders(byId.get(titles[1].id)!.providers)).toEqual({
      links: {},
      offers: [
        { region: "US", kind: "flatrate", provider: "Good Stream", logo_path: "/good.png" },
        { region: "US", kind: "flatrate", provider: "Bad Logo", logo_path: null },
      ],
    });
    expect(meta.providers).toMatchObject({ not_found: 1, fetched: 3 });
  });

  it("fails the refresh when most provider requests fail, and makes none with no regions", async () => {
    const server = await mock({ movies: makeTitles("movie", 20), tv: makeTitles("tv", 1), providersFor: () => null });
    const error = await rejection(refresh(server, { outDir: await tempDir(), movies: 20, series: 1, watchRegions: ["US"] }));
    expect(error).toBeInstanceOf(TmdbProvidersError);
    expect(error.message).toMatch(/^TMDB providers failed for \d+ of the \d+ titles asked so far/);
    const quiet = await mock({ movies: makeTitles("movie", 5), tv: makeTitles("tv", 1) });
    const logged = logger();
    const { meta } = await refresh(quiet, { outDir: await tempDir(), movies: 5, series: 1, watchRegions: [], log: logged.log });
    expect(providerRequests(quiet)).toEqual([]);
    expect(meta.providers).toBeUndefined();
    expect(logged.lines).toContain("providers: off (TMDB_WATCH_REGIONS empty): the catalogue gets no watch providers");
  });

  it("reads TMDB_WATCH_REGIONS: default US,GB,DE,FR, none, and a clear error for a bad list", () => {
    expect(watchRegions()).toEqual(["US", "GB", "DE", "FR"]);
    process.env.TMDB_WATCH_REGIONS = "us, gb";
    expect(watchRegions()).toEqual(["US", "GB"]);
    process.env.TMDB_WATCH_REGIONS = "none";
    expect(watchRegions()).toEqual([]);
    process.env.TMDB_WATCH_REGIONS = "USA,G1";
    expect(() => watchRegions()).toThrow(/two-letter codes .*got "USA,G1"/);
  });

  it("measures what it adds to a refresh: one request per movie, and the time at TMDB's pace", async () => {
    const movies = 200;
    const server = await mock({ movies: makeTitles("movie", movies), tv: makeTitles("tv", 20) });
    const run = async (watchRegions: string[]) => {
      const before = server.requests.length;
      const started = performance.now();
      // The default pacing (40 requests a second), as a real refresh runs.
      await refresh(server, { outDir: await tempDir(), movies, series: 20, details: false, watchRegions, extra: { requestsPerSecond: 40 } });
      return { requests: server.requests.length - before, seconds: (performance.now() - started) / 1000 };
    };
    const without = await run([]);
    const withProviders = await run(["US", "GB", "DE", "FR"]);
    const added = { requests: withProviders.requests - without.requests, seconds: withProviders.seconds - without.seconds };
    console.log(`providers step: +${added.requests} requests, +${added.seconds.toFixed(1)} s for ${movies} movies at 40 requests/s (mock TMDB)`);
    expect(added.requests).toBe(movies);
    // 200 requests at 40 a second take at least 5 s; the step adds little beyond the pacing.
    expect(added.seconds).toBeGreaterThan(4.5);
    expect(added.seconds).toBeLessThan(15);
  }, 60_000);
});
