// What fans ask for, in a real browser: marking movies seen or not for me (gone at once, still
// gone after a reload, restorable), likes and dislikes that reshape the list and can be undone,
// "more like this" as a shareable ?movie= link, a history import with its match report, and
// where to watch. The site is built once from the demo catalogue (so tests/fixtures/history/
// matches it) with made-up watch providers on most movies.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Catalog } from "../../lib/catalog.ts";
import { watchProvidersText } from "../../lib/providers.ts";
import { loadDemoCatalog } from "../../loaders/catalog/demo.ts";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { PROJECT_ROOT, browserUnavailable, buildSite, openContext, startHarness, waitForResults, type BuiltSite, type Harness } from "./harness.ts";

const unavailable = browserUnavailable();
if (unavailable) console.warn(`skipping browser tests: ${unavailable}`);

const ARTIFACTS = path.join(PROJECT_ROOT, "tests", "artifacts");
const FIXTURES = path.join(PROJECT_ROOT, "tests", "fixtures", "history");
const BREAKING_BAD = 1396;

let work: string;
let site: BuiltSite;
let harness: Harness;
let catalog: Catalog;

/** Most demo movies stream somewhere: odd ids on Mockflix in the US, even ones on Streamzone; every fifth nowhere. */
function withProviders(base: Catalog): Catalog {
  const movies = base.movies.map((m) => {
    if (m.id % 5 === 0) return m;
    const logo = (n: number) => `/logo${n}.png`;
    const providers = watchProvidersText({
      links: { US: `https://www.themoviedb.org/movie/${m.id}/watch?locale=US`, GB: `https://www.themoviedb.org/movie/${m.id}/watch?locale=GB` },
      offers: [
        { region: "US", kind: "flatrate", provider: m.id % 2 ? "Mockflix" : "Streamzone", logo_path: logo(m.id % 2) },
        { region: "US", kind: "rent", provider: "Rent Mock", logo_path: logo(2) },
        { region: "GB", kind: "flatrate", provider: "Sky Mock", logo_path: logo(3) },
      ],
    });
    return { ...m, providers };
  });
  const withCount = movies.filter((m) => m.providers).length;
  return { ...base, movies, meta: { ...base.meta, source: "import", providers: { regions: ["GB", "US"], cached: 0, fetched: movies.length, not_found: 0, failed: 0, with_providers: withCount } } };
}

async function resultIds(page: Page): Promise<number[]> {
  return page.$$eval("section[data-results] [data-movie-id]", (cards) => cards.map((c) => Number(c.getAttribute("data-movie-id"))));
}

async function resultsVersion(page: Page): Promise<number> {
  return Number((await page.getAttribute("section[data-results]", "data-version")) ?? 0);
}

/** Waits until the results block is newer than `version`. */
async function nextResults(page: Page, version: number) {
  try {
    await page.waitForFunction((v) => Number(document.querySelector("section[data-results]")?.getAttribute("data-version") ?? 0) > v, version, { timeout: 30_000 });
  } catch (error) {
    const shown = await page.textContent(".results-slot").catch(() => null);
    throw new Error(`no new results after version ${version}; the results slot says: ${shown?.slice(0, 300)}`, { cause: error });
  }
}

/** Clicks a card's action and waits for the list it reshapes. */
async function act(page: Page, movieId: number, action: string) {
  const version = await resultsVersion(page);
  await page.click(`section[data-results] [data-movie-id="${movieId}"] button[data-action="${action}"]`);
  await nextResults(page, version);
}

/** The Recommend page with a query string. */
const at = (search: string) => new URL(`/${search}`, harness.server.url).href;

const titleOf = (id: number) => catalog.movies.find((m) => m.id === id)!.title;

