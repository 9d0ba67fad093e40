// The engine on a small catalogue with hand-made vectors, so every expected ranking follows
// from the vectors in fixtures/engine-catalog.ts rather than from a model.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FilterError } from "../../lib/filters.ts";
import { GroqChatClient } from "../../loaders/llm/client.ts";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { closestSeries, foldName } from "../../lib/series-lookup.ts";
import { SeriesLookupError, openEngine, type Engine } from "../../loaders/engine.ts";
import { DENSE_ONLY, engineCatalog, engineVectors, seriesFixtures } from "../fixtures/engine-catalog.ts";
import { isProposalRequest, startMockLlm, type MockLlm } from "../helpers/mock-llm.ts";

const vectors = engineVectors();

let dir: string;
let engine: Engine;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "marquee-engine-"));
  await writeCatalog(dir, engineCatalog());
  engine = await openEngine({ catalogDir: dir, vectors, weights: DENSE_ONLY, log: () => {} });
});

afterAll(async () => {
  engine?.close();
  await rm(dir, { recursive: true, force: true });
});

const ids = (picks: { id: number }[]) => picks.map((p) => p.id);

describe("findSeries", () => {
  it("finds a series by numeric id and by an id typed as text", () => {
    expect(engine.findSeries(202).name).toBe("Star Voyagers");
    expect(engine.findSeries(" 203 ").name).toBe("Thrones of Ice");
  });

  it("matches names ignoring case, accents and punctuation", () => {
    expect(engine.findSeries("breaking point").id).toBe(201);
    expect(engine.findSeries("BREAKING-POINT!").id).toBe(201);
    expect(foldName("Grey's Anatomy")).toBe(foldName("Greys Anatomy"));
  });

  it("refuses an ambiguous name and lists every match with its id", () => {
    expect(() => engine.findSeries("shameless")).toThrow(SeriesLookupError);
    expect(() => engine.findSeries("shameless")).toThrow(/matches 2 series: .*id 205.*id 206.*--series 205/);
  });

  it("names the closest series when nothing matches", () => {
    try {
      engine.findSeries("Breakng Pont");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SeriesLookupError);
      expect((error as Error).message).toMatch(/no series named "Breakng Pont".*Closest: Breaking Point \(2008, id 201\)/);
      expect((error as SeriesLookupError).matches[0].id).toBe(201);
    }
  });

  it("puts names containing the query before merely similar ones", () => {
    expect(closestSeries(seriesFixtures(), "star", 2).map((s) => s.id)[0]).toBe(202);
  });

  it("rejects an id the catalogue does not have", () => {
    expect(() => engine.findSeries(999)).toThrow(/no series with id 999/);
  });
});

describe("recommend", () => {
  it("ranks the movies closest to the series first", async () => {
    const result = await engine.recommend({ series: ["Breaking Point"], useLlm: false, limit: 3, k: 3 });
    expect(ids(result.picks)).toEqual(expect.arrayContaining([101, 102, 112]));
    expect(result.picks).toHaveLength(3);
    expect(result.source).toBe("fallback");
    expect(result.model).toBeNull();
  });

  it("never recommends adult titles unless all ages are allowed", async () => {
    const safe = await engine.recommend({ series: [201], useLlm: false, k: 13, limit: 13 });
    expect(ids(safe.picks)).not.toContain(108);
    const all = await engine.recommend({ series: [201], useLlm: false, k: 13, limit: 13, filters: { ageAppropriateOnly: false } });
    expect(ids(all.picks)).toContain(108);
  });

  it("applies the filters before ranking", async () => {
    const result = await engine.recommend({ series: [201], filters: { genres: ["comedy"] }, useLlm: false, limit: 5 });
    expect(result.picks.length).toBeGreaterThan(0);
    for (const pick of result.picks) expect(pick.genres).toContain("Comedy");
    expect(result.filters.genres).toEqual(["Comedy"]);
    expect(result.counts.matching).toBe(3);
  });

  it("leaves out excluded movies", async () => {
    const result = await engine.recommend({ series: [201], filters: { excludeIds: [101, 102] }, useLlm: false, k: 13, limit: 13 });
    expect(ids(result.picks)).not.toContain(101);
    expect(ids(result.picks)).not.toContain(102);
  });

  it("blends several series by weight", async () => {
    const crime = await engine.recommend({ series: [201, 202], weights: [5, 1], useLlm: false, k: 1, limit: 1 });
    const scifi = await engine.recommend({ series: [201, 202], weights: [1, 5], useLlm: false, k: 1, limit: 1 });
    expect(crime.picks[0].genres).toContain("Crime");
    expect(scifi.picks[0].genres).toContain("Science Fiction");
    expect(crime.series.map((s) => s.id)).toEqual([201, 202]);
  });

  it("carries the shortlist similarity and the genres shared through the TV mapping", async () => {
    const result = await engine.recommend({ series: ["Star Voyagers"], useLlm: false, k: 1, limit: 1 });
    const pick = result.picks[0];
    expect(pick.id).toBe(103);
    expect(pick.similarity).toBeCloseTo(1);
    expect(pick.shared_genres).toEqual(["Science Fiction", "Adventure"]);
    expect(pick.reason.length).toBeGreaterThan(0);
    expect(pick.rank).toBe(1);
  });

  it("returns no picks, not an error, when nothing passes the filters", async () => {
    const result = await engine.recommend({ series: [201], filters: { genres: ["Western"] }, useLlm: false });
    expect(result.picks).toEqual([]);
    expect(result.counts.matching).toBe(0);
  });

  it("rejects unknown filter names with the valid ones listed", async () => {
    await expect(engine.recommend({ series: [201], filters: { languages: ["xx-klingon"] } })).rejects.toThrow(FilterError);
    await expect(engine.recommend({ series: [201], filters: { languages: ["xx-klingon"] } })).rejects.toThrow(/valid languages: de \(German\), en \(English\)/);
  });

  it("rejects a bad limit and mismatched weights", async () => {
    await expect(engine.recommend({ series: [201], limit: 0 })).rejects.toThrow(/limit must be/);
    await expect(engine.recommend({ series: [201, 202], weights: [1] })).rejects.toThrow(/one weight per series/);
  });
});

