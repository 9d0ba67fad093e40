// Browser benchmark of the Recommend page: one JSON line on stdout (progress on stderr).
//
//   tsx bench/browser.ts                 import the raw TMDB data (~10k movies), build, measure
//   tsx bench/browser.ts --dist dist     measure an existing build
//   tsx bench/browser.ts --catalog DIR   build from a catalogue directory
//
// Measures (medians over --runs fresh browser contexts, so every load is a cold cache):
// - first results after navigation for a shared link, and when DuckDB-WASM takes over;
// - input change → updated results, once DuckDB-WASM is ready (and before, in-page filter);
// - bytes each page downloads: on the wire (the server sends the precompressed .br/.gz
//   siblings), and what an uncompressed server would send (identity) for comparison.
// Vectors are cached in MARQUEE_CACHE_DIR (default data/cache), so only the first build
// embeds the whole catalogue (~10 minutes on 2 cores).
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { cacheDir } from "../loaders/shared/config.ts";
import { readCatalogMeta } from "../loaders/catalog/store.ts";
import { importCatalog } from "../loaders/import/catalog-import.ts";
import { browserUnavailable, buildSite, openContext, startHarness, type Harness } from "../tests/browser/harness.ts";
import { sharedRawDir } from "../loaders/shared/config.ts";

const RAW = sharedRawDir();
const log = (line: string) => process.stderr.write(`${line}\n`);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length ? (sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2) : NaN;
};
const round = (n: number) => Math.round(n * 10) / 10;
const summary = (values: number[]) => ({ median_ms: round(median(values)), min_ms: round(Math.min(...values)), max_ms: round(Math.max(...values)), runs: values.length });

// Records when results first appear and when DuckDB first produced them, from navigation start.
const OBSERVE_RESULTS = `
  window.__bench = { first: null, duckdb: null };
  new MutationObserver(() => {
    const el = document.querySelector("section[data-results]");
    if (!el || el.dataset.kind === "empty") return;
    const at = Number(el.dataset.renderedAt);
    if (window.__bench.first === null) window.__bench.first = at;
    if (el.dataset.engine === "duckdb" && window.__bench.duckdb === null) window.__bench.duckdb = at;
  }).observe(document, { childList: true, subtree: true });
`;

async function firstLoad(harness: Harness, query: string, runs: number) {
  const first: number[] = [];
  const duckdb: number[] = [];
  let kind = "";
  for (let i = 0; i < runs; i++) {
    const { context, page } = await openContext(harness);
    try {
      await page.addInitScript(OBSERVE_RESULTS);
      await page.goto(harness.server.url + query);
      await page.waitForFunction("window.__bench.duckdb !== null || document.querySelector(\"section[data-kind='picks']\") !== null", null, { timeout: 60_000 });
      const times = (await page.evaluate("window.__bench")) as { first: number; duckdb: number | null };
      kind = (await page.getAttribute("section[data-results]", "data-kind")) ?? "";
      first.push(times.first);
      if (times.duckdb !== null) duckdb.push(times.duckdb);
    } finally {
      await context.close();
    }
  }
  return { query, results: kind, first_results: summary(first), ...(duckdb.length ? { duckdb_results: summary(duckdb) } : {}) };
}

// In-page source (a string, so the TypeScript runner's helpers do not leak into the page):
// clicks a genre box, then resolves with ms until the new results block was built and until
// the next animation frame after it was inserted.
const TIME_CHANGE = `async (label) => {
  const box = [...document.querySelectorAll("input[name=genre]")].find((b) => b.value === label);
  const before = Number(document.querySelector("section[data-results]")?.getAttribute("data-version") ?? 0);
  const t0 = performance.now();
  box.click();
  const el = await new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const current = document.querySelector("section[data-results]");
      if (current && Number(current.dataset.version) > before) {
        observer.disconnect();
        resolve(current);
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
  await new Promise((r) => requestAnimationFrame(() => r(null)));
  return { compute: Number(el.dataset.renderedAt) - t0, frame: performance.now() - t0, work: Number(el.dataset.elapsed), engine: el.dataset.engine ?? "" };
}`;

async function timeChange(page: Page, genre: string): Promise<{ compute: number; frame: number; work: number; engine: string }> {
  return page.evaluate(`(${TIME_CHANGE})(${JSON.stringify(genre)})`);
}

