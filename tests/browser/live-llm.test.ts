// Live language-model picks in a real browser: the visitor's own key against the mock
// OpenAI-compatible server (with the CORS headers a browser-callable provider sends), and the
// server's POST /api/picks. Built once from the small site catalogue, no LLM at build time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { openEngine } from "../../loaders/engine.ts";
import { createApiPicksHandler } from "../../scripts/api-picks.ts";
import { startServer, type RunningServer } from "../../scripts/serve.ts";
import { siteCatalog } from "../fixtures/site-catalog.ts";
import { candidateIdsIn, echoFirstCandidates, isProposalRequest, mockGroqClient, startMockLlm, type MockLlm } from "../helpers/mock-llm.ts";
import { browserUnavailable, buildSite, openContext, startHarness, type BuiltSite, type Harness } from "./harness.ts";

const unavailable = browserUnavailable();
if (unavailable) console.warn(`skipping browser tests: ${unavailable}`);

const VISITOR_KEY = "gsk_visitor_browser_key_0123456789abcdef";
const SERVER_KEY = "gsk_server_browser_key_0123456789abcdef";
// Two series: no precomputed picks apply, so the page ranks live.
const SELECTION = "?series=8001&series=8003";

let work: string;
let site: BuiltSite;
let harness: Harness;
let llm: MockLlm;

async function useVisitorKey(page: Page, baseUrl: string, key = VISITOR_KEY) {
  await page.getByText("Rank with a language model").click();
  await page.getByLabel("OpenAI-compatible server").check();
  await page.getByLabel("Base URL").fill(baseUrl);
  await page.getByLabel("API key").fill(key);
  await page.getByLabel("Model").fill("mock-model");
  await page.getByRole("button", { name: "Use this model" }).click();
}

/**
 * The cards hold the mock's picks with its reasons: the model keeps 10 (the first 10 it was
 * shown); any other card is one the fusion kept from the built-in ranking, with a data-based reason.
 */
function expectMockPicks(shown: { id: number; text: string }[], mock: MockLlm) {
  const rerank = mock.requests.filter((r) => !isProposalRequest(r)).at(-1)!;
  const picked = new Set(candidateIdsIn(rerank).slice(0, 10));
  let fromModel = 0;
  for (const card of shown) {
    if (picked.has(card.id)) {
      expect(card.text).toContain(`Mock reason for ${card.id}.`);
      fromModel++;
    } else expect(card.text).not.toContain("Mock reason");
  }
  expect(fromModel).toBeGreaterThanOrEqual(Math.ceil(shown.length / 2));
}

async function cards(page: Page): Promise<{ id: number; text: string }[]> {
  return page.$$eval("section[data-results] [data-movie-id]", (els) => els.map((el) => ({ id: Number(el.getAttribute("data-movie-id")), text: el.textContent ?? "" })));
}

