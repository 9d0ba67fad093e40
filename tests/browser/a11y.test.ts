// Accessibility audit of the built site: axe-core (an npm dev dependency, no CDN) runs inside
// the page over every page and state, light and dark, 1280 and 375 px wide, and the test fails
// on any violation of impact "serious" or "critical". The site is built once, as in
// site.test.ts. A11Y_REPORT=1 also prints every violation (moderate and minor too) as a table.
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
  /** Set when the node is a known violation of Framework's own page template (see FRAMEWORK). */
  framework?: string;
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
}

/** No results section has a data-kind other than "empty" while the no-match message shows. */
const VIEWS: View[] = [
  { name: "recommend (results)", url: "?series=8001&series=8003", ready: (page) => waitForResults(page, "duckdb") },
  { name: "recommend (no series)", url: "", ready: (page) => waitForResults(page) },
  {
    name: "recommend (no match)",
    url: "?series=8001&genre=Western&lang=fr",
    ready: (page) => page.waitForSelector("section[data-results][data-kind='empty']", { timeout: 30_000 }),
  },
  { name: "explore", url: "explore.html", ready: (page) => page.waitForSelector("main .card svg", { timeout: 30_000 }) },
  { name: "about", url: "about.html", ready: (page) => page.waitForSelector(".about-table", { timeout: 30_000 }) },
];

const MODES = [
  { width: 1280, height: 900, colorScheme: "light" },
  { width: 1280, height: 900, colorScheme: "dark" },
  { width: 375, height: 812, colorScheme: "light" },
  { width: 375, height: 812, colorScheme: "dark" },
] as const;

/**
 * Violations in Observable Framework's sidebar, which this site keeps for its navigation and
 * Framework renders with no option to change them (render.js in @observablehq/framework 1.13):
 * the sidebar toggle is a checkbox named only by its title, outside any landmark, and the
 * sidebar's first <ol> holds the close <label> beside its <li>. Each entry matches exactly those
 * elements (checked in the page), so the same rule anywhere else still fails the test.
 */
const FRAMEWORK: Record<string, { selector: string; reason: string }> = {
  "label-title-only": { selector: "#observablehq-sidebar-toggle", reason: "Framework's sidebar toggle is named only by title" },
  region: { selector: "#observablehq-sidebar-toggle", reason: "Framework's sidebar toggle sits outside the <nav>" },
  list: { selector: "#observablehq-sidebar > ol:has(> label#observablehq-sidebar-close)", reason: "Framework's sidebar <ol> holds its close <label>" },
};

/** Runs axe-core in the page. page.evaluate is not subject to the page's Content-Security-Policy. */
async function audit(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (framework) => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const results = await axe.run(document, { resultTypes: ["violations"] });
    const known = (rule: string, target: unknown[]) => {
      const entry = framework[rule];
      if (!entry || target.length !== 1 || typeof target[0] !== "string") return undefined;
      const element = document.querySelector(target[0]);
      return element?.matches(entry.selector) ? entry.reason : undefined;
    };
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 160), failureSummary: n.failureSummary, framework: known(v.id, n.target) })),
    }));
  }, FRAMEWORK);
}

const SEVERE = new Set(["serious", "critical"]);

/** Every violation seen, by rule: its impact, nodes and views (for the summary table). */
const seen = new Map<string, { impact: string; nodes: number; views: Set<string>; framework: number }>();

function describeViolations(view: string, violations: AxeViolation[]): string {
  return violations
    .map((v) => {
      const targets = v.nodes
        .slice(0, 8)
        .map((n) => `      ${JSON.stringify(n.target)} ${n.framework ? `[known, Framework: ${n.framework}] ` : ""}${n.failureSummary?.split("\n").slice(1).join(" ").trim() ?? ""}`.slice(0, 300));
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
    if (seen.size) {
      const rows = [...seen].sort(([, a], [, b]) => b.nodes - a.nodes).map(([id, s]) => `| ${id} | ${s.impact} | ${s.nodes} | ${s.views.size} | ${s.framework} |`);
      console.log(["axe-core violations over all views:", "| rule | impact | nodes | views | of which Framework's sidebar |", "|---|---|---|---|---|", ...rows].join("\n"));
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
    try {
      for (const view of VIEWS) {
        const label = `${view.name} @${width} ${colorScheme}`;
        await page.goto(harness.server.url + view.url);
        await view.ready(page);
        await page.waitForTimeout(200); // let transitions and late renders settle
        const violations = await audit(page);
        for (const v of violations) {
          const entry = seen.get(v.id) ?? { impact: v.impact ?? "?", nodes: 0, views: new Set<string>(), framework: 0 };
          entry.nodes += v.nodes.length;
          entry.framework += v.nodes.filter((n) => n.framework).length;
          entry.views.add(label);
          seen.set(v.id, entry);
        }
        const bad = violations.filter((v) => SEVERE.has(v.impact ?? "")).map((v) => ({ ...v, nodes: v.nodes.filter((n) => !n.framework) })).filter((v) => v.nodes.length);
        if (bad.length) severe.push(describeViolations(label, bad));
        if (violations.length) all.push(describeViolations(label, violations));
      }
      if (process.env.A11Y_REPORT && all.length) console.log(all.join("\n"));
      expect(severe, `serious or critical axe violations:\n${severe.join("\n")}`).toEqual([]);
      // Set by the head script in observablehq.config.ts (Framework has no option for either).
      expect(await page.getAttribute("html", "lang")).toBe("en");
      expect(await page.getAttribute('meta[name="viewport"]', "content")).toBe("width=device-width, initial-scale=1");
      // Leaving the Recommend page before DuckDB-WASM finished downloading aborts that request;
      // the pages' own errors still count.
      const errors = problems.errors.filter((e) => !(e.startsWith("request failed: ") && e.endsWith("net::ERR_ABORTED")));
      expect({ errors, external: problems.external }).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });
});
