// The LLM for a selection end to end against the mock server: the proposal call, the rerank
// call, fusion, one deadline, and what each fault turns into.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildTitleIndex, type ProposalCandidateMovie } from "../../../lib/proposals.ts";
import type { RerankCandidate } from "../../../lib/rerank-types.ts";
import { rerank, type ProposalPool } from "../../../loaders/llm/rerank.ts";
import { CHEMISTRY_SERIES, candidate, rerankInput } from "../../helpers/rerank-fixture.ts";
import { candidateIdsIn, echoFirstCandidates, isProposalRequest, mockGroqClient, proposalsAnswer, startMockLlm, type MockLlm } from "../../helpers/mock-llm.ts";

const FAKE_KEY = "gsk_FAKEKEY_proposals_test_0123456789";

/** 30 pipeline candidates, best first. */
const SHORTLIST: RerankCandidate[] = Array.from({ length: 30 }, (_, i) =>
  candidate(500 + i, { title: `Shortlisted ${i + 1}`, score: 1 - i / 100, because: [CHEMISTRY_SERIES.id] }),
);

function catalogueMovie(c: RerankCandidate): ProposalCandidateMovie {
  return { id: c.id, title: c.title, year: c.year, popularity: c.popularity, vote_count: c.vote_count, vote_average: c.vote_average, genre_names: c.genres, language: "en", age_appropriate: true, overview: c.overview };
}
const EL_CAMINO: ProposalCandidateMovie = {
  id: 900,
  title: "El Camino: A Breaking Bad Movie",
  year: 2019,
  popularity: 50,
  vote_count: 5000,
  vote_average: 7,
  genre_names: ["Crime", "Drama"],
  language: "en",
  age_appropriate: true,
  overview: "A fugitive former partner in crime runs from his captors and his past.",
};
const ADULT: ProposalCandidateMovie = { ...EL_CAMINO, id: 901, title: "Late Night Only", year: 2005, age_appropriate: false };
const pool: ProposalPool = { index: buildTitleIndex([...SHORTLIST.map(catalogueMovie), EL_CAMINO, ADULT]), similarityOf: (id) => (id === 900 ? 0.61 : 0) };

let mock: MockLlm;
let lines: string[];
let cacheRoot: string;

beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.requests.length = 0;
  mock.setDefault(echoFirstCandidates());
  lines = [];
  cacheRoot = mkdtempSync(path.join(tmpdir(), "marquee-proposals-"));
  return () => rmSync(cacheRoot, { recursive: true, force: true });
});

const input = () => rerankInput({ candidates: SHORTLIST, limit: 10, filters: { ageAppropriateOnly: true } });
const options = (extra: Parameters<typeof rerank>[1] = {}) => ({
  client: mockGroqClient(mock, FAKE_KEY, (l) => lines.push(l), { limits: {} }),
  cacheDir: null,
  log: (l: string) => lines.push(l),
  proposals: pool,
  ...extra,
});

/** A model that always prefers whatever is listed first: its picks are the prompt's order. */
const firstListedModel = echoFirstCandidates(10);

describe("proposals", () => {
  it("asks for proposals first, with their own strict schema, then reranks with the resolved ones among the candidates", async () => {
    mock.setDefault(echoFirstCandidates(10, [{ title: "El Camino - a Breaking Bad movie", year: 2020 }]));
    const result = await rerank(input(), options());
    expect(mock.requests).toHaveLength(2);
    expect(isProposalRequest(mock.requests[0])).toBe(true);
    expect(mock.requests[0].body.response_format?.json_schema).toMatchObject({ name: "marquee_proposals", strict: true });
    expect(candidateIdsIn(mock.requests[1])).toContain(900);
    expect(result.proposals).toEqual({ asked: 1, resolved: 1, unresolved: 0, filtered: 0, duplicates: 0 });
  });

  it("drops and counts invented titles and filtered-out movies; no final id is outside the catalogue", async () => {
    mock.setDefault(
      echoFirstCandidates(10, [
        { title: "Breaking Bad: Heisenberg Returns", year: 2025 },
        { title: "Late Night Only", year: 2005 },
        { title: "Shortlisted 3", year: SHORTLIST[2].year },
      ]),
    );
    const result = await rerank(input(), options());
    expect(result.proposals).toEqual({ asked: 3, resolved: 1, unresolved: 1, filtered: 1, duplicates: 0 });
    const known = new Set(SHORTLIST.map((c) => c.id));
    expect(result.picks.every((p) => known.has(p.id))).toBe(true);
    expect(candidateIdsIn(mock.requests[1])).not.toContain(901);
  });

  it("brings a proposal the shortlist missed to the top when the model also ranks it first, and returns it in `added`", async () => {
    mock.script(proposalsAnswer([{ title: "El Camino: A Breaking Bad Movie", year: 2019 }]), {
      content: JSON.stringify({ picks: [{ id: 900, reason: "Jesse's own ending, straight after the series." }, { id: 505, reason: "Also fits." }] }),
    });
    const result = await rerank(input(), options());
    expect(result.picks[0]).toEqual({ id: 900, rank: 1, reason: "Jesse's own ending, straight after the series." });
    expect(result.added).toEqual([expect.objectContaining({ id: 900, proposal: true, similarity: 0.61 })]);
  });

  it("caches the proposals: a second identical selection makes no request", async () => {
    mock.setDefault(echoFirstCandidates(10, [{ title: "El Camino: A Breaking Bad Movie", year: 2019 }]));
    const first = await rerank(input(), options({ cacheDir: cacheRoot }));
    const second = await rerank(input(), options({ cacheDir: cacheRoot }));
    expect(mock.requests).toHaveLength(2);
    expect(second).toEqual(first);
  });

  it("ranks the shortlist alone when the proposals are not JSON, with a notice", async () => {
    mock.script({ content: "Here are some films you might like: El Camino." });
    const result = await rerank(input(), options());
    expect(result.source).toBe("llm");
    expect(result.proposals).toEqual({ asked: 0, resolved: 0, unresolved: 0, filtered: 0, duplicates: 0 });
    expect(lines.some((l) => l.includes("unusable proposals"))).toBe(true);
  });
});

