// The Content-Security-Policy scripts/serve.ts sends, against the real built pages in
// Debian's chromium: every page must run with no violation (its inline scripts allowed by
// hash, posters from TMDB), and the policy
// must really be enforced (an inline script the page did not ship is refused).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { siteCatalog } from "../fixtures/site-catalog.ts";
import { browserUnavailable, buildSite, openContext, startHarness, waitForResults, type BuiltSite, type Harness } from "./harness.ts";

const unavailable = browserUnavailable();
if (unavailable) console.warn(`skipping the CSP browser test: ${unavailable}`);

let work: string;
let site: BuiltSite;
let harness: Harness;

/**
 * Records every CSP violation: the document's securitypolicyviolation events (registered
 * before any page script runs) and the "Refused to …" console lines of the page and of
 * its workers, whose violations never reach the document.
 */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction("__reportViolation", (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { __reportViolation: (text: string) => void }).__reportViolation;
      void report(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ${JSON.stringify(event.sample)} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  const fromConsole = (where: string) => (message: { type(): string; text(): string }) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(`${where} console: ${message.text()}`);
  };
  page.on("console", fromConsole("page"));
  page.on("worker", (worker) => worker.on("console", fromConsole(`worker ${worker.url()}`)));
  return violations;
}

describe.skipIf(unavailable !== null)("the Content-Security-Policy in a browser", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "marquee-csp-"));
    const catalogDir = path.join(work, "catalog");
    await writeCatalog(catalogDir, siteCatalog());
    // No LLM: the picks come from the fallback ranker, which is all these pages need.
    site = await buildSite({ catalogDir, cacheDir: path.join(work, "cache"), env: { EMBEDDING_BACKEND: "energetic" } });
    harness = await startHarness(site.dist);
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    site?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("runs every page with no violation: inline scripts by hash, TMDB posters", async () => {
    const pages: [string, (page: Page) => Promise<unknown>][] = [
      // A series and a genre make the page rank live, so it fetches the movie texts and the vectors.
      ["?series=8001&genre=Crime", (page) => waitForResults(page, "js")],
      ["explore.html", (page) => page.waitForFunction(() => document.querySelectorAll("main .card svg").length >= 5, null, { timeout: 30_000 })],
      ["about.html", (page) => page.waitForSelector(".about-table")],
    ];
    for (const [url, ready] of pages) {
      const { context, page, problems, posters } = await openContext(harness);
      try {
        const violations = await watchViolations(page);
        const response = await page.goto(harness.server.url + url);
        expect(response?.headers()["content-security-policy"], url).toMatch(/script-src [^;]*'sha256-/);
        // A page the policy breaks may never get ready; say what the policy refused.
        await ready(page).catch((error: Error) => {
          throw new Error(`${url} did not get ready: ${error.message}\nCSP violations: ${JSON.stringify(violations, null, 1)}\nproblems: ${JSON.stringify(problems, null, 1)}`);
        });
        // Late work (posters, the charts' second pass) gets a moment to trip the policy too.
        await page.waitForTimeout(500);
        expect([url, violations]).toEqual([url, []]);
        expect([url, problems]).toEqual([url, { errors: [], external: [] }]);
        if (url.startsWith("?")) expect(posters.length, "the Recommend page asks TMDB for posters").toBeGreaterThan(0);
      } finally {
        await context.close();
      }
    }
  });

  it("enforces the policy: an inline script the page did not ship is refused and reported", async () => {
    const { context, page } = await openContext(harness);
    try {
      const violations = await watchViolations(page);
      await page.goto(harness.server.url);
      const ran = await page.evaluate(() => {
        const script = document.createElement("script");
        script.textContent = "window.__injected = true;";
        document.head.append(script);
        return (window as unknown as { __injected?: boolean }).__injected === true;
      });
      expect(ran).toBe(false);
      await expect.poll(() => violations.some((line) => line.startsWith("script-src-elem blocked inline"))).toBe(true);
    } finally {
      await context.close();
    }
  });
});