describe.skipIf(unavailable !== null)("fans in a browser", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "marquee-fans-"));
    catalog = withProviders(await loadDemoCatalog());
    const catalogDir = path.join(work, "catalog");
    await writeCatalog(catalogDir, catalog);
    site = await buildSite({ catalogDir, cacheDir: path.join(work, "cache"), env: { EMBEDDING_BACKEND: "energetic" } });
    harness = await startHarness(site.dist);
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 400_000);

  afterAll(async () => {
    await harness?.close();
    site?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("takes a movie marked seen or not for me out of the list at once, keeps it out after a reload, and restores it", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(at(`?series=${BREAKING_BAD}`));
      await waitForResults(page);
      const [first, second] = await resultIds(page);
      const seen = page.locator(`[data-movie-id="${first}"] button[data-action="seen"]`);
      expect(await seen.getAttribute("aria-label")).toBe(`Seen: ${titleOf(first)}`);
      await act(page, first, "seen");
      await act(page, second, "not-interested");
      expect(await resultIds(page)).not.toContain(first);
      expect(await resultIds(page)).not.toContain(second);
      await expect.poll(() => page.textContent("[data-hidden-list] summary")).toBe("Hidden (2)");

      await page.reload();
      await waitForResults(page);
      expect(await resultIds(page)).not.toContain(first);
      expect(await resultIds(page)).not.toContain(second);
      expect(await page.textContent("[data-hidden-list] summary")).toBe("Hidden (2)");

      await page.click("[data-hidden-list] summary");
      const version = await resultsVersion(page);
      await page.click(`[data-hidden-list] li[data-movie-id="${first}"] button`);
      await nextResults(page, version);
      expect(await resultIds(page)).toContain(first);
      expect(await page.textContent("[data-hidden-list] summary")).toBe("Hidden (1)");
      expect(problems.errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("reshapes the list when a movie is liked, says what shaped it, and undoes it on a second press", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(at(`?series=${BREAKING_BAD}`));
      await waitForResults(page);
      const before = await resultIds(page);
      const liked = before[before.length - 1];
      await act(page, liked, "like");
      await page.waitForSelector("[data-shaped-by]");
      expect(await page.textContent("[data-shaped-by]")).toContain(`Shaped by what you liked: ${titleOf(liked)}.`);
      expect(await page.getAttribute(`[data-movie-id="${liked}"] button[data-action="like"]`, "aria-pressed")).toBe("true");
      const after = await resultIds(page);
      expect(after).not.toEqual(before);
      // The liked movie climbs: its neighbours and itself are now closer to the query.
      expect(after.indexOf(liked)).toBeLessThan(before.indexOf(liked));
      expect(await page.locator("section[data-results] .because.liked").count()).toBeGreaterThan(0);

      await act(page, liked, "like");
      expect(await page.locator("[data-shaped-by]").count()).toBe(0);
      expect(await resultIds(page)).toEqual(before);
      expect(problems.errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("takes a disliked movie out and lists it under Hidden as disliked", async () => {
    const { context, page } = await openContext(harness);
    try {
      await page.goto(at(`?series=${BREAKING_BAD}`));
      await waitForResults(page);
      const [first] = await resultIds(page);
      await act(page, first, "dislike");
      expect(await resultIds(page)).not.toContain(first);
      expect(await page.textContent("[data-shaped-by]")).toContain(`Moved away from what you disliked: ${titleOf(first)}.`);
      expect(await page.textContent(`[data-hidden-list] li[data-movie-id="${first}"]`)).toContain("(disliked)");
    } finally {
      await context.close();
    }
  }, 120_000);

  it("opens more like this as a ?movie= link that a reload (or a shared link) shows again", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(at(`?series=${BREAKING_BAD}`));
      await waitForResults(page);
      const [first] = await resultIds(page);
      await act(page, first, "more-like-this");
      await expect.poll(() => new URL(page.url()).searchParams.get("movie")).toBe(String(first));
      expect(await page.textContent("section[data-results] h2")).toBe(`More like ${titleOf(first)}, for fans of Breaking Bad`);
      expect(await resultIds(page)).not.toContain(first);

      await page.goto(at(`?movie=${first}`));
      await waitForResults(page);
      await page.waitForFunction(() => document.querySelector("section[data-results]")?.getAttribute("data-kind") === "ranked");
      expect(await page.textContent("section[data-results] h2")).toBe(`More like ${titleOf(first)}`);
      expect((await resultIds(page)).length).toBeGreaterThan(0);
      const version = await resultsVersion(page);
      await page.click("[data-leave-movie]");
      await nextResults(page, version);
      expect(new URL(page.url()).searchParams.has("movie")).toBe(false);
      expect(problems.errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("imports a Letterboxd and a Netflix history: a match report with a choice for the ambiguous title, then the seen movies leave the list", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(at(`?series=${BREAKING_BAD}`));
      await waitForResults(page);
      await page.click("details.history-import summary");
      await page.setInputFiles('input[type=file][data-import="history"]', [path.join(FIXTURES, "not-an-export.csv")]);
      await page.waitForSelector(".import-error");
      expect(await page.textContent(".import-error")).toMatch(/^Nothing was imported\. not-an-export\.csv: is not a history export/);
      expect(await page.textContent("[data-hidden-list] summary")).toBe("Hidden (0)");

      await page.setInputFiles('input[type=file][data-import="history"]', [path.join(FIXTURES, "letterboxd-watched.csv"), path.join(FIXTURES, "NetflixViewingHistory.csv")]);
      await page.waitForSelector("[data-import-count=matched]");
      expect(await page.textContent("[data-import-count=matched]")).toBe("Matched: 9 movies and 4 series.");
      expect(await page.locator("[data-import-count=ambiguous] select option").allTextContents()).toEqual([
        "None of these",
        "All Quiet on the Western Front (2022)",
        "All Quiet on the Western Front (1930)",
      ]);
      expect(await page.textContent("[data-import-count=not-found] summary")).toBe("Not in this catalogue: 3");
      expect(await page.textContent("[data-import-series]")).toContain("Stranger Things");
      await page.locator(".import-report").screenshot({ path: path.join(ARTIFACTS, "fans-match-report.png") });

      await page.selectOption("[data-import-count=ambiguous] select", "143");
      const version = await resultsVersion(page);
      await page.click("[data-import-apply]");
      await nextResults(page, version);
      expect(await page.textContent(".import-done")).toBe("10 movies hidden. Restore any of them under Hidden.");
      expect(await page.textContent("[data-hidden-list] summary")).toBe("Hidden (10)");
      const shown = await resultIds(page);
      for (const id of [275, 238, 348, 194, 78, 49046, 935, 569547, 426426, 143]) expect(shown).not.toContain(id);
      expect(problems.errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("shows where to watch in the chosen region, remembers the region, credits JustWatch, and filters to my services", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(at(`?series=${BREAKING_BAD}`));
      await waitForResults(page);
      await page.waitForSelector("section[data-results] [data-providers]");
      const ids = await resultIds(page);
      const streaming = ids.find((id) => id % 5 !== 0)!;
      const card = page.locator(`section[data-results] [data-movie-id="${streaming}"]`);
      expect(await card.locator("[data-providers]").getAttribute("data-providers")).toBe("GB");
      expect(await card.locator(".provider img").first().getAttribute("alt")).toBe("Sky Mock");
      expect(await card.locator(".provider-credit").textContent()).toContain("Streaming data from JustWatch");
      expect(await card.locator(".provider-credit a").getAttribute("href")).toBe(`https://www.themoviedb.org/movie/${streaming}/watch?locale=GB`);

      await page.selectOption("[data-watch-region]", "US");
      await page.waitForSelector(`section[data-results] [data-movie-id="${streaming}"] [data-providers="US"]`);
      expect(await card.locator(".provider-label").allTextContents()).toEqual(["Stream (US)", "Rent (US)"]);
      await card.screenshot({ path: path.join(ARTIFACTS, "fans-card-providers.png") });

      await page.reload();
      await waitForResults(page);
      await page.waitForSelector(`section[data-results] [data-providers="US"]`);
      expect(await page.inputValue("[data-watch-region]")).toBe("US");

      await page.waitForSelector("[data-my-services] input");
      const version = await resultsVersion(page);
      await page.check('[data-my-services] input[value="Mockflix"]');
      await nextResults(page, version);
      const onMockflix = await resultIds(page);
      expect(onMockflix.length).toBeGreaterThan(0);
      expect(onMockflix.every((id) => id % 2 === 1 && id % 5 !== 0)).toBe(true);
      expect(problems.errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
