// Accessibility audit of the built site: axe-core (an npm dev dependency, no CDN) runs inside
// the page over every page and state (results, no series, no match, loading, a failed load,
// Explore, About; every disclosure open), light and dark, 1280 and 375 px wide, and the test
// fails on any violation of impact "serious" or "critical", with no exceptions. The site is
// built once, as in site.test.ts. A11Y_REPORT=1 also prints every violation (moderate and
// minor too) as a table.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { siteCatalog } from "../fixtures/site-catalog.ts";
import { startMockLlm, type MockLlm } from "../helpers/mock-llm.ts";
import { browserUnavailable, buildSite, openContext, startHarness, waitForResults, type BuiltSite, type Harness } from "./harness.ts";

const unavailable = browserUnavailable();
if (unavailable) console.warn(`skipping accessibility tests: ${unavailable}`);

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

interface AxeNode {
  target: unknown[];
  html: string;
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: "minor" | "moderate" | "serious" | "critical" | null;
  help: string;
  nodes: AxeNode[];
}

interface View {
  name: string;
  url: string;
  ready(page: Page): Promise<unknown>;
  /** The site navigation's current page. */
  nav: string;
  /** The catalogue's movie file never answers (the page stays loading) or fails (its error shows). */
  movies?: "hang" | "fail";
  /** Errors the page is expected to log in this state. */
  expectedErrors?: RegExp;
}

const MOVIES_FILE = "**/_file/data/site/movies.*arrow";

/** No results section has a data-kind other than "empty" while the no-match message shows. */
const VIEWS: View[] = [
  { name: "recommend (results)", url: "?series=8001&series=8003", nav: "Recommend", ready: (page) => waitForResults(page, "js") },
  { name: "recommend (no series)", url: "", nav: "Recommend", ready: (page) => waitForResults(page) },
  {
    name: "recommend (no match)",
    url: "?series=8001&genre=Western&lang=fr",
    nav: "Recommend",
    ready: (page) => page.waitForSelector("section[data-results][data-kind='empty']", { timeout: 30_000 }),
  },
  {
    name: "recommend (loading)",
    url: "?series=8001",
    nav: "Recommend",
    movies: "hang",
    // Framework's placeholders for the cells still waiting on the catalogue.
    ready: (page) => page.waitForSelector("main observablehq-loading", { state: "attached", timeout: 30_000 }),
  },
  {
    name: "recommend (load failed)",
    url: "?series=8001",
    nav: "Recommend",
    movies: "fail",
    ready: (page) => page.waitForSelector("main .observablehq--error", { timeout: 30_000 }),
    expectedErrors: /movies\.[0-9a-f]+\.arrow|could not be loaded|net::ERR_FAILED/,
  },
  { name: "explore", url: "explore.html", nav: "Explore", ready: (page) => page.waitForSelector("main .card svg", { timeout: 30_000 }) },
  { name: "about", url: "about.html", nav: "About", ready: (page) => page.waitForSelector(".about-table", { timeout: 30_000 }) },
];

const MODES = [
  { width: 1280, height: 900, colorScheme: "light" },
  { width: 1280, height: 900, colorScheme: "dark" },
  { width: 375, height: 812, colorScheme: "light" },
  { width: 375, height: 812, colorScheme: "dark" },
] as const;

/** Runs axe-core in the page. page.evaluate is not subject to the page's Content-Security-Policy. */
async function audit(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const results = await axe.run(document, { resultTypes: ["violations"] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 160), failureSummary: n.failureSummary })),
    }));
  });
}

const SEVERE = new Set(["serious", "critical"]);

/** Every violation seen, by rule: its impact, nodes and views (for the summary table). */
const seen = new Map<string, { impact: string; nodes: number; views: Set<string> }>();
let audited = 0;

function describeViolations(view: string, violations: AxeViolation[]): string {
  return violations
    .map((v) => {
      const targets = v.nodes
        .slice(0, 8)
        .map((n) => `      ${JSON.stringify(n.target)} ${n.failureSummary?.split("\n").slice(1).join(" ").trim() ?? ""}`.slice(0, 300));
      return `  ${view}: ${v.id} (${v.impact}, ${v.nodes.length} node${v.nodes.length === 1 ? "" : "s"}): ${v.help}\n${targets.join("\n")}`;
    })
    .join("\n");
}

let work: string;
let site: BuiltSite;
let harness: Harness;
let llm: MockLlm;

