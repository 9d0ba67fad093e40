// The Recommend page's ranking (src/components/recommend.ts) against the Node engine that
// `npm run recommend` uses: same catalogue, same filters, same picks and reasons.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Filters } from "../../lib/filters.ts";
import { quantizeInt8 } from "../../lib/vectors.ts";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { openEngine, type Engine } from "../../loaders/engine.ts";
import { movieTextsToArrow, moviesToArrow, picksToArrow, seriesToArrow, vectorsToArrow, type PickRow } from "../../loaders/site/arrow.ts";
import { bundleBrowserLib } from "../../loaders/site/build-hooks.ts";
import { buildRankingFiles, type RankingFiles } from "../../loaders/site/ranking-files.ts";
import { siteCatalog } from "../fixtures/site-catalog.ts";
import { syntheticVectorSet } from "../fixtures/synthetic-vectors.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-site-recommend-"));
const catalog = siteCatalog();
// Distinct seeds for movies and series; ids follow the catalogue's rows.
const movieVectors = { ...syntheticVectorSet(catalog.movies.length, 64, 11), ids: catalog.movies.map((m) => m.id) };
const seriesVectors = { ...syntheticVectorSet(catalog.series.length, 64, 12), ids: catalog.series.map((s) => s.id) };

let engine: Engine;
let recommend: typeof import("../../src/components/recommend.ts");
let site: typeof import("../../src/components/site-data.ts");
let data: import("../../src/components/recommend.ts").RecommendData;
let ranking: import("../../src/components/site-data.ts").SiteRankingData;
let filterIds: typeof import("../../lib/filters.ts").filterIds;
let rankingFiles: RankingFiles;

const picks: PickRow[] = [
  { series_id: 8003, rank: 1, movie_id: 9014, reason: "Dragons and a contested throne.", similarity: 0.8, source: "llm", model: "openai/gpt-oss-20b", generated_at: "2026-11-02T10:00:00.000Z" },
  { series_id: 8003, rank: 2, movie_id: 9015, reason: "An army of the dead from the north.", similarity: 0.7, source: "llm", model: "openai/gpt-oss-20b", generated_at: "2026-11-02T10:00:00.000Z" },
];

beforeAll(async () => {
  await bundleBrowserLib("src");
  recommend = await import("../../src/components/recommend.ts");
  ({ filterIds } = await import("../../lib/filters.ts"));
  site = await import("../../src/components/site-data.ts");
  const dir = path.join(work, "catalog");
  await writeCatalog(dir, catalog);
  // The engine ranks on the same int8 vectors the page gets, as it does with real vector files.
  engine = await openEngine({ catalogDir: dir, vectors: { movies: quantizeInt8(movieVectors), series: quantizeInt8(seriesVectors), embedderId: movieVectors.embedderId }, log: () => {} });
  data = siteData().data;
  ranking = await data.ranking();
  // The build's signal lists and records, ranked on the vectors the page gets (sources.ts).
  rankingFiles = buildRankingFiles(catalog, { movies: quantizeInt8(movieVectors), series: quantizeInt8(seriesVectors) });
});

/**
 * The page's data from the files the build writes, counting the fetches of the heavy ones;
 * with `lists`, the ranking files too (byte ranges counted as they would be requested).
 */
function siteData(options: { lists?: boolean; files?: () => RankingFiles } = {}) {
  const fetched = { texts: 0, vectors: 0, signals: 0, records: 0 };
  const deep = { signals: 0 };
  const files = options.files ?? (() => rankingFiles);
  const range = (bytes: () => Uint8Array, count: () => void) => async (start: number, end: number) => {
    count();
    return bytes().slice(start, end);
  };
  const lists = options.lists
    ? {
        rankingIndex: async () => JSON.parse(JSON.stringify(files().index)),
        recordIndex: async () => JSON.parse(JSON.stringify(files().recordIndex)),
        signalBytes: range(() => files().signals, () => fetched.signals++),
        deepSignalBytes: range(() => files().deepSignals, () => deep.signals++),
        // One request for all of them, as a server answering multipart ranges serves them.
        recordBytes: async (spans: readonly { start: number; end: number }[]) => {
          fetched.records++;
          return spans.map(({ start, end }) => files().records.slice(start, end));
        },
      }
    : {};
  const data = site.assembleSiteData({
    ...lists,
    movies: moviesToArrow(catalog.movies),
    series: seriesToArrow(catalog.series),
    picks: picksToArrow(picks),
    movieTexts: async () => {
      fetched.texts++;
      return movieTextsToArrow(catalog.movies);
    },
    vectors: async () => {
      fetched.vectors++;
      return vectorsToArrow({ movies: quantizeInt8(movieVectors), series: quantizeInt8(seriesVectors) });
    },
  });
  return { data, fetched, deep };
}

