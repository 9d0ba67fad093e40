// Keyboard-only use of the built site in Debian's chromium: the main flow without a mouse
// (Tab to the series picker, type, ↓, Enter for two series, Tab to a filter and change it,
// open a card's story with Enter and Space), the picker's combobox keys, what the live region
// says, a visible focus ring on every control in light and dark, reduced motion, and 200%
// zoom (a 640 px wide viewport at device scale 2) with no sideways scroll and every control
// reachable and uncovered. The site is built once, as in site.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { siteCatalog } from "../fixtures/site-catalog.ts";
import { browserUnavailable, buildSite, openContext, startHarness, waitForResults, type BuiltSite, type Harness } from "./harness.ts";

const unavailable = browserUnavailable();
if (unavailable) console.warn(`skipping keyboard tests: ${unavailable}`);

let work: string;
let site: BuiltSite;
let harness: Harness;

/** What has focus, where it is and whether it shows a focus ring. */
interface Focused {
  /** e.g. `input#picker-input-1`, `summary`, `a` */
  tag: string;
  /** Its accessible-ish name: aria-label, label text or text content. */
  name: string;
  ring: boolean;
  /** Inside the viewport horizontally and vertically. */
  inView: boolean;
  /** The topmost element at its centre is itself (or inside it, or its label). */
  uncovered: boolean;
  selector: string;
  /** The classes of its ancestors, innermost first. */
  ancestors: string[];
}