describe("a first-position-biased model", () => {
  it("cannot lift a weak candidate to first place: the prompt order is shuffled and its order is fused", async () => {
    mock.setDefault(firstListedModel);
    const result = await rerank(input(), options({ proposals: null }));
    const shown = candidateIdsIn(mock.requests[0]);
    const weakFirst = SHORTLIST.findIndex((c) => c.id === shown[0]);
    // The shuffle already keeps the pipeline's order from the model ...
    expect(shown.slice(0, 3)).not.toEqual(SHORTLIST.slice(0, 3).map((c) => c.id));
    // ... and whatever it put first, the top pick stays in the deterministic top 12.
    expect(SHORTLIST.slice(0, 12).map((c) => c.id)).toContain(result.picks[0].id);
    if (weakFirst >= 12) expect(result.picks[0].id).not.toBe(shown[0]);
  });

  it("cannot, even when the weak candidate is listed first on purpose", async () => {
    const weak = SHORTLIST[25].id;
    mock.setDefault((request) => {
      const ids = candidateIdsIn(request);
      const order = [weak, ...ids.filter((id) => id !== weak)].slice(0, 10);
      return { content: JSON.stringify({ picks: order.map((id) => ({ id, reason: `Biased ${id}.` })) }) };
    });
    const result = await rerank(input(), options({ proposals: null }));
    expect(result.picks[0].id).not.toBe(weak);
    expect(result.picks.findIndex((p) => p.id === weak)).toBeGreaterThan(0);
  });
});

describe("one deadline and the faults", () => {
  it("gives the proposal and the rerank one deadline: a slow proposal leaves no time, so the fallback answers", async () => {
    mock.script({ ...proposalsAnswer([]), delayMs: 400 }, { content: JSON.stringify({ picks: [] }), delayMs: 400 });
    const started = performance.now();
    const result = await rerank(input(), options({ deadlineMs: 600 }));
    expect(performance.now() - started).toBeLessThan(1500);
    expect(result.source).toBe("fallback");
    expect(result.fallbackReason).toMatch(/^(timeout|rate_limit):/);
  });

  it.each([
    ["a 5xx", { status: 503, body: { error: { message: "overloaded" } } }, /^server:/],
    ["a 429 asking for a minute", { status: 429, headers: { "retry-after": "60" }, body: { error: { message: "slow down" } } }, /^rate_limit:/],
    ["a 401", { status: 401, body: { error: { message: "bad key" } } }, /^auth:/],
  ])("falls back with a notice on %s from the proposal call", async (_name, response, reason) => {
    mock.setDefault(() => response);
    const result = await rerank(input(), options({ deadlineMs: 3000, client: mockGroqClient(mock, FAKE_KEY, () => {}, { limits: {}, maxRetries: 0 }) }));
    expect(result.source).toBe("fallback");
    expect(result.fallbackReason).toMatch(reason);
    expect(result.picks.map((p) => p.id)).toEqual(SHORTLIST.slice(0, 10).map((c) => c.id));
    expect(lines.some((l) => l.startsWith("[rerank] LLM unavailable"))).toBe(true);
    expect(JSON.stringify(result) + lines.join("\n")).not.toContain(FAKE_KEY);
  });
});