async function inputChanges(harness: Harness, query: string, changes: number) {
  const { context, page } = await openContext(harness);
  try {
    await page.goto(harness.server.url + query);
    await page.waitForSelector("section[data-results][data-engine='duckdb']", { timeout: 60_000 });
    const genres = ["Drama", "Comedy", "Thriller", "Action", "Romance", "Crime"];
    const compute: number[] = [];
    const frame: number[] = [];
    const work: number[] = [];
    // Each genre is switched on then off again, so the filters keep changing shape.
    for (let i = 0; i < changes; i++) {
      // Spaced like a person's clicks, so each change starts from a settled page (the
      // previous chart drawn), as it would in use.
      await page.waitForTimeout(150);
      const result = await timeChange(page, genres[Math.floor(i / 2) % genres.length]);
      if (result.engine !== "duckdb") throw new Error(`expected DuckDB results, got ${result.engine}`);
      compute.push(result.compute);
      frame.push(result.frame);
      work.push(result.work);
    }
    // results_built: input event to results block built; filter_and_rank: the DuckDB query
    // plus ranking inside it (the rest is the reactive runtime scheduling and the cards).
    return { query, changes, results_built: summary(compute), filter_and_rank: summary(work), next_frame: summary(frame) };
  } finally {
    await context.close();
  }
}

async function inputChangesBeforeDuckDB(harness: Harness, query: string) {
  // Same measurement while the in-page filter serves results (DuckDB-WASM still starting).
  const { context, page } = await openContext(harness);
  try {
    await page.goto(harness.server.url + query);
    await page.waitForSelector("section[data-results][data-engine='js']", { timeout: 60_000 });
    const result = await timeChange(page, "Drama");
    return result.engine === "js" ? { results_built_ms: round(result.compute), next_frame_ms: round(result.frame) } : { note: "DuckDB-WASM was ready before the change" };
  } finally {
    await context.close();
  }
}

/** Bytes the server sent for one cold page load (DuckDB's worker and .wasm included). */
async function pageBytes(harness: Harness, dist: string, pagePath: string, ready: string) {
  const { context, page } = await openContext(harness);
  try {
    harness.served.length = 0;
    await page.goto(harness.server.url + pagePath);
    await page.waitForSelector(ready, { timeout: 60_000 });
    await page.waitForLoadState("networkidle");
    let bytes = 0;
    let identity = 0;
    const byType: Record<string, number> = {};
    const byEncoding: Record<string, number> = {};
    for (const response of harness.served) {
      bytes += response.bytes;
      const ext = path.extname(response.path) || ".html";
      byType[ext] = (byType[ext] ?? 0) + response.bytes;
      const encoding = response.encoding ?? "identity";
      byEncoding[encoding] = (byEncoding[encoding] ?? 0) + 1;
      // A compressed answer stands for the whole original file.
      const file = path.join(dist, decodeURIComponent(response.path));
      const original = existsSync(file) && statSync(file).isFile() ? file : `${file.replace(/\/$/, "/index")}.html`;
      identity += response.encoding && existsSync(original) ? statSync(original).size : response.bytes;
    }
    return { page: pagePath || "/", requests: harness.served.length, bytes, identity_bytes: identity, responses_by_encoding: byEncoding, bytes_by_type: byType };
  } finally {
    await context.close();
  }
}

async function benchCatalog(work: string): Promise<string> {
  if (!existsSync(RAW)) throw new Error(`no raw data at ${RAW}; pass --catalog DIR or --dist DIR`);
  const out = path.join(work, "catalog");
  log(`importing the raw TMDB exports into ${out}`);
  await importCatalog({
    movies: [path.join(RAW, "vartika51__recommender-system", "top10K-TMDB-movies.csv")],
    series: [
      path.join(RAW, "bhavyarathore11__NETFLIX-Entertainment-recommender-App-", "tv_shows.csv"),
      path.join(RAW, "cschupbach__tmdb", "data", "raw", "tv_series.csv"),
    ],
    out,
    log: () => undefined,
  });
  return out;
}