afterAll(() => {
  engine?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the page's ranking", () => {
  const requests: { series: number[]; filters: Filters }[] = [
    { series: [8001], filters: { ageAppropriateOnly: true } },
    { series: [8001, 8002], filters: { genres: ["Crime"], languages: ["en"], ageAppropriateOnly: true } },
    { series: [8003, 8005], filters: { yearFrom: 2000, minVotes: 500, ageAppropriateOnly: false } },
    { series: [8004], filters: { genres: ["Comedy", "Drama"], genreMode: "all", ageAppropriateOnly: true, excludeIds: [9021] } },
  ];
  for (const request of requests) {
    it(`picks exactly what npm run recommend picks, in the same order, with the same reasons: ${JSON.stringify(request)}`, async () => {
      const expected = await engine.recommend({ series: request.series, filters: request.filters, useLlm: false });
      const state = { seriesIds: request.series, filters: request.filters };
      const rec = recommend.rankedRecommendation(data, ranking, state, filterIds(data.movies, request.filters));
      expect(rec.items.map((i) => i.movie.id)).toEqual(expected.picks.map((p) => p.id));
      expect(rec.items.map((i) => i.reason)).toEqual(expected.picks.map((p) => p.reason));
      const names = (ids: number[] = []) => (request.series.length > 1 ? ids.map((id) => data.seriesById.get(id)!.name) : []);
      expect(rec.items.map((i) => i.because)).toEqual(expected.picks.map((p) => names(p.because)));
      expect(rec.matching).toBe(expected.counts.matching);
    });

    it(`ranks it the same from the signal lists and the candidates' records alone, no vectors or texts fetched: ${JSON.stringify(request)}`, async () => {
      const expected = await engine.recommend({ series: request.series, filters: request.filters, useLlm: false });
      const { data: fresh, fetched } = siteData({ lists: true });
      const state = { seriesIds: request.series, filters: request.filters };
      const { rec, ranking: how } = await recommend.computeRecommendation(fresh, state);
      if (request.series.length === 1 && recommend.picksRecommendation(fresh, state)) return;
      expect(how).toBe("lists");
      expect(rec.items.map((i) => i.movie.id)).toEqual(expected.picks.map((p) => p.id));
      expect(rec.items.map((i) => i.reason)).toEqual(expected.picks.map((p) => p.reason));
      expect(rec.items.every((i) => i.movie.overview === catalog.movies.find((m) => m.id === i.movie.id)!.overview)).toBe(true);
      expect(rec.matching).toBe(expected.counts.matching);
      expect({ texts: fetched.texts, vectors: fetched.vectors }).toEqual({ texts: 0, vectors: 0 });
      expect(fetched.signals).toBe(request.series.length);
      expect(fetched.records).toBeGreaterThan(0);
    });
  }

  it("refuses a records index of another catalogue by name, and ranks a build without ranking files from the full data", async () => {
    const other = site.assembleSiteData({
      movies: moviesToArrow(catalog.movies),
      series: seriesToArrow(catalog.series),
      picks: picksToArrow(picks),
      movieTexts: async () => movieTextsToArrow(catalog.movies),
      vectors: async () => vectorsToArrow({ movies: quantizeInt8(movieVectors), series: quantizeInt8(seriesVectors) }),
      rankingIndex: async () => rankingFiles.index,
      recordIndex: async () => ({ ...rankingFiles.recordIndex, records: rankingFiles.recordIndex.records.slice(1) }),
      recordBytes: async (spans) => spans.map(({ start, end }) => rankingFiles.records.slice(start, end)),
    });
    await expect(other.movieTexts([9001])).rejects.toThrow(/movie records index does not describe these \d+ movies; rebuild the site/);
    const { data: plain } = siteData();
    expect(await plain.signalLists(8001)).toBeNull();
    const outcome = await recommend.computeRecommendation(plain, { seriesIds: [8001, 8002], filters: { ageAppropriateOnly: true } });
    expect(outcome.ranking).toBe("full");
  });

  it("reads the deep lists when a filter is too narrow for the first ones, and still ranks as npm run recommend does", async () => {
    // First-tier lists 5 deep: shorter than any retrieval's 200, so every filter needs the deep tier.
    const shallow = buildRankingFiles(catalog, { movies: quantizeInt8(movieVectors), series: quantizeInt8(seriesVectors) }, { depth: 5 });
    const { data: fresh, fetched, deep } = siteData({ lists: true, files: () => shallow });
    const request = { series: [8001, 8002], filters: { genres: ["Crime"], ageAppropriateOnly: true } };
    const expected = await engine.recommend({ ...request, useLlm: false });
    const { rec, ranking: how } = await recommend.computeRecommendation(fresh, { seriesIds: request.series, filters: request.filters });
    expect(how).toBe("lists");
    expect({ first: fetched.signals, deep: deep.signals, vectors: fetched.vectors, texts: fetched.texts }).toEqual({ first: 2, deep: 2, vectors: 0, texts: 0 });
    expect(rec.items.map((i) => [i.movie.id, i.reason])).toEqual(expected.picks.map((p) => [p.id, p.reason]));
  });

  it("ranks from the full data when the lists cannot: a liked movie reshapes the query", async () => {
    const { data: fresh, fetched } = siteData({ lists: true });
    const state = { seriesIds: [8001, 8002], filters: { ageAppropriateOnly: true } };
    const outcome = await recommend.computeRecommendation(fresh, state, { exclude: [], likes: [9014], dislikes: [] });
    expect(outcome.ranking).toBe("full");
    expect(fetched.vectors).toBe(1);
  });

  it("hands the title overlap to the ranker: a movie titled after the series ranks higher and says why, at the same similarity", () => {
    // The same movie, once under its own title and once under the series' name.
    const retitled = data.movies.map((m) => (m.id === 9010 ? { ...m, title: "Star Voyagers: Galactic Frontier" } : m));
    const franchiseData = { ...data, movies: retitled, movieById: new Map(retitled.map((m) => [m.id, m])) };
    const state = { seriesIds: [8002], filters: { ageAppropriateOnly: true } };
    const ids = filterIds(data.movies, state.filters);
    const plain = recommend.rankedRecommendation(data, ranking, state, ids, { limit: 30 }).items.find((i) => i.movie.id === 9010)!;
    const titled = recommend.rankedRecommendation(franchiseData, ranking, state, ids, { limit: 30 }).items.find((i) => i.movie.id === 9010)!;
    expect(titled.reason).toMatch(/^Carries the Star Voyagers name to the big screen/);
    expect(titled.rank).toBeLessThan(plain.rank);
    expect(titled.similarity).toBe(plain.similarity);
  });

  it("gives a favourite series twice the share of the list, and says which series each pick is for", () => {
    const filters = { ageAppropriateOnly: false };
    const ids = filterIds(data.movies, filters);
    const share = (favourites: number[]) => {
      const rec = recommend.rankedRecommendation(data, ranking, { seriesIds: [8001, 8003], favourites, filters }, ids, { limit: 6 });
      const name = (id: number) => data.seriesById.get(id)!.name;
      return [8001, 8003].map((id) => rec.items.filter((i) => i.because[0] === name(id)).length);
    };
    expect(share([])).toEqual([3, 3]);
    expect(share([8003])).toEqual([2, 4]);
  });

  it("shows the precomputed picks for one series with the default filters", () => {
    const rec = recommend.picksRecommendation(data, { seriesIds: [8003], filters: { ageAppropriateOnly: true } })!;
    expect(rec.kind).toBe("picks");
    expect(rec.model).toBe("openai/gpt-oss-20b");
    expect(rec.items.map((i) => [i.movie.id, i.reason])).toEqual([
      [9014, "Dragons and a contested throne."],
      [9015, "An army of the dead from the north."],
    ]);
  });

  it("ranks live instead of showing picks once a filter or a second series is set", () => {
    expect(recommend.picksRecommendation(data, { seriesIds: [8003], filters: { genres: ["Fantasy"], ageAppropriateOnly: true } })).toBeNull();
    expect(recommend.picksRecommendation(data, { seriesIds: [8003, 8001], filters: { ageAppropriateOnly: true } })).toBeNull();
  });

  it("asks for a series before ranking anything", () => {
    const rec = recommend.rankedRecommendation(data, ranking, { seriesIds: [], filters: {} }, [9001]);
    expect(rec.kind).toBe("empty");
    expect(rec.message).toMatch(/Choose at least one TV series/);
  });

  it("names the filter changes that would bring results back, with their counts", () => {
    const filters: Filters = { genres: ["Western"], languages: ["fr"], ageAppropriateOnly: true };
    const rec = recommend.rankedRecommendation(data, ranking, { seriesIds: [8001], filters }, []);
    expect(rec.kind).toBe("empty");
    const french = catalog.movies.filter((m) => m.language === "fr").length;
    expect(rec.message).toContain(`clear the genres (${french} movies)`);
    expect(rec.message).toContain("clear the languages (1 movie");
  });

  it("shows the precomputed picks before the movie texts and the vectors are fetched, and a card's story fetches the texts", async () => {
    const { data: fresh, fetched } = siteData();
    const state = { seriesIds: [8003], filters: { ageAppropriateOnly: true } };
    expect(recommend.needsRanking(fresh, state)).toBe(false);
    const { rec } = await recommend.computeRecommendation(fresh, state);
    expect(rec.kind).toBe("picks");
    expect(rec.items[0].movie.overview).toBe("");
    expect(fetched).toMatchObject({ texts: 0, vectors: 0 });
    const story = await rec.items[0].story!();
    expect(story).toBe(catalog.movies.find((m) => m.id === 9014)!.overview);
    expect(story).not.toBe("");
    // A build without the ranking files: the story fetches every text.
    expect(fetched).toMatchObject({ texts: 1, vectors: 0 });

    // With them, only that movie's record.
    const withLists = siteData({ lists: true });
    const picked = (await recommend.computeRecommendation(withLists.data, state)).rec.items[1];
    expect(await picked.story!()).toBe(catalog.movies.find((m) => m.id === picked.movie.id)!.overview);
    expect(withLists.fetched).toEqual({ texts: 0, vectors: 0, signals: 0, records: 1 });
    expect(withLists.data.movieById.get(rec.items[0].movie.id)!.overview).toBe("");
  });

  it("in a build without signal lists, fetches the movie texts and the vectors once, for the first live ranking, and ranks as with them preloaded", async () => {
    const { data: fresh, fetched } = siteData();
    const state = { seriesIds: [8001, 8002], filters: { genres: ["Crime"], ageAppropriateOnly: true } };
    expect(recommend.needsRanking(fresh, state)).toBe(true);
    const first = await recommend.computeRecommendation(fresh, state);
    const second = await recommend.computeRecommendation(fresh, { ...state, filters: { ageAppropriateOnly: true } });
    expect(fetched).toMatchObject({ texts: 1, vectors: 1 });
    expect(first.rec.kind).toBe("ranked");
    expect(second.rec.kind).toBe("ranked");
    const expected = recommend.rankedRecommendation(data, ranking, state, filterIds(data.movies, state.filters));
    expect(first.rec.items.map((i) => [i.movie.id, i.reason])).toEqual(expected.items.map((i) => [i.movie.id, i.reason]));
  });
});

describe("multipart byte ranges", () => {
  it("split a multipart/byteranges body into its parts by their Content-Range, whatever the bytes inside", async () => {
    const { multipartParts } = await import("../../src/components/ranking-files.ts");
    const a = Uint8Array.from([1, 2, 3, 13, 10, 13, 10, 45, 45]);
    const b = Uint8Array.from([200, 201]);
    const boundary = "b0undary";
    const enc = (text: string) => new TextEncoder().encode(text);
    const body = new Uint8Array([
      ...enc(`--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 10-18/100\r\n\r\n`),
      ...a,
      ...enc(`\r\n--${boundary}\r\ncontent-range: bytes 50-51/100\r\n\r\n`),
      ...b,
      ...enc(`\r\n--${boundary}--\r\n`),
    ]);
    const parts = multipartParts(body, boundary);
    expect(parts.map(({ start, end }) => [start, end])).toEqual([
      [10, 19],
      [50, 52],
    ]);
    expect([...parts[0].bytes]).toEqual([...a]);
    expect([...parts[1].bytes]).toEqual([...b]);
    expect(() => multipartParts(body.subarray(0, 90), boundary)).toThrow(/cut short/);
  });
});
