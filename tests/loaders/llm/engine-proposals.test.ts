// Proposals through the engine (loaders/engine.ts): a film the model names from its own
// knowledge that the shortlist missed reaches the picks as a catalogue movie, with its cosine.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../../loaders/catalog/store.ts";
import { openEngine, type Engine } from "../../../loaders/engine.ts";
import { DENSE_ONLY, engineCatalog, engineVectors } from "../../fixtures/engine-catalog.ts";
import { candidateIdsIn, isProposalRequest, mockGroqClient, proposalsAnswer, startMockLlm, type MockLlm } from "../../helpers/mock-llm.ts";

let dir: string;
let mock: MockLlm;
let engine: Engine;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "marquee-engine-proposals-"));
  await writeCatalog(dir, engineCatalog());
  mock = await startMockLlm();
  const client = mockGroqClient(mock, "gsk_engine_proposals_0123456789", () => {}, { limits: {} });
  engine = await openEngine({ catalogDir: dir, vectors: engineVectors(), weights: DENSE_ONLY, log: () => {}, rerank: { client, cacheDir: null, log: () => {} } });
});
afterAll(async () => {
  engine?.close();
  await mock?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("engine.recommend with proposals", () => {
  it("returns a proposed movie the shortlist did not have, ranked first when the model also ranks it first", async () => {
    const request = { series: [201], limit: 2, k: 2 };
    const shortlisted = (await engine.shortlist(request)).input.candidates.map((c) => c.id);
    expect(shortlisted).not.toContain(112);
    mock.setDefault((recorded) => {
      if (isProposalRequest(recorded)) return proposalsAnswer([{ title: "heist of the century", year: 2018 }, { title: "A Film Nobody Made", year: 1999 }]);
      const ids = candidateIdsIn(recorded);
      expect(ids).toContain(112);
      return { content: JSON.stringify({ picks: [112, ...ids.filter((id) => id !== 112)].map((id) => ({ id, reason: `Mock reason for ${id}.` })) }) };
    });
    const result = await engine.recommend(request);
    expect(result.source).toBe("llm");
    expect(result.picks[0]).toMatchObject({ id: 112, title: "Heist of the Century", proposal: true, reason: "Mock reason for 112.", because: [201] });
    // Its similarity is its cosine with the series' vector ([1,0,0,0] against [0.8,0,0,0.3], normalised).
    expect(result.picks[0].similarity).toBeCloseTo(0.8 / Math.hypot(0.8, 0.3), 2);
  });
});