async function main() {
  const { values } = parseArgs({
    options: {
      dist: { type: "string" },
      catalog: { type: "string" },
      runs: { type: "string", default: "5" },
      changes: { type: "string", default: "30" },
    },
  });
  const unavailable = browserUnavailable();
  const noData = !values.dist && !values.catalog && !existsSync(RAW) ? `raw data absent: ${RAW} (or pass --catalog DIR / --dist DIR)` : null;
  if (unavailable || noData) {
    process.stdout.write(JSON.stringify({ bench: "browser", skipped: unavailable ?? noData }) + "\n");
    return;
  }
  const runs = Number(values.runs);
  const work = mkdtempSync(path.join(tmpdir(), "marquee-bench-"));
  let cleanup = () => rmSync(work, { recursive: true, force: true });
  try {
    let dist = values.dist ? path.resolve(values.dist) : "";
    let catalog: Record<string, unknown> = { dist };
    let buildMs: number | null = null;
    let compressMs: number | null = null;
    if (!dist) {
      const catalogDir = values.catalog ? path.resolve(values.catalog) : await benchCatalog(work);
      const meta = await readCatalogMeta(catalogDir);
      catalog = { dir: catalogDir, source: meta.source, ...meta.counts };
      log(`building the site from ${meta.counts.movies} movies and ${meta.counts.series} series (vectors cached in ${cacheDir()})`);
      const site = await buildSite({ catalogDir, cacheDir: cacheDir(), log: (text) => log(text.split("\n").filter((l) => /^(site|vectors|embeddings|picks|compress)/.test(l)).join("\n")) });
      const previous = cleanup;
      cleanup = () => {
        site.cleanup();
        previous();
      };
      dist = site.dist;
      buildMs = Math.round(site.buildMs);
      compressMs = site.compressed ? Math.round(site.compressed.ms) : null;
    }
    const harness = await startHarness(dist);
    try {
      const loadBefore = loadavg().map(round);
      const seriesIds = await seriesFromSite(harness);
      const single = `?series=${seriesIds[0]}`;
      const filtered = `?series=${seriesIds[0]}&series=${seriesIds[1]}&genre=Drama&lang=en&minvotes=200`;
      log("measuring first loads");
      const firstSingle = await firstLoad(harness, single, runs);
      const firstFiltered = await firstLoad(harness, filtered, runs);
      log("measuring input changes");
      const changes = await inputChanges(harness, filtered, Number(values.changes));
      const beforeDuckDB = await inputChangesBeforeDuckDB(harness, filtered);
      log("measuring page weight");
      const bytes = [
        await pageBytes(harness, dist, "", "section[data-results][data-engine='duckdb']"),
        await pageBytes(harness, dist, "explore.html", "main .card svg"),
        await pageBytes(harness, dist, "about.html", ".about-table"),
      ];
      const result = {
        bench: "browser",
        // Headline figures (medians, ms and bytes) for bench/run.ts's summary table.
        first_results_ms: firstFiltered.first_results.median_ms,
        first_picks_ms: firstSingle.first_results.median_ms,
        duckdb_results_ms: firstFiltered.duckdb_results?.median_ms ?? null,
        input_change_ms: changes.results_built.median_ms,
        index_bytes: bytes[0].bytes,
        index_identity_bytes: bytes[0].identity_bytes,
        catalog,
        build_ms: buildMs,
        compress_ms: compressMs,
        first_load: { targets: "first results < 2000 ms", single_series: firstSingle, filtered: firstFiltered },
        input_change: { target: "< 50 ms", duckdb: changes, before_duckdb: beforeDuckDB },
        page_bytes: bytes,
        browser: "Debian chromium, headless, 127.0.0.1, fresh context per load",
        // Other work on the machine slows every figure; the load average says how busy it was.
        load_average: { before: loadBefore, after: loadavg().map(round) },
      };
      process.stdout.write(JSON.stringify(result) + "\n");
    } finally {
      await harness.close();
    }
  } finally {
    cleanup();
  }
}

/** Two series ids from the built site (the most popular ones, as the series list is ordered). */
async function seriesFromSite(harness: Harness): Promise<number[]> {
  const { context, page } = await openContext(harness);
  try {
    await page.goto(harness.server.url);
    const input = page.getByLabel("TV series you love", { exact: true });
    await input.click();
    const ids = await page.$$eval("[role=option]", (options) => options.length);
    if (ids < 2) throw new Error("the site lists fewer than two series");
    await page.keyboard.press("Enter");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => new URL(location.href).searchParams.getAll("series").length === 2);
    return new URL(page.url()).searchParams.getAll("series").map(Number);
  } finally {
    await context.close();
  }
}

main().catch((error) => {
  log(`bench/browser: ${(error as Error).message}`);
  process.exit(1);
});
