// The built site in a real browser: the site is built once from a small test catalogue,
// served on 127.0.0.1 and driven with Debian's chromium (playwright-core).
import type { DuckDBConnection } from "@duckdb/node-api";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMovieFilterQuery, filtersFromSearchParams } from "../../lib/filters.ts";
import { connectDuckDB, sqlPath, writeCatalog } from "../../loaders/catalog/store.ts";
import { ADULT_MOVIE_ID, XSS_MOVIE_ID, XSS_OVERVIEW, siteCatalog } from "../fixtures/site-catalog.ts";
import { startMockLlm, type MockLlm } from "../helpers/mock-llm.ts";
import { PROJECT_ROOT, browserUnavailable, buildSite, openContext, startHarness, waitForResults, type BuiltSite, type Harness } from "./harness.ts";

const unavailable = browserUnavailable();
if (unavailable) console.warn(`skipping browser tests: ${unavailable}`);

const ARTIFACTS = path.join(PROJECT_ROOT, "tests", "artifacts");

let work: string;
let catalogDir: string;
let site: BuiltSite;
let harness: Harness;
let db: DuckDBConnection;
let llm: MockLlm;
const MODEL = "openai/gpt-oss-20b";

async function choose(page: Page, label: string, query: string, option: string) {
  const input = page.getByLabel(label, { exact: true });
  await input.click();
  await input.fill(query);
  await page.getByRole("option", { name: option }).first().click();
}

async function resultIds(page: Page): Promise<number[]> {
  return page.$$eval("section[data-results] [data-movie-id]", (cards) => cards.map((c) => Number(c.getAttribute("data-movie-id"))));
}

/** Waits until the results block shown is newer than `version`. */
async function nextResults(page: Page, version: number, engine = "js") {
  await page.waitForFunction(
    ([v, e]) => {
      const el = document.querySelector("section[data-results]");
      return el !== null && Number(el.getAttribute("data-version")) > Number(v) && el.getAttribute("data-engine") === e;
    },
    [version, engine] as const,
    { timeout: 30_000 },
  );
}

async function resultsVersion(page: Page): Promise<number> {
  return Number((await page.getAttribute("section[data-results]", "data-version")) ?? 0);
}

/** The movie ids lib/filters.ts's SQL selects from the catalogue Parquet for the page's URL. */
async function sqlIdsForUrl(url: string): Promise<number[]> {
  const filters = filtersFromSearchParams(new URL(url).searchParams);
  const { sql, params } = buildMovieFilterQuery(filters, { columns: ["id"] });
  return ((await db.runAndReadAll(sql, params)).getRowObjectsJS() as { id: number }[]).map((r) => r.id);
}