describe.skipIf(unavailable !== null)("live LLM picks in the browser", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "marquee-live-llm-"));
    await writeCatalog(path.join(work, "catalog"), siteCatalog());
    site = await buildSite({ catalogDir: path.join(work, "catalog"), cacheDir: path.join(work, "cache"), env: { EMBEDDING_BACKEND: "energetic" } });
    harness = await startHarness(site.dist);
    llm = await startMockLlm(echoFirstCandidates(30));
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await llm?.close();
    site?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ranks with the visitor's key: the cards are the mock's picks, and the key goes only to the mock", async () => {
    llm.requests.length = 0;
    const { context, page, problems } = await openContext(harness);
    const authorizations: string[] = [];
    page.on("request", (request) => {
      const auth = request.headers().authorization;
      if (auth) authorizations.push(`${new URL(request.url()).origin} ${auth}`);
    });
    try {
      await page.goto(`${harness.server.url}${SELECTION}`);
      await page.waitForSelector('section[data-results][data-kind="ranked"]');
      const started = Date.now();
      await useVisitorKey(page, llm.openaiBaseURL);
      await page.waitForSelector('section[data-results][data-live="visitor"]', { timeout: 30_000 });
      console.log(`live pick with the visitor's key against the mock: ${Date.now() - started} ms (click to cards)`);
      const section = page.locator("section[data-results]");
      expect(await section.getAttribute("data-kind")).toBe("picks");
      expect(await section.locator(".provenance").textContent()).toMatch(/Ranked by mock-model with your key/);
      const shown = await cards(page);
      expect(shown.length).toBeGreaterThan(0);
      expectMockPicks(shown, llm);
      // Proposal call, then the rerank; both to the mock only, with the visitor's key.
      expect(llm.requests.map((r) => r.authorization)).toEqual([`Bearer ${VISITOR_KEY}`, `Bearer ${VISITOR_KEY}`]);
      expect(authorizations).toEqual([`${llm.url} Bearer ${VISITOR_KEY}`, `${llm.url} Bearer ${VISITOR_KEY}`]);
      expect(harness.served.some((r) => r.path.includes(VISITOR_KEY))).toBe(false);
      // Not remembered unless asked: nothing in localStorage.
      expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain(VISITOR_KEY);
      expect(problems.errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("keeps the built-in ranking with a one-line notice when the provider fails", async () => {
    llm.setDefault(() => ({ status: 500, body: { error: { message: "model crashed" } } }));
    const { context, page } = await openContext(harness);
    try {
      await page.goto(`${harness.server.url}${SELECTION}`);
      await page.waitForSelector('section[data-results][data-kind="ranked"]');
      await useVisitorKey(page, llm.openaiBaseURL);
      const notice = page.locator(".live-llm-notice");
      await notice.waitFor({ timeout: 30_000 });
      expect(await notice.textContent()).toMatch(/mock-model was not used: it failed; showing the built-in ranking/);
      expect(await page.getAttribute("section[data-results]", "data-kind")).toBe("ranked");
      expect((await cards(page)).length).toBeGreaterThan(0);
    } finally {
      llm.setDefault(echoFirstCandidates(30));
      await context.close();
    }
  }, 90_000);

  it("uses this server's POST /api/picks when it is live, before any key, and shows it", async () => {
    llm.requests.length = 0;
    // The engine embeds as the build did, from the build's vector cache.
    process.env.EMBEDDING_BACKEND = "energetic";
    process.env.MARQUEE_CACHE_DIR = path.join(work, "cache");
    const apiPicks = createApiPicksHandler({
      enabled: true,
      client: mockGroqClient(llm, SERVER_KEY, () => undefined, { model: "server-model", limits: {} }),
      openEngine: (rerank) => openEngine({ catalogDir: path.join(work, "catalog"), log: () => undefined, rerank }),
      cacheDir: null,
      log: () => undefined,
    });
    const server: RunningServer = await startServer({ dir: site.dist, port: 0, host: "127.0.0.1", apiPicks, log: () => undefined });
    const { context, page } = await openContext({ ...harness, server });
    const sentKeys: string[] = [];
    page.on("request", (request) => {
      const text = `${request.url()} ${JSON.stringify(request.headers())} ${request.postData() ?? ""}`;
      if (text.includes(SERVER_KEY)) sentKeys.push(request.url());
    });
    try {
      await page.goto(`${server.url}${SELECTION}`);
      const started = Date.now();
      await page.waitForSelector('section[data-results][data-live="server"]', { timeout: 60_000 });
      console.log(`live pick on the server: ${Date.now() - started} ms from page load (the server opens its engine on this first request)`);
      expect(await page.locator("section[data-results] .provenance").textContent()).toMatch(/Ranked by server-model on this server/);
      const shown = await cards(page);
      expect(shown.length).toBeGreaterThan(0);
      expectMockPicks(shown, llm);
      expect(llm.requests.every((r) => r.authorization === `Bearer ${SERVER_KEY}`)).toBe(true);
      expect(sentKeys).toEqual([]);
      expect(await page.content()).not.toContain(SERVER_KEY);
    } finally {
      await context.close();
      await server.close();
    }
  }, 120_000);
});
