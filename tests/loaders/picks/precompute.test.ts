import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GroqChatClient, type LlmClientOptions } from "../../../loaders/llm/client.ts";
import { ManualClock } from "../../../loaders/llm/pacing.ts";
import type { RerankInput, RerankSeries } from "../../../lib/rerank-types.ts";
import { writeCatalog } from "../../../loaders/catalog/store.ts";
import { openEngine } from "../../../loaders/engine.ts";
import {
  engineShortlister,
  mostPopularSeries,
  precomputePicks,
  readPicksParquet,
  writePicksParquet,
  type PickRow,
} from "../../../loaders/picks/precompute.ts";
import { DENSE_ONLY, engineCatalog, engineVectors } from "../../fixtures/engine-catalog.ts";
import { echoFirstCandidates, startMockLlm, type MockLlm } from "../../helpers/mock-llm.ts";
import { CANDIDATES } from "../../helpers/rerank-fixture.ts";

const SERIES: RerankSeries[] = [1, 2, 3, 4, 5].map((id) => ({
  id,
  name: `Series ${id}`,
  year: 2010 + id,
  genres: ["Crime", "Drama"],
  overview: `A crime drama number ${id} about a chemistry teacher and a drug cartel.`,
}));

// Each series gets the fixture candidates with its own similarities, so inputs (and cache keys) differ.
async function shortlistFor(seriesId: number): Promise<RerankInput | null> {
  const series = SERIES.find((s) => s.id === seriesId);
  if (!series) return null;
  return {
    series: [series],
    filters: { ageAppropriateOnly: true },
    candidates: CANDIDATES.map((c, i) => ({ ...c, similarity: Math.round((0.8 - i * 0.1 - seriesId * 0.01) * 100) / 100 })),
    limit: 3,
  };
}

let mock: MockLlm;
let work: string;
let lines: string[];

beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.requests.length = 0;
  mock.setDefault(echoFirstCandidates(3));
  lines = [];
  work = mkdtempSync(path.join(tmpdir(), "marquee-picks-"));
  return () => rmSync(work, { recursive: true, force: true });
});

const client = (options: LlmClientOptions = {}) =>
  new GroqChatClient({ apiKey: "gsk_test_precompute_key_123456", baseURL: mock.groqBaseURL, limits: {}, timeoutMs: 2000, log: () => undefined, ...options });

const run = (ids: number[], extra: Partial<Parameters<typeof precomputePicks>[0]> = {}) =>
  precomputePicks({ seriesIds: ids, shortlistFor, client: client(), cacheDir: work, log: (l) => lines.push(l), progressEvery: 2, ...extra });