/** Describes document.activeElement (null when focus is on the page itself). */
function focused(page: Page): Promise<Focused | null> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0 && style.outlineColor !== "rgba(0, 0, 0, 0)";
    const ring = outline || style.boxShadow !== "none";
    const rect = el.getBoundingClientRect();
    const inView = rect.width > 0 && rect.height > 0 && rect.left >= -1 && rect.top >= -1 && rect.right <= innerWidth + 1 && rect.bottom <= innerHeight + 1;
    // A link wrapped over two lines: its first line's box (the whole box's centre may be other text).
    const box = el.getClientRects()[0] ?? rect;
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const labels = (el as HTMLInputElement).labels ? [...((el as HTMLInputElement).labels ?? [])] : [];
    const uncovered = !!top && (top === el || el.contains(top) || labels.some((l) => l.contains(top)));
    const label = labels.map((l) => l.textContent ?? "").join(" ");
    const name = (el.getAttribute("aria-label") || label || el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 80);
    const selector = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""}`;
    const ancestors: string[] = [];
    for (let parent = el.parentElement; parent; parent = parent.parentElement) if (typeof parent.className === "string" && parent.className) ancestors.push(...parent.className.split(/\s+/));
    return { tag: el.tagName.toLowerCase(), name, ring, inView, uncovered, selector, ancestors };
  });
}

/** Presses Tab until `stop` holds for the focused element (returned), failing after `max` presses. */
async function tabUntil(page: Page, stop: (f: Focused) => boolean, max = 60): Promise<{ reached: Focused; passed: Focused[] }> {
  const passed: Focused[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (f && stop(f)) return { reached: f, passed };
    if (f) passed.push(f);
  }
  throw new Error(`not reached in ${max} Tab presses; passed: ${passed.map((f) => `${f.selector} "${f.name}"`).join(", ")}`);
}

/** Every element Tab reaches from the top of a freshly loaded page, once round (at most `max`). */
async function tabWalk(page: Page, max = 200, onEach?: (f: Focused) => Promise<void>): Promise<Focused[]> {
  const seen: Focused[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (!f) break; // back to the page: once round
    if (seen.length && f.selector === seen[0].selector && f.name === seen[0].name) break;
    seen.push(f);
    await onEach?.(f);
  }
  return seen;
}

const combobox = (page: Page) => page.locator('input[role="combobox"]').first();
const liveText = (page: Page) => page.locator("[data-live-region]").textContent();

async function resultsVersion(page: Page): Promise<number> {
  return Number((await page.getAttribute("section[data-results]", "data-version")) ?? 0);
}

describe.skipIf(unavailable !== null)("keyboard, focus, motion and zoom", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "marquee-keyboard-"));
    const catalogDir = path.join(work, "catalog");
    await writeCatalog(catalogDir, siteCatalog());
    site = await buildSite({ catalogDir, cacheDir: path.join(work, "cache"), compress: false, env: { EMBEDDING_BACKEND: "energetic" } });
    harness = await startHarness(site.dist);
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    site?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("runs the main flow by keyboard alone: two series, a filter, a card's story, each step announced", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(harness.server.url);
      await waitForResults(page);

      // The order: skip link, the site's name and navigation, then the series picker.
      const { passed } = await tabUntil(page, (f) => f.tag === "input" && f.name === "TV series you love");
      expect(passed.map((f) => f.name)).toEqual(["Skip to content", "Marquee", "Recommend", "Explore", "About"]);
      const input = combobox(page);
      // Reaching the box with Tab leaves the list closed.
      expect(await input.getAttribute("aria-expanded")).toBe("false");

      await page.keyboard.type("Breaking Po");
      expect(await input.getAttribute("aria-expanded")).toBe("true");
      expect(await input.getAttribute("aria-activedescendant")).toBeNull();
      await page.keyboard.press("ArrowDown");
      const active = await input.getAttribute("aria-activedescendant");
      const option = page.locator(`[id="${active}"]`);
      expect(await option.getAttribute("role")).toBe("option");
      expect(await option.getAttribute("aria-selected")).toBe("true");
      expect(await option.textContent()).toContain("Breaking Point");
      await page.keyboard.press("Enter");
      expect(await input.getAttribute("aria-expanded")).toBe("false");
      expect(await input.inputValue()).toBe("");
      expect(await page.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("combobox");
      expect(await liveText(page)).toContain("Added Breaking Point.");
      await page.waitForFunction(() => document.querySelector("section[data-results] h2")?.textContent === "Because you like Breaking Point");

      await page.keyboard.type("Thrones of");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.querySelector("section[data-results] h2")?.textContent === "Because you like Breaking Point and Thrones of Ice");
      const count = Number(await page.getAttribute("section[data-results]", "data-count"));
      expect(count).toBeGreaterThan(0);
      // The addition and its outcome, in one polite region that was on the page all along.
      await expect.poll(() => liveText(page)).toContain(`Showing ${count} movie${count === 1 ? "" : "s"} for Breaking Point and Thrones of Ice.`);
      expect(await page.locator("[data-live-region]").getAttribute("aria-live")).toBe("polite");
      // The results and the pickers speak only through it (a settings panel may keep its own status).
      expect(await page.locator(":is(.recommend-output, .picker) :is([aria-live], [role=status], [role=alert])").count()).toBe(1);
      expect(new URL(page.url()).searchParams.getAll("series")).toEqual(["8001", "8003"]);

      // On to a filter: the panel's summary, then the genre boxes; Space ticks one.
      const before = await resultsVersion(page);
      // Drama: both series have it, so the list stays non-empty.
      const { reached: genre, passed: toGenre } = await tabUntil(page, (f) => f.tag === "input" && f.selector.startsWith("input#genre") && f.name === "Drama");
      expect(toGenre.map((f) => f.tag)).toContain("summary");
      await page.keyboard.press("Space");
      expect(await page.locator(`${genre.selector}:checked`).count()).toBe(1);
      await page.waitForFunction((v) => Number(document.querySelector("section[data-results]")?.getAttribute("data-version")) > v, before);
      expect(new URL(page.url()).searchParams.get("genre")).toBe(genre.name);

      // A card's story opens with Enter and closes and opens again with Space.
      await tabUntil(page, (f) => f.tag === "summary" && f.name === "Story", 200);
      const details = page.locator(".result-card details.overview:has(> summary:focus)");
      await page.keyboard.press("Enter");
      expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
      await expect.poll(() => details.locator("p").textContent()).not.toMatch(/^Loading|^$/);
      await page.keyboard.press("Space");
      expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
      await page.keyboard.press("Space");
      expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);

      // A chip's remove button: the series goes, it is announced, focus returns to the box.
      await combobox(page).focus();
      await page.keyboard.press("Shift+Tab");
      expect((await focused(page))?.name).toBe("Remove Thrones of Ice");
      await page.keyboard.press("Enter");
      expect(await page.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("combobox");
      await expect.poll(() => liveText(page)).toContain("Removed Thrones of Ice.");
      expect(problems.errors.filter((e) => !e.endsWith("net::ERR_ABORTED"))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("moves focus to the new results when a quick-start button that goes away is pressed", async () => {
    const { context, page } = await openContext(harness);
    try {
      await page.goto(harness.server.url);
      await waitForResults(page);
      const { reached } = await tabUntil(page, (f) => f.tag === "button" && f.ancestors.includes("quick-start"), 80);
      await page.keyboard.press("Enter");
      await page.waitForFunction((name) => document.querySelector("section[data-results] h2")?.textContent === `Because you like ${name}`, reached.name);
      expect(await page.locator(".quick-start").count()).toBe(0);
      // Focus is on the results' heading, not lost to the page, and the choice was announced.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(`Because you like ${reached.name}`);
      await expect.poll(() => liveText(page)).toContain(`for ${reached.name}.`);
    } finally {
      await context.close();
    }
  });

  it("moves through the suggestions with ↓ ↑ Home End, and Escape closes the list, then clears the text", async () => {
    const { context, page } = await openContext(harness);
    try {
      await page.goto(harness.server.url);
      await waitForResults(page);
      const input = combobox(page);
      await input.focus();
      await page.keyboard.type("e");
      const options = page.locator('[role="listbox"]:visible [role="option"]');
      const n = await options.count();
      expect(n).toBeGreaterThan(2);
      const activeIndex = async () => {
        const id = await input.getAttribute("aria-activedescendant");
        const ids = await options.evaluateAll((list) => list.map((o) => o.id));
        const selected = await options.evaluateAll((list) => list.map((o) => o.getAttribute("aria-selected")));
        // Exactly the active option is selected.
        expect(selected.filter((s) => s === "true").length).toBe(id ? 1 : 0);
        return id ? ids.indexOf(id) : -1;
      };
      await page.keyboard.press("ArrowDown");
      expect(await activeIndex()).toBe(0);
      await page.keyboard.press("ArrowDown");
      expect(await activeIndex()).toBe(1);
      await page.keyboard.press("End");
      expect(await activeIndex()).toBe(n - 1);
      await page.keyboard.press("ArrowDown"); // wraps
      expect(await activeIndex()).toBe(0);
      await page.keyboard.press("ArrowUp"); // wraps back
      expect(await activeIndex()).toBe(n - 1);
      await page.keyboard.press("Home");
      expect(await activeIndex()).toBe(0);

      await page.keyboard.press("Escape");
      expect(await input.getAttribute("aria-expanded")).toBe("false");
      expect(await input.getAttribute("aria-activedescendant")).toBeNull();
      expect(await page.locator('[role="listbox"]:visible').count()).toBe(0);
      expect(await input.inputValue()).toBe("e");
      await page.keyboard.press("Escape");
      expect(await input.inputValue()).toBe("");
      // ↓ on a closed list opens it at the first option.
      await page.keyboard.press("ArrowDown");
      expect(await input.getAttribute("aria-expanded")).toBe("true");
      expect(await activeIndex()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it.each(["light", "dark"] as const)("shows a focus ring on every control Tab reaches, %s", async (colorScheme) => {
    const { context, page } = await openContext(harness, { colorScheme });
    try {
      const pages: [string, (page: Page) => Promise<unknown>][] = [
        ["?series=8001&series=8003", (p) => waitForResults(p, "js")],
        ["explore.html", (p) => p.waitForSelector("main .card svg", { timeout: 30_000 })],
        ["about.html", (p) => p.waitForSelector(".about-table", { timeout: 30_000 })],
      ];
      for (const [url, ready] of pages) {
        await page.goto(harness.server.url + url);
        await ready(page);
        const walked = await tabWalk(page);
        expect(walked.length, url).toBeGreaterThan(url.startsWith("?") ? 20 : 5);
        expect([url, walked.filter((f) => !f.ring).map((f) => `${f.selector} "${f.name}"`)]).toEqual([url, []]);
      }
    } finally {
      await context.close();
    }
  });

  it("stops animations and transitions when the visitor prefers reduced motion", async () => {
    const duration = async (reducedMotion: "reduce" | "no-preference") => {
      const context = await harness.browser.newContext({ reducedMotion });
      try {
        const page = await context.newPage();
        // The catalogue never arrives, so Framework's spinning loading indicator stays.
        await page.route("**/_file/data/site/movies.*arrow", () => {});
        await page.goto(harness.server.url + "?series=8001");
        const loading = page.locator("main observablehq-loading").first();
        await loading.waitFor({ state: "attached" });
        return await loading.evaluate((el) => {
          const style = getComputedStyle(el);
          return { animation: parseFloat(style.animationDuration) * (style.animationIterationCount === "infinite" ? Infinity : Number(style.animationIterationCount)) };
        });
      } finally {
        await context.close();
      }
    };
    expect((await duration("no-preference")).animation).toBe(Infinity);
    expect((await duration("reduce")).animation).toBeLessThan(0.001);
  });

  it("at 200% zoom keeps every page within the width and every control reachable and uncovered", async () => {
    const context = await harness.browser.newContext({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
    try {
      const page = await context.newPage();
      await page.route("https://image.tmdb.org/**", (route) => route.fulfill({ status: 200, contentType: "image/svg+xml", body: "<svg xmlns='http://www.w3.org/2000/svg'/>" }));
      const pages: [string, (page: Page) => Promise<unknown>][] = [
        ["?series=8001&series=8003", (p) => waitForResults(p, "js")],
        ["", (p) => waitForResults(p)],
        ["explore.html", (p) => p.waitForSelector("main .card svg", { timeout: 30_000 })],
        ["about.html", (p) => p.waitForSelector(".about-table", { timeout: 30_000 })],
      ];
      for (const [url, ready] of pages) {
        await page.goto(harness.server.url + url);
        await ready(page);
        expect(await page.evaluate(() => devicePixelRatio)).toBe(2);
        const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect([url, await overflow()]).toEqual([url, 0]);
        // Folded panels (the filters on a narrow screen) open with Enter, so their controls count too.
        const walked = await tabWalk(page, 250, async (f) => {
          if (f.tag === "summary" && f.name.startsWith("Filters")) {
            const open = await page.evaluate(() => (document.activeElement?.parentElement as HTMLDetailsElement).open);
            if (!open) await page.keyboard.press("Enter");
          }
        });
        const hidden = walked.filter((f) => !f.inView || !f.uncovered).map((f) => `${f.selector} "${f.name}" inView=${f.inView} uncovered=${f.uncovered}`);
        expect([url, hidden]).toEqual([url, []]);
        if (url.startsWith("?")) expect(walked.some((f) => f.selector.startsWith("input#genre")), "the genre boxes are reachable").toBe(true);
        // Opening everything (stories, chart tables, panels) must not make the page wider either.
        await page.$$eval("main details", (all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));
        await page.waitForTimeout(100);
        expect([url, await overflow()]).toEqual([url, 0]);
      }
    } finally {
      await context.close();
    }
  });
});