describe.skipIf(unavailable !== null)("the site in a browser", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "marquee-browser-"));
    catalogDir = path.join(work, "catalog");
    await writeCatalog(catalogDir, siteCatalog());
    // The build precomputes picks with "the LLM": a mock Groq server on 127.0.0.1.
    llm = await startMockLlm();
    site = await buildSite({
      catalogDir,
      cacheDir: path.join(work, "cache"),
      env: { EMBEDDING_BACKEND: "energetic", GROQ_API_KEY: "gsk_test_not_a_real_key_0000", LLM_BASE_URL: llm.groqBaseURL, LLM_MODEL: MODEL },
    });
    harness = await startHarness(site.dist);
    db = await connectDuckDB();
    await db.run(`CREATE OR REPLACE VIEW movies AS SELECT * FROM read_parquet(${sqlPath(path.join(catalogDir, "movies.parquet"))})`);
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    db?.closeSync();
    await harness?.close();
    await llm?.close();
    site?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships no CDN URL or npm: import, and no DuckDB-WASM (the page filters with lib/filters.ts)", () => {
    const offenders: string[] = [];
    const visit = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) visit(file);
        else if (/\.(html|js|css|json)$/.test(name)) {
          const text = readFileSync(file, "utf8");
          const relative = path.relative(site.dist, file);
          if (/["'`]npm:/.test(text) || /cdn\.jsdelivr|unpkg\.com|esm\.sh|fonts\.googleapis/.test(text)) offenders.push(relative);
        }
      }
    };
    visit(site.dist);
    expect(offenders).toEqual([]);
    expect(readdirSync(site.dist)).not.toContain("_npm");
    const nodeModules = existsSync(path.join(site.dist, "_node")) ? readdirSync(path.join(site.dist, "_node")) : [];
    expect(nodeModules).not.toContain("@duckdb");
  });

  it("recommends for two series within a genre and a language, among exactly the movies DuckDB selects from the Parquet", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(harness.server.url);
      await waitForResults(page);
      let version = await resultsVersion(page);
      await choose(page, "TV series you love", "break", "Breaking Point");
      await choose(page, "TV series you love", "star", "Star Voyagers");
      await page.getByLabel("Crime", { exact: true }).check();
      await choose(page, "Languages", "engl", "English");
      await nextResults(page, version);
      version = await resultsVersion(page);

      const url = page.url();
      expect(new URL(url).searchParams.getAll("series")).toEqual(["8001", "8002"]);
      const ids = await resultIds(page);
      const allowed = await sqlIdsForUrl(url);
      expect(ids.length).toBeGreaterThan(0);
      expect(allowed).toEqual(expect.arrayContaining(ids));
      const catalog = siteCatalog();
      for (const id of ids) {
        const movie = catalog.movies.find((m) => m.id === id)!;
        expect(movie.genre_names).toContain("Crime");
        expect(movie.language).toBe("en");
      }
      expect(ids).not.toContain(ADULT_MOVIE_ID);
      const matching = await page.textContent("section[data-results] .matching");
      expect(matching).toContain(`${allowed.length} movies pass your filters`);
      await expect(page.getAttribute("section[data-results]", "data-engine")).resolves.toBe("js");
      await page.screenshot({ path: path.join(ARTIFACTS, "recommend.png"), fullPage: true });

      await page.reload();
      await waitForResults(page, "js");
      expect(page.url()).toBe(url);
      expect(await resultIds(page)).toEqual(ids);
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("shows one series' picks from the small files alone, brotli-compressed; a card's story then fetches that movie's record, never every text or the vectors", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      harness.served.length = 0;
      await page.goto(`${harness.server.url}?series=8003`);
      await page.waitForSelector("section[data-results][data-kind='picks']");
      await page.waitForLoadState("networkidle");
      const fetched = (pattern: RegExp) => harness.served.filter((r) => pattern.test(r.path));
      expect(harness.served.find((r) => r.path === "/")?.encoding).toBe("br");
      expect(fetched(/\/movies\.[0-9a-f]{8}\.arrow$/)).toHaveLength(1);
      // The picks come from the series' own chunk of series-picks.bin, by a byte range, before
      // picks.arrow (every series' picks), which the page reads once it is idle.
      const askedFirst: string[] = await page.evaluate(() => {
        const shown = Number(document.querySelector<HTMLElement>("section[data-results]")!.dataset.renderedAt);
        return performance.getEntriesByType("resource").filter((e) => e.startTime < shown).map((e) => new URL(e.name).pathname);
      });
      expect(askedFirst.filter((p) => /\/series-picks\./.test(p))).toHaveLength(1);
      expect(askedFirst.filter((p) => /\/picks\.[0-9a-f]{8}\.arrow$/.test(p))).toEqual([]);
      expect(fetched(/\/series-picks\.[0-9a-f]{8}\.bin$/).map((r) => r.status)).toEqual([206]);
      await expect.poll(() => fetched(/\/picks\.[0-9a-f]{8}\.arrow$/).length).toBe(1);
      expect(fetched(/movie-texts|vectors|duckdb/)).toEqual([]);
      // The HTML asks for the first-view data at once (scripts/preload-data.ts): the movies,
      // the series and the ranking index, never the heavy files.
      const preloaded = await page.$$eval("link[rel=preload][as=fetch]", (links) => links.map((l) => new URL((l as HTMLLinkElement).href).pathname.split("/").pop()!.replace(/\.[0-9a-f]{8}\./, ".")));
      expect(preloaded.sort()).toEqual(["movies.arrow", "ranking-index.json", "series.arrow"]);
      // Each preloaded file was fetched once: the page's own fetch() reused the preload.
      expect(fetched(/\/series\.[0-9a-f]{8}\.arrow$/)).toHaveLength(1);

      const [first] = await resultIds(page);
      const card = page.locator(`[data-movie-id="${first}"]`);
      await card.locator("summary").click();
      const overview = siteCatalog().movies.find((m) => m.id === first)!.overview;
      await expect.poll(() => card.locator(".overview p").textContent()).toBe(overview);
      // One byte range of movie-records.bin: the card's own record (lib/movie-records.ts).
      const records = fetched(/\/movie-records\.[0-9a-f]{8}\.bin$/);
      expect(records.map((r) => r.status)).toEqual([206]);
      expect(records[0].bytes).toBeLessThan(2000);
      expect(fetched(/movie-texts|vectors|duckdb/)).toEqual([]);
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("ranks a shared two-series link from the series' signal lists and the cards' records: no vector and no full text before the results", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      harness.served.length = 0;
      await page.goto(`${harness.server.url}?series=8001&series=8002&genre=Crime`);
      await page.waitForSelector("section[data-results][data-kind='ranked'][data-ranking='lists']");
      // What the page asked for before it drew the results (the idle prefetch comes after).
      const asked: string[] = await page.evaluate(() => {
        const shown = Number(document.querySelector<HTMLElement>("section[data-results]")!.dataset.renderedAt);
        return performance
          .getEntriesByType("resource")
          .filter((entry) => entry.startTime < shown)
          .map((entry) => new URL(entry.name).pathname);
      });
      expect(asked.filter((p) => /movie-texts\.|vectors\.|\/picks\./.test(p))).toEqual([]);
      expect(asked.filter((p) => /\/series-signals\./.test(p))).toHaveLength(2);
      expect(asked.some((p) => /\/movie-records\./.test(p))).toBe(true);
      const ranged = (pattern: RegExp) => harness.served.filter((r) => pattern.test(r.path)).map((r) => r.status);
      expect(ranged(/\/series-signals\.[0-9a-f]{8}\.bin$/)).toEqual([206, 206]);
      expect(ranged(/\/movie-records\.[0-9a-f]{8}\.bin$/).every((status) => status === 206)).toBe(true);
      const ids = await resultIds(page);
      expect(ids.length).toBeGreaterThan(3);
      // Every card's story is there at once, from its record.
      const first = page.locator(`[data-movie-id="${ids[0]}"]`);
      await first.locator("summary").click();
      await expect.poll(() => first.locator(".overview p").textContent()).toBe(siteCatalog().movies.find((m) => m.id === ids[0])!.overview);
      // Once idle, the page fetches every text (so a change fetches nothing) and the picks, never the vectors.
      await page.waitForLoadState("networkidle");
      await expect.poll(() => harness.served.filter((r) => /\/movie-texts\./.test(r.path)).length).toBe(1);
      expect(harness.served.filter((r) => /vectors/.test(r.path))).toEqual([]);

      // A repeat visit first shows the results this browser kept for the address (results-snapshot.ts),
      // then ranks again, taking the lists and records from its range store (range-cache.ts), not the server.
      await page.addInitScript(() => {
        const w = window as unknown as { __first?: { snapshot: boolean; ids: string[] } };
        new MutationObserver(() => {
          const section = document.querySelector<HTMLElement>("section[data-results]");
          if (!section || w.__first) return;
          w.__first = { snapshot: "snapshot" in section.dataset, ids: [...section.querySelectorAll("[data-movie-id]")].map((c) => c.getAttribute("data-movie-id")!) };
        }).observe(document, { childList: true, subtree: true });
      });
      const firstShown = () => page.evaluate(() => (window as unknown as { __first?: { snapshot: boolean; ids: string[] } }).__first);
      harness.served.length = 0;
      // Once the chart (and Plot with it) is in, so the reload cuts no request short.
      await page.waitForSelector(".chart-slot svg");
      await page.reload();
      await page.waitForSelector("section[data-results][data-kind='ranked'][data-ranking='lists']");
      expect(await resultIds(page)).toEqual(ids);
      expect(await firstShown()).toEqual({ snapshot: true, ids: ids.map(String) });
      expect(await page.$$("section[data-results]")).toHaveLength(1);
      expect(harness.served.filter((r) => /(series-signals|movie-records)\.[0-9a-f]{8}\.bin$/.test(r.path))).toEqual([]);
      // Other marks make other results: no snapshot is shown for them.
      await page.evaluate(() => localStorage.setItem("marquee:fans:v1", JSON.stringify({ seen: [9001] })));
      await page.waitForSelector(".chart-slot svg");
      await page.waitForLoadState("networkidle");
      await page.reload();
      await page.waitForSelector("section[data-results][data-ranking='lists']");
      expect((await firstShown())?.snapshot).toBe(false);
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("shows the language model's precomputed picks, and which model wrote them, for one series with the default filters", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(harness.server.url);
      await waitForResults(page);
      await choose(page, "TV series you love", "thrones", "Thrones of Ice");
      await page.waitForSelector("section[data-results][data-kind='picks']");
      const text = (await page.textContent("section[data-results]")) ?? "";
      expect(text).toContain(`Chosen and explained by ${MODEL}`);
      const ids = await resultIds(page);
      expect(ids.length).toBe(10);
      // The model's reasons (its order is fused with the built-in one, lib/llm-fusion.ts).
      expect(text).toMatch(/Mock reason for \d+\./);
      expect(llm.requests.length).toBe(siteCatalog().series.length);

      // Any filter switches to live ranking, labelled as such.
      let version = await resultsVersion(page);
      await page.getByLabel("Fantasy", { exact: true }).check();
      await page.waitForFunction((v) => Number(document.querySelector("section[data-results]")?.getAttribute("data-version")) > v, version);
      version = await resultsVersion(page);
      await expect(page.getAttribute("section[data-results]", "data-kind")).resolves.toBe("ranked");
      await expect(page.textContent("section[data-results] .provenance")).resolves.toContain("not by a language model");
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("says which series each pick is for, and a favourite star doubles its share and goes into the link", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(`${harness.server.url}?series=8001&series=8003&ages=all`);
      await waitForResults(page, "js");
      const because = () => page.$$eval("section[data-results] .because", (els) => els.map((e) => e.textContent ?? ""));
      const names = siteCatalog().series;
      const first = names.find((s) => s.id === 8001)!.name;
      const second = names.find((s) => s.id === 8003)!.name;
      const count = (lines: string[], name: string) => lines.filter((l) => l.startsWith(`Because you like ${name}`)).length;
      const even = await because();
      expect(count(even, first)).toBe(count(even, second));
      const version = await resultsVersion(page);
      const star = page.getByRole("button", { name: `Favourite: ${second}` });
      expect(await star.getAttribute("aria-pressed")).toBe("false");
      await star.click();
      await nextResults(page, version);
      expect(await star.getAttribute("aria-pressed")).toBe("true");
      expect(new URL(page.url()).searchParams.getAll("fav")).toEqual(["8003"]);
      const weighted = await because();
      expect(count(weighted, second)).toBeGreaterThan(count(weighted, first));
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("removes excluded titles and honours a year range from a shared link", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(`${harness.server.url}?series=8001&from=2000&to=2012&exclude=9003`);
      await waitForResults(page, "js");
      const ids = await resultIds(page);
      expect(ids).not.toContain(9003);
      expect(await sqlIdsForUrl(page.url())).toEqual(expect.arrayContaining(ids));
      for (const id of ids) {
        const year = Number(siteCatalog().movies.find((m) => m.id === id)!.release_date!.slice(0, 4));
        expect(year).toBeGreaterThanOrEqual(2000);
        expect(year).toBeLessThanOrEqual(2012);
      }
      expect(await page.getByLabel("From year").inputValue()).toBe("2000");
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("shows catalogue text literally: an overview with markup stays text and runs nothing", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(`${harness.server.url}?series=8001&genre=Crime&genre=Drama&mode=all&lang=en`);
      await waitForResults(page, "js");
      const card = page.locator(`[data-movie-id="${XSS_MOVIE_ID}"]`);
      await card.locator("summary").click();
      await expect(card.locator(".overview p").textContent()).resolves.toBe(XSS_OVERVIEW);
      await expect(card.locator("h3").textContent()).resolves.toContain("The <b>Formula</b>");
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('img[src="x"], main script').count()).toBe(0);
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("says what to change when no movie passes the filters", async () => {
    const { context, page } = await openContext(harness);
    try {
      await page.goto(`${harness.server.url}?series=8001&genre=Western&lang=fr`);
      await waitForResults(page, "js");
      const text = await page.textContent("section[data-results]");
      expect(text).toContain("No movie passes these filters");
      expect(text).toMatch(/clear the (languages|genres) \(\d+ movies?\)/);
    } finally {
      await context.close();
    }
  });

  it("shows posters from TMDB's image host when the catalogue has a path, placeholders otherwise", async () => {
    const { context, page, posters } = await openContext(harness);
    try {
      await page.goto(`${harness.server.url}?series=8001&genre=Crime&lang=en`);
      await waitForResults(page, "js");
      await expect(page.locator('[data-movie-id="9002"] img.poster').getAttribute("src")).resolves.toBe("https://image.tmdb.org/t/p/w185/desert-cartel.jpg");
      await expect(page.locator('[data-movie-id="9003"] .poster-placeholder').count()).resolves.toBe(1);
      expect(posters).toContain("https://image.tmdb.org/t/p/w185/desert-cartel.jpg");
    } finally {
      await context.close();
    }
  });

  it("labels every input on every page", async () => {
    const { context, page } = await openContext(harness);
    try {
      for (const [url, ready] of [
        ["", "section[data-results]"],
        ["explore.html", "main .card svg"],
      ]) {
        await page.goto(harness.server.url + url);
        await page.waitForSelector(ready);
        const unlabelled = await page.$$eval("main input, main select, main textarea", (inputs) =>
          inputs
            .filter((el) => {
              const input = el as HTMLInputElement;
              return !(input.labels?.length || input.getAttribute("aria-label") || input.getAttribute("aria-labelledby"));
            })
            .map((el) => el.outerHTML),
        );
        expect(unlabelled, url || "index").toEqual([]);
      }
    } finally {
      await context.close();
    }
  });

  it("draws the Explore charts without errors", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(`${harness.server.url}explore.html`);
      await page.waitForFunction(() => document.querySelectorAll("main .card svg").length >= 5, null, { timeout: 30_000 });
      await page.getByLabel("Movie genre").selectOption("Crime");
      const crime = siteCatalog().movies.filter((m) => m.genre_names.includes("Crime")).length;
      await page.waitForFunction((n) => document.querySelector(".figures .big")?.textContent === String(n), crime, { timeout: 10_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, "explore.png"), fullPage: true });
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("credits TMDB on the About page with the logo and the exact notice", async () => {
    const { context, page, problems } = await openContext(harness);
    try {
      await page.goto(`${harness.server.url}about.html`);
      await page.waitForSelector(".about-table");
      const text = (await page.textContent("main")) ?? "";
      expect(text).toContain("This product uses the TMDB API but is not endorsed or certified by TMDB.");
      expect(text).toContain("imported from TMDB export files");
      expect(text).toContain("energetic:use-en-512");
      expect(text).toContain(`chosen and explained by ${MODEL}`);
      const logoWidth = await page.$eval("img.tmdb-logo", (img) => (img as HTMLImageElement).naturalWidth);
      expect(logoWidth).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(ARTIFACTS, "about.png"), fullPage: true });
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });

  it("fits a 375 px wide phone and follows dark mode", async () => {
    const { context, page, problems } = await openContext(harness, { width: 375, height: 812, colorScheme: "dark" });
    try {
      for (const [name, url] of [
        ["recommend", "?series=8001&genre=Crime"],
        ["explore", "explore.html"],
        ["about", "about.html"],
      ] as const) {
        await page.goto(harness.server.url + url);
        if (name === "recommend") await waitForResults(page, "js");
        else await page.waitForSelector(name === "explore" ? "main .card svg" : ".about-table");
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const [r, g, b] = background.match(/\d+/g)!.map(Number);
        expect(r + g + b, `${name} background ${background}`).toBeLessThan(200);
        await page.screenshot({ path: path.join(ARTIFACTS, `${name}-375-dark.png`), fullPage: true });
      }
      expect(problems).toEqual({ errors: [], external: [] });
    } finally {
      await context.close();
    }
  });
});