describe("precomputePicks", () => {
  it("asks the LLM once per series and returns ranked rows with reasons, similarity, source and model", async () => {
    const { rows, stats } = await run([1, 2, 3, 4, 5]);
    expect(mock.requests).toHaveLength(5);
    expect(stats).toMatchObject({ series: 5, llm: 5, fallback: 0, calls: 5, cacheHits: 0, skipped: 0 });
    expect(rows).toHaveLength(15);
    expect(rows[0]).toMatchObject({ series_id: 1, rank: 1, source: "llm", model: "openai/gpt-oss-20b", reason: `Mock reason for ${rows[0].movie_id}.` });
    const position = CANDIDATES.findIndex((c) => c.id === rows[0].movie_id);
    expect(rows[0].similarity).toBeCloseTo(0.8 - position * 0.1 - 0.01);
    expect(Date.parse(rows[0].generated_at!)).not.toBeNaN();
  });

  it("repeats no call on a second run: every series comes from the cache, rows unchanged", async () => {
    const first = await run([1, 2, 3, 4, 5]);
    mock.requests.length = 0;
    const second = await run([1, 2, 3, 4, 5]);
    expect(mock.requests).toHaveLength(0);
    expect(second.stats).toMatchObject({ calls: 0, cacheHits: 5, llm: 5 });
    expect(second.rows).toEqual(first.rows);
  });

  it("resumes after an interruption: series already answered cost no call", async () => {
    await run([1, 2]);
    mock.requests.length = 0;
    const { stats } = await run([1, 2, 3, 4, 5]);
    expect(mock.requests).toHaveLength(3);
    expect(stats).toMatchObject({ calls: 3, cacheHits: 2 });
  });

  it("writes fallback picks and says so on the log when no LLM is configured", async () => {
    const { rows, stats } = await run([1, 2], { client: null });
    expect(stats).toMatchObject({ llm: 0, fallback: 2, calls: 0 });
    expect(rows.every((r) => r.source === "fallback" && r.model === null && r.reason.length > 0)).toBe(true);
    expect(lines[0]).toMatch(/no LLM configured.*fallback picks/);
  });

  it("switches the LLM off for the rest of the run after a bad key, with one notice", async () => {
    mock.setDefault(() => ({ status: 401, body: { error: { message: "Invalid API Key" } } }));
    const { stats } = await run([1, 2, 3, 4, 5]);
    expect(mock.requests).toHaveLength(1);
    expect(stats.fallback).toBe(5);
    expect(stats.llmStopped).toMatch(/^auth/);
    expect(lines.filter((l) => l.includes("LLM off for the rest of this run"))).toHaveLength(1);
  });

  it("still serves cached answers after the LLM is switched off", async () => {
    await run([1]);
    mock.requests.length = 0;
    mock.setDefault(() => ({ status: 429, headers: { "retry-after": "7200" }, body: { error: { message: "daily quota" } } }));
    const { rows, stats } = await run([2, 1, 3]);
    expect(mock.requests).toHaveLength(1);
    expect(stats).toMatchObject({ cacheHits: 1, llm: 1, fallback: 2 });
    expect(rows.filter((r) => r.series_id === 1).every((r) => r.source === "llm")).toBe(true);
  });

  it("paces the calls to the client's per-minute limit", async () => {
    const clock = new ManualClock(0);
    const { stats } = await run([1, 2, 3, 4, 5], { client: client({ clock, limits: { requestsPerMinute: 2 } }), clock });
    expect(stats.calls).toBe(5);
    expect(clock.now()).toBe(120_000);
    expect(stats.wallMs).toBe(120_000);
  });

  it("stops at the client's daily budget without counting refused calls, the rest getting fallback picks", async () => {
    const { stats } = await run([1, 2, 3, 4, 5], { client: client({ limits: { requestsPerDay: 2 } }) });
    expect(mock.requests).toHaveLength(2);
    expect(stats).toMatchObject({ calls: 2, llm: 2, fallback: 3 });
    expect(stats.llmStopped).toMatch(/^rate_limit: daily request budget spent/);
  });

  it("skips series without a shortlist", async () => {
    const { stats } = await run([1, 42]);
    expect(stats).toMatchObject({ series: 1, skipped: 1 });
  });

  it("reports progress as n/N with calls, cache hits and an ETA", async () => {
    await run([1, 2, 3]);
    expect(lines[0]).toMatch(/^\[picks\] 2\/3 series, 2 calls, 0 cache hits, 0 fallback, .* elapsed, ETA /);
    expect(lines.at(-1)).toMatch(/^\[picks\] 3\/3 series, 3 calls/);
  });
});

describe("covering the whole catalogue across runs", () => {
  const ledgerFile = () => path.join(work, "llm", "precompute-usage.json");
  const cover = (limits: { requestsPerDay: number; tokensPerDay: number }) =>
    run([1], { moreSeriesIds: [2, 3, 4, 5], dailyLimits: limits });

  it("gives the always-covered series picks, and the rest LLM picks only while today's requests last", async () => {
    const { rows, stats } = await cover({ requestsPerDay: 3, tokensPerDay: 1e9 });
    expect(mock.requests).toHaveLength(3);
    expect([...new Set(rows.map((r) => r.series_id))]).toEqual([1, 2, 3]);
    expect(rows.every((r) => r.source === "llm")).toBe(true);
    expect(stats.coverage).toEqual({ llm: 3, of: 5 });
    expect(stats.today).toEqual({ requests: 3, tokens: 360 });
    expect(lines.filter((l) => l.includes("LLM off for the rest of this run"))).toHaveLength(1);
    expect(lines.some((l) => /LLM picks for 3 of 5 series/.test(l))).toBe(true);
  });

  it("shares the allowance between the runs of one day: a second run asks nothing and keeps what the first got", async () => {
    await cover({ requestsPerDay: 3, tokensPerDay: 1e9 });
    mock.requests.length = 0;
    const { rows, stats } = await cover({ requestsPerDay: 3, tokensPerDay: 1e9 });
    expect(mock.requests).toHaveLength(0);
    expect([...new Set(rows.map((r) => r.series_id))]).toEqual([1, 2, 3]);
    expect(stats.cacheHits).toBe(3);
  });

  it("carries on with the next series in order on the next day, until the catalogue is covered", async () => {
    await cover({ requestsPerDay: 3, tokensPerDay: 1e9 });
    const stored = JSON.parse(readFileSync(ledgerFile(), "utf8"));
    writeFileSync(ledgerFile(), JSON.stringify({ ...stored, day: "2000-01-01" }));
    mock.requests.length = 0;
    const { rows, stats } = await cover({ requestsPerDay: 3, tokensPerDay: 1e9 });
    expect(mock.requests).toHaveLength(2);
    expect([...new Set(rows.map((r) => r.series_id))]).toEqual([1, 2, 3, 4, 5]);
    expect(stats.coverage).toEqual({ llm: 5, of: 5 });
  });

  it("stops at today's token allowance too", async () => {
    // The mock reports 120 tokens a call: the third call would start past 250.
    const { stats } = await cover({ requestsPerDay: 100, tokensPerDay: 250 });
    expect(mock.requests).toHaveLength(3);
    expect(stats.coverage.llm).toBe(3);
    expect(stats.llmStopped).toMatch(/LLM_PRECOMPUTE_TOKENS_PER_DAY/);
  });

  it("without an LLM, writes fallback picks for the always-covered series only", async () => {
    const { rows } = await run([1, 2], { client: null, moreSeriesIds: [3, 4, 5] });
    expect([...new Set(rows.map((r) => r.series_id))]).toEqual([1, 2]);
  });
});

