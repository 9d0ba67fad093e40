// POST /api/picks on the real server (scripts/serve.ts + scripts/api-picks.ts), the engine on a
// small catalogue with hand-made vectors, the LLM a mock on loopback.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { openEngine } from "../../loaders/engine.ts";
import type { RerankOptions } from "../../loaders/llm/rerank.ts";
import { createApiPicksHandler, type ApiPicksOptions, type PicksAnswer } from "../../scripts/api-picks.ts";
import { BROWSER_LLM_ORIGINS, extraBrowserLlmOrigins, startServer, type RunningServer } from "../../scripts/serve.ts";
import { DENSE_ONLY, engineCatalog, engineVectors } from "../fixtures/engine-catalog.ts";
import { candidateIdsIn, completion, echoFirstCandidates, isProposalRequest, mockGroqClient, startMockLlm, type MockLlm, type RecordedRequest } from "../helpers/mock-llm.ts";

const SERVER_KEY = "gsk_SERVERKEY_api_picks_test_0123456789abcdef";
const work = mkdtempSync(path.join(tmpdir(), "marquee-api-picks-"));
const catalogDir = path.join(work, "catalog");
const site = path.join(work, "dist");
const catalogue = engineCatalog();
const catalogueIds = new Set(catalogue.movies.map((m) => m.id));

let mock: MockLlm;
let lines: string[] = [];
const servers: RunningServer[] = [];

async function serve(extra: Partial<ApiPicksOptions> = {}): Promise<RunningServer> {
  const apiPicks = createApiPicksHandler({
    enabled: true,
    client: mockGroqClient(mock, SERVER_KEY, (l) => lines.push(l), { limits: {}, maxRetries: 0 }),
    openEngine: (rerank: RerankOptions) => openEngine({ catalogDir, vectors: engineVectors(), weights: DENSE_ONLY, log: (l) => lines.push(l), rerank }),
    cacheDir: null,
    burst: 100,
    deadlineMs: 3000,
    log: (l) => lines.push(l),
    ...extra,
  });
  const running = await startServer({ dir: site, port: 0, host: "127.0.0.1", apiPicks, log: (l) => lines.push(l) });
  servers.push(running);
  return running;
}