describe.skipIf(unavailable !== null)("accessibility (axe-core)", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "marquee-a11y-"));
    const catalogDir = path.join(work, "catalog");
    await writeCatalog(catalogDir, siteCatalog());
    llm = await startMockLlm();
    site = await buildSite({
      catalogDir,
      cacheDir: path.join(work, "cache"),
      compress: false,
      env: { EMBEDDING_BACKEND: "energetic", GROQ_API_KEY: "gsk_test_not_a_real_key_0000", LLM_BASE_URL: llm.groqBaseURL, LLM_MODEL: "openai/gpt-oss-20b" },
    });
    harness = await startHarness(site.dist);
  }, 300_000);

  afterAll(async () => {
    if (seen.size === 0 && audited > 0) console.log(`axe-core violations over all views: none, in ${audited} views (every impact)`);
    if (seen.size) {
      const rows = [...seen].sort(([, a], [, b]) => b.nodes - a.nodes).map(([id, s]) => `| ${id} | ${s.impact} | ${s.nodes} | ${s.views.size} |`);
      console.log(["axe-core violations over all views:", "| rule | impact | nodes | views |", "|---|---|---|---|", ...rows].join("\n"));
    }
    await harness?.close();
    await llm?.close();
    site?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.each(MODES)("has no serious or critical violation on any page or state at $width px, $colorScheme", async ({ width, height, colorScheme }) => {
    const { context, page, problems } = await openContext(harness, { width, height, colorScheme });
    const severe: string[] = [];
    const all: string[] = [];
    const unexpected: string[] = [];
    const navigation: string[][] = [];
    // The console says only "Failed to load resource"; this says which, and on which view.
    let current = "";
    const failedResponses: string[] = [];
    page.on("response", (response) => {
      if (response.status() >= 400) failedResponses.push(`${current}: ${response.status()} ${response.url()}`);
    });
    try {
      for (const view of VIEWS) {
        const label = `${view.name} @${width} ${colorScheme}`;
        current = label;
        if (view.movies === "hang") await page.route(MOVIES_FILE, () => {});
        if (view.movies === "fail") await page.route(MOVIES_FILE, (route) => route.abort("failed"));
        const errorsBefore = problems.errors.length;
        await page.goto(harness.server.url + view.url);
        await view.ready(page);
        // Every disclosure open (folded filters, panels, stories, chart tables): axe skips
        // hidden content, and what a visitor can open must pass too.
        await page.$$eval("main details:not([open])", (all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));
        await page.waitForTimeout(300); // let transitions, late renders and opened stories settle
        const violations = await audit(page);
        audited += 1;
        for (const v of violations) {
          const entry = seen.get(v.id) ?? { impact: v.impact ?? "?", nodes: 0, views: new Set<string>() };
          entry.nodes += v.nodes.length;
          entry.views.add(label);
          seen.set(v.id, entry);
        }
        const bad = violations.filter((v) => SEVERE.has(v.impact ?? ""));
        if (bad.length) severe.push(describeViolations(label, bad));
        if (violations.length) all.push(describeViolations(label, violations));
        // The site's own navigation marks exactly the page shown as current.
        navigation.push([view.name, ...(await page.$$eval('header nav[aria-label="Site"] a[aria-current="page"]', (links) => links.map((a) => a.textContent ?? "")))]);
        expect(await page.locator("#observablehq-sidebar, #observablehq-sidebar-toggle").count(), label).toBe(0);
        const viewErrors = problems.errors.splice(errorsBefore);
        unexpected.push(...viewErrors.filter((e) => !view.expectedErrors?.test(e)));
        if (view.expectedErrors) expect(viewErrors.some((e) => view.expectedErrors!.test(e)), `${label} logs its failure`).toBe(true);
        await page.unrouteAll({ behavior: "ignoreErrors" });
      }
      if (process.env.A11Y_REPORT && all.length) console.log(all.join("\n"));
      expect(severe, `serious or critical axe violations:\n${severe.join("\n")}`).toEqual([]);
      expect(navigation).toEqual(VIEWS.map((v) => [v.name, v.nav]));
      // Set by the head script in observablehq.config.ts (Framework has no option for either).
      expect(await page.getAttribute("html", "lang")).toBe("en");
      expect(await page.getAttribute('meta[name="viewport"]', "content")).toBe("width=device-width, initial-scale=1");
      // Leaving a page before one of its downloads finished aborts that request;
      // the pages' own errors still count.
      const errors = unexpected.filter((e) => !(e.startsWith("request failed: ") && e.endsWith("net::ERR_ABORTED")));
      expect({ errors, external: problems.external }, failedResponses.join("\n")).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });
});