describe("picks Parquet", () => {
  const row = (over: Partial<PickRow> = {}): PickRow => ({
    series_id: 1,
    rank: 1,
    movie_id: 101,
    reason: "Shares Crime with Series 1.",
    similarity: 0.5,
    source: "fallback",
    model: null,
    generated_at: "2026-01-01T00:00:00.000Z",
    ...over,
  });

  it("round-trips every column, ordered by series and rank, and leaves no temp file", async () => {
    const file = path.join(work, "out", "picks.parquet");
    const rows = [row({ series_id: 2, rank: 2, movie_id: 7, source: "llm", model: "openai/gpt-oss-20b" }), row({ series_id: 2, rank: 1, similarity: null }), row()];
    await writePicksParquet(rows, file);
    const back = await readPicksParquet(file);
    expect(back).toEqual([rows[2], rows[1], rows[0]]);
    expect(readdirSync(path.dirname(file))).toEqual(["picks.parquet"]);
  });

  it("refuses two rows with the same series and rank", async () => {
    await expect(writePicksParquet([row(), row()], path.join(work, "p.parquet"))).rejects.toThrow(/rank 1 twice/);
  });
});

describe("precompute over a small catalogue (engine shortlist, mock LLM)", () => {
  // Every movie has a hand-made vector, so the shortlist is total.
  const vectors = engineVectors();

  it("writes the LLM's picks for the most popular series to Parquet, shortlisted under the default filters", async () => {
    const dir = path.join(work, "catalog");
    await writeCatalog(dir, engineCatalog());
    const engine = await openEngine({ catalogDir: dir, vectors, weights: DENSE_ONLY, log: () => undefined });
    try {
      const seriesIds = mostPopularSeries(engine, 4);
      expect(seriesIds).toEqual([201, 202, 203, 204]);
      const shortlistFor = engineShortlister(engine, { k: 30, limit: 3 });
      const input = (await shortlistFor(201))!;
      expect(input.series[0].name).toBe("Breaking Point");
      expect(input.filters.ageAppropriateOnly).toBe(true);
      expect(input.candidates.map((c) => c.id)).not.toContain(108);
      expect(input.candidates[0].id).toBe(101);
      expect(input.candidates.map((c) => c.similarity)).toEqual([...input.candidates.map((c) => c.similarity)].sort((a, b) => b - a));

      const { rows, stats } = await precomputePicks({ seriesIds, shortlistFor, client: client(), cacheDir: work, log: () => undefined });
      expect(stats).toMatchObject({ series: 4, llm: 4, calls: 4 });
      const file = path.join(dir, "picks.parquet");
      await writePicksParquet(rows, file);
      const back = await readPicksParquet(file);
      expect(back).toHaveLength(12);
      const for201 = back.filter((r) => r.series_id === 201).map((r) => r.movie_id);
      expect(for201).toHaveLength(3);
      expect(input.candidates.map((c) => c.id)).toEqual(expect.arrayContaining(for201));
      // The fusion keeps the model's reasons; a pick it adds from the built-in order has a data-based one.
      expect(back.every((r) => r.source === "llm" && r.reason.length > 0 && (!r.reason.startsWith("Mock reason") || r.reason === `Mock reason for ${r.movie_id}.`))).toBe(true);
      for (const id of seriesIds) expect(back.some((r) => r.series_id === id && r.reason === `Mock reason for ${r.movie_id}.`)).toBe(true);
    } finally {
      engine.close();
    }
  });

  it("keeps the title overlap the engine measured, so fallback picks rank franchise titles as the site does", async () => {
    const dir = path.join(work, "catalog-lexical");
    await writeCatalog(dir, engineCatalog());
    const engine = await openEngine({ catalogDir: dir, vectors, log: () => undefined });
    try {
      const input = (await engineShortlister(engine, { k: 30, limit: 3 })(202))!;
      expect(input.candidates.find((c) => c.id === 113)!.title_overlap).toBeCloseTo(1);
      expect(input.candidates.find((c) => c.id === 103)!.title_overlap).toBe(0);
    } finally {
      engine.close();
    }
  });
});