const post = (server: RunningServer, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}api/picks`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

let main: RunningServer;

beforeAll(async () => {
  mkdirSync(site, { recursive: true });
  writeFileSync(path.join(site, "index.html"), "<!doctype html><title>Marquee</title>");
  await writeCatalog(catalogDir, catalogue);
  mock = await startMockLlm();
  main = await serve();
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await mock.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  mock.requests.length = 0;
  mock.setDefault(echoFirstCandidates(10, [{ title: "Heist of the Century", year: 2017 }, { title: "Breaking Point: The Movie", year: 2030 }]));
  lines = [];
});

describe("GET /api/picks", () => {
  it("says the endpoint is live, and with which model, without the key", async () => {
    const response = await fetch(`${main.url}api/picks`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ live: true, model: "openai/gpt-oss-20b" });
    expect(text).not.toContain(SERVER_KEY);
  });

  it("is answered as not live by a server started without the endpoint (the page's probe, no 404)", async () => {
    const plain = await startServer({ dir: site, port: 0, host: "127.0.0.1", log: (l) => lines.push(l) });
    servers.push(plain);
    const response = await fetch(`${plain.url}api/picks`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ live: false });
  });

  it("says not live when MARQUEE_LIVE_LLM is off, and POST answers 404", async () => {
    const off = await serve({ enabled: false });
    expect(await (await fetch(`${off.url}api/picks`)).json()).toMatchObject({ live: false });
    expect((await post(off, { series: [201] })).status).toBe(404);
    expect(mock.requests).toHaveLength(0);
  });
});

describe("POST /api/picks", () => {
  it("answers LLM picks from the server's own catalogue: proposals resolved, invented ones dropped, every id a catalogue id", async () => {
    const response = await post(main, { series: [201], limit: 3, filters: { genres: ["Crime"] } });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const answer = (await response.json()) as PicksAnswer;
    expect(answer).toMatchObject({ source: "llm", model: "openai/gpt-oss-20b" });
    expect(answer.picks).toHaveLength(3);
    for (const pick of answer.picks) {
      expect(catalogueIds.has(pick.id)).toBe(true);
      expect(pick.title).toBe(catalogue.movies.find((m) => m.id === pick.id)!.title);
      expect(pick.because).toEqual([201]);
    }
    // The proposal call, then a rerank whose candidates the server chose (Crime only), the resolved proposal among them.
    expect(mock.requests).toHaveLength(2);
    expect(isProposalRequest(mock.requests[0])).toBe(true);
    const shown = candidateIdsIn(mock.requests[1]);
    expect(shown).toContain(112);
    for (const id of shown) expect(catalogue.movies.find((m) => m.id === id)!.genre_names).toContain("Crime");
  });

  it("answers a repeated selection from its cache, with no LLM call", async () => {
    const body = { series: [202], limit: 2 };
    const first = await (await post(main, body)).json();
    const calls = mock.requests.length;
    const second = await (await post(main, body)).json();
    expect(second).toEqual(first);
    expect(mock.requests.length).toBe(calls);
  });

  it("answers from the new catalogue once a rebuild replaces it, not from answers given on the old one", async () => {
    const ownDir = path.join(work, "catalog-rebuilt");
    await writeCatalog(ownDir, catalogue);
    let opens = 0;
    const server = await serve({
      openEngine: (rerank: RerankOptions) => {
        opens++;
        return openEngine({ catalogDir: ownDir, vectors: engineVectors(), weights: DENSE_ONLY, log: (l) => lines.push(l), rerank });
      },
    });
    const body = { series: [202], limit: 2 };
    const before = (await (await post(server, body)).json()) as PicksAnswer;
    expect(opens).toBe(1);
    // The monthly rebuild: the same movies under new titles, written the way a refresh writes them.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeCatalog(ownDir, { ...catalogue, movies: catalogue.movies.map((m) => ({ ...m, title: `${m.title} (restored)` })) });
    const after = (await (await post(server, body)).json()) as PicksAnswer;
    expect(opens).toBe(2);
    expect(before.picks.every((p) => !p.title.endsWith("(restored)"))).toBe(true);
    expect(after.picks.length).toBeGreaterThan(0);
    expect(after.picks.every((p) => p.title.endsWith("(restored)"))).toBe(true);
    // Unchanged since: the engine stays open.
    await post(server, body);
    expect(opens).toBe(2);
  });

  it.each([
    ["not JSON", "{series: [201]", /JSON/],
    ["no series", { limit: 3 }, /^series must be/],
    ["a series id that is not a number", { series: ["Breaking Point"] }, /^series must be/],
    ["candidate text from the client", { series: [201], candidates: [{ id: 1, title: "Mine" }] }, /^candidates is not a field/],
    ["a wrong weight count", { series: [201, 202], weights: [1] }, /^weights must be a list of 2/],
    ["a bad filter value", { series: [201], filters: { yearFrom: "1990" } }, /^filters\.yearFrom must be a whole number/],
    ["an unknown filter", { series: [201], filters: { rating: 8 } }, /^filters\.rating is not a filter/],
    ["an unknown genre", { series: [201], filters: { genres: ["Telenovela"] } }, /^filters: .*genre/i],
    ["a series not in the catalogue", { series: [999999] }, /^series: /],
    ["a limit out of range", { series: [201], limit: 500 }, /^limit must be a whole number from 1 to 30/],
  ])("answers 400 naming the problem for %s, without calling the LLM", async (_name, body, message) => {
    const response = await post(main, body);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(message);
    expect(mock.requests).toHaveLength(0);
  });

  it("refuses a body over the size cap (413) and one that is not sent as JSON (415)", async () => {
    expect((await post(main, { series: [201], filters: { excludeIds: Array.from({ length: 3000 }, (_, i) => i + 1) } })).status).toBe(413);
    expect((await post(main, JSON.stringify({ series: [201] }), { "content-type": "text/plain" })).status).toBe(415);
  });
});

describe("limits", () => {
  it("answers 429 with Retry-After once a client spends its burst", async () => {
    const limited = await serve({ burst: 3, refillPerMinute: 6 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const response = await post(limited, { series: [201], limit: 1 + i });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get("retry-after");
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(10);
  });

  it("answers from the deterministic ranker, saying so, once the day's token budget is spent", async () => {
    // The mock reports 120 tokens a call: the first selection (2 calls) spends the budget.
    const budgeted = await serve({ tokensPerDay: 200 });
    const first = (await (await post(budgeted, { series: [203], limit: 2 })).json()) as PicksAnswer;
    expect(first.source).toBe("llm");
    const calls = mock.requests.length;
    const second = (await (await post(budgeted, { series: [204], limit: 2 })).json()) as PicksAnswer;
    expect(second.source).toBe("fallback");
    expect(second.model).toBeNull();
    expect(second.notice).toMatch(/budget/);
    expect(second.picks).toHaveLength(2);
    expect(mock.requests.length).toBe(calls);
  });
});

describe("the server's key", () => {
  it("never reaches a response or a log line, even when the provider echoes it", async () => {
    mock.setDefault((request: RecordedRequest) => {
      if (isProposalRequest(request)) return { body: completion(JSON.stringify({ proposals: [{ title: `${request.authorization}`, year: null }] }), `m-${SERVER_KEY}`) };
      const picks = candidateIdsIn(request).map((id) => ({ id, reason: `Key ${SERVER_KEY} and ${request.authorization}.` }));
      return { body: completion(JSON.stringify({ picks }), `m-${SERVER_KEY}`) };
    });
    const ok = await (await post(main, { series: [205], limit: 2 })).text();
    mock.setDefault(() => ({ status: 401, body: { error: { message: `Invalid API Key ${SERVER_KEY}` } } }));
    const failed = await (await post(main, { series: [206], limit: 2 })).text();
    expect(mock.requests.every((r) => r.authorization === `Bearer ${SERVER_KEY}`)).toBe(true);
    expect(JSON.parse(ok).source).toBe("llm");
    expect(JSON.parse(failed).source).toBe("fallback");
    expect([ok, failed, ...lines].join("\n")).not.toContain(SERVER_KEY);
  });
});

describe("the providers a page may call with a visitor's key (CSP connect-src)", () => {
  it("are Groq and servers on the visitor's own machine, plus the origins the operator lists", async () => {
    expect(BROWSER_LLM_ORIGINS).toEqual(expect.arrayContaining(["https://api.groq.com", "http://localhost:*", "http://127.0.0.1:*"]));
    expect(BROWSER_LLM_ORIGINS.some((o) => o === "https:" || o === "*")).toBe(false);
    expect(extraBrowserLlmOrigins(" https://llm.example.org  http://10.0.0.5:8080 ")).toEqual(["https://llm.example.org", "http://10.0.0.5:8080"]);
    const policy = (await fetch(main.url)).headers.get("content-security-policy") ?? "";
    expect(policy).toMatch(/connect-src 'self' https:\/\/api\.groq\.com http:\/\/localhost:\* http:\/\/127\.0\.0\.1:\*/);
  });

  it("refuse anything that is not a bare http(s) origin, naming the setting", () => {
    for (const bad of ["*", "https:", "https://llm.example.org/v1", "javascript:alert(1)", "https://a.org; script-src *"]) {
      expect(() => extraBrowserLlmOrigins(bad), bad).toThrow(/MARQUEE_BROWSER_LLM_ORIGINS/);
    }
  });
});