describe("franchise and lexical signals", () => {
  it("bring a movie sharing the series' name into the shortlist", async () => {
    // Movie 113 shares the title "Star Voyagers" but its vector points at comedy.
    const plain = await engine.recommend({ series: [202], useLlm: false, k: 3, limit: 3 });
    expect(ids(plain.picks)).not.toContain(113);
    const boosted = await openEngine({ catalogDir: dir, vectors, log: () => {} });
    try {
      const result = await boosted.recommend({ series: [202], useLlm: false, k: 3, limit: 3 });
      expect(ids(result.picks)).toContain(113);
      expect(result.picks.find((p) => p.id === 113)!.similarity).toBeLessThan(0.5);
    } finally {
      boosted.close();
    }
  });
});

describe("title overlap in the ranker", () => {
  it("hands each shortlisted movie's title overlap to the ranker, which names the shared title", async () => {
    const boosted = await openEngine({ catalogDir: dir, vectors, log: () => {} });
    try {
      const result = await boosted.recommend({ series: [202], useLlm: false, k: 3, limit: 3 });
      const franchise = result.picks.find((p) => p.id === 113)!;
      expect(franchise.title_overlap).toBeCloseTo(1);
      expect(franchise.reason).toMatch(/^Carries the Star Voyagers name to the big screen/);
      expect(franchise.because).toEqual([202]);
      expect(result.picks.filter((p) => p.id !== 113).every((p) => p.title_overlap === 0)).toBe(true);
    } finally {
      boosted.close();
    }
  });

  it("ranks by the story vectors alone when the other signals are off", async () => {
    const result = await engine.recommend({ series: [202], useLlm: false, k: 3, limit: 3 });
    expect(result.picks.every((p) => p.franchise === undefined)).toBe(true);
    expect(result.picks.map((p) => p.similarity)).toEqual([...result.picks.map((p) => p.similarity)].sort((a, b) => b - a));
  });
});

describe("with an LLM", () => {
  let mock: MockLlm;
  let llmEngine: Engine;

  beforeAll(async () => {
    mock = await startMockLlm();
    const client = new GroqChatClient({ baseURL: mock.openaiBaseURL, model: "mock-model", log: () => {} });
    llmEngine = await openEngine({ catalogDir: dir, vectors, weights: DENSE_ONLY, log: () => {}, rerank: { client, cacheDir: null, log: () => {} } });
  });

  afterAll(async () => {
    llmEngine?.close();
    await mock?.close();
  });

  it("uses the LLM's picks and reasons, sending it only shortlisted candidates", async () => {
    const result = await llmEngine.recommend({ series: [201], limit: 2, k: 4 });
    expect(result.source).toBe("llm");
    expect(result.model).toBe("mock-model");
    expect(result.picks).toHaveLength(2);
    expect(result.picks[0].reason).toMatch(/^Mock reason for \d+\.$/);
    // The proposal call first (lib/proposals.ts), then the rerank of the shortlist.
    expect(mock.requests).toHaveLength(2);
    expect(isProposalRequest(mock.requests[0])).toBe(true);
    const sent = JSON.parse(/<data>\s*([\s\S]*?)\s*<\/data>/.exec(mock.requests[1].body.messages.at(-1)!.content)![1]);
    expect(sent.candidates.map((c: { id: number }) => c.id).sort()).toEqual([101, 102, 109, 112]);
  });

  it("makes no LLM call when useLlm is false", async () => {
    const before = mock.requests.length;
    const result = await llmEngine.recommend({ series: [201], limit: 2, useLlm: false });
    expect(result.source).toBe("fallback");
    expect(mock.requests.length).toBe(before);
  });
});
