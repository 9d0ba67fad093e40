// Browser benchmark of the Recommend page: one JSON line on stdout (progress on stderr).
//
//   tsx bench/browser.ts                 the imported raw TMDB catalogue (11.7k movies, bench/lib/raw-catalog.ts): build, measure
//   tsx bench/browser.ts --dist dist     measure an existing build
//   tsx bench/browser.ts --catalog DIR   build from a catalogue directory
//   tsx bench/browser.ts --synthetic N   the imported movies repeated to N (bench/lib/synthetic-catalog.ts)
//
// Measures (medians over --runs fresh browser contexts, so every load is a cold cache):
// - first results after navigation for a shared link (one series: the precomputed picks;
//   two series + a genre + minimum votes: live ranking), on a throttled link (10 Mbit/s,
//   40 ms round trips, through the DevTools protocol), with the bytes that had arrived by
//   then, workers' requests included; then the same link again in the same context (warm cache);
// - input change → updated results on localhost, once the page has settled;
// - bytes each page downloads: on the wire (the server sends the precompressed .br/.gz
//   siblings), and what an uncompressed server would send (identity) for comparison.
// Vectors are cached in MARQUEE_CACHE_DIR (default data/cache), so only the first build
// embeds the whole catalogue (~10 minutes on 2 cores).
import { cpSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { BrowserContext, Page } from "playwright-core";
import { cacheDir } from "../loaders/shared/config.ts";
import { readCatalogMeta } from "../loaders/catalog/store.ts";
import { browserUnavailable, buildSite, openContext, startHarness, type Harness } from "../tests/browser/harness.ts";
import { RAW, rawCatalogDir } from "./lib/raw-catalog.ts";
import { syntheticCatalogDir } from "./lib/synthetic-catalog.ts";
const log = (line: string) => process.stderr.write(`${line}\n`);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length ? (sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2) : NaN;
};
const round = (n: number) => Math.round(n * 10) / 10;
const summary = (values: number[]) => ({ median_ms: round(median(values)), min_ms: round(Math.min(...values)), max_ms: round(Math.max(...values)), runs: values.length });

// Records when results first appear (and with which engine), and when DuckDB first produced
// them, in ms from navigation start.
const OBSERVE_RESULTS = `
  window.__bench = { first: null, engine: null, kind: null, duckdb: null };
  new MutationObserver(() => {
    const el = document.querySelector("section[data-results]");
    if (!el || el.dataset.kind === "empty") return;
    const at = Number(el.dataset.renderedAt);
    if (window.__bench.first === null) Object.assign(window.__bench, { first: at, engine: el.dataset.engine, kind: el.dataset.kind });
    if (el.dataset.engine === "duckdb" && window.__bench.duckdb === null) window.__bench.duckdb = at;
  }).observe(document, { childList: true, subtree: true });
`;

/** The phone-like link: 10 Mbit/s down, 5 up, 40 ms round trips. */
const THROTTLE = { offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 5e6 / 8 };

/**
 * Every request the context finished (workers' too, which the page's DevTools session does
 * not see), with the wall-clock time it finished and its bytes on the wire.
 */
function recordTransfers(context: BrowserContext) {
  const transfers: { url: string; at: number; bytes: Promise<number> }[] = [];
  context.on("requestfinished", (request) => {
    const at = Date.now();
    const bytes = request.sizes().then(
      (s) => s.responseBodySize + s.responseHeadersSize,
      () => 0,
    );
    transfers.push({ url: request.url(), at, bytes });
  });
  return transfers;
}

async function bytesBefore(transfers: ReturnType<typeof recordTransfers>, until: number, from = 0) {
  let total = 0;
  for (const t of transfers) if (t.at >= from && t.at <= until) total += await t.bytes;
  return total;
}

interface Visit {
  first_ms: number;
  engine: string;
  kind: string;
  bytes_before_results: number;
  /** Everything the visit downloaded until the network was idle. */
  bytes_total: number;
  /** What the server sent meanwhile (it also sees requests a worker makes after the page is idle). */
  server_bytes: number;
}

/** One throttled visit in `context`: first results, and the bytes before them and in all. */
async function visit(harness: Harness, page: Page, url: string, transfers: ReturnType<typeof recordTransfers>): Promise<Visit> {
  const from = Date.now();
  const served = harness.served.length;
  await page.goto(url);
  // A function, not a string: the site's Content-Security-Policy forbids eval.
  await page.waitForFunction(() => (window as unknown as { __bench?: { first: number | null } }).__bench?.first != null, null, { timeout: 120_000, polling: 100 });
  const times = (await page.evaluate("({ ...window.__bench, origin: performance.timeOrigin })")) as { first: number; engine: string; kind: string; origin: number };
  const before = await bytesBefore(transfers, times.origin + times.first, from);
  await page.waitForLoadState("networkidle", { timeout: 120_000 });
  // The page may still start work on idle; give it a moment, then count everything.
  await page.waitForTimeout(1000);
  await page.waitForLoadState("networkidle", { timeout: 120_000 });
  const total = await bytesBefore(transfers, Date.now(), from);
  const server = harness.served.slice(served).reduce((sum, r) => sum + r.bytes, 0);
  return { first_ms: round(times.first), engine: times.engine, kind: times.kind, bytes_before_results: before, bytes_total: total, server_bytes: server };
}

async function firstLoad(harness: Harness, query: string, runs: number) {
  const cold: Visit[] = [];
  const warm: Visit[] = [];
  for (let i = 0; i < runs; i++) {
    // Not openContext(): its routed poster requests turn the HTTP cache off, and the repeat
    // visit measures that cache. Posters are blocked instead (there is no internet here).
    const context = await harness.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const transfers = recordTransfers(context);
      await page.addInitScript(OBSERVE_RESULTS);
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setBlockedURLs", { urls: ["*image.tmdb.org*"] });
      await cdp.send("Network.emulateNetworkConditions", THROTTLE);
      cold.push(await visit(harness, page, harness.server.url + query, transfers));
      // The repeat visit: same context, so the HTTP cache is warm.
      warm.push(await visit(harness, page, harness.server.url + query, transfers));
    } finally {
      await context.close();
    }
  }
  const pick = (visits: Visit[], key: "bytes_before_results" | "bytes_total" | "server_bytes") => median(visits.map((v) => v[key]));
  return {
    query,
    results: cold.at(-1)?.kind ?? "",
    first_engine: cold.at(-1)?.engine ?? "",
    network: "10 Mbit/s, 40 ms (CDP), cold cache",
    first_results: summary(cold.map((v) => v.first_ms)),
    bytes_before_results: pick(cold, "bytes_before_results"),
    bytes_total: pick(cold, "bytes_total"),
    server_bytes: pick(cold, "server_bytes"),
    warm: { first_results: summary(warm.map((v) => v.first_ms)), bytes_total: pick(warm, "bytes_total"), server_bytes: pick(warm, "server_bytes") },
  };
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

/** Waits until the Recommend page has loaded what it loads without an input: its results are final. */
async function settle(page: Page) {
  await page.waitForSelector("section[data-results]:not([data-kind='empty'])", { timeout: 120_000 });
  await page.waitForLoadState("networkidle", { timeout: 120_000 });
  await page.waitForTimeout(1000);
  await page.waitForLoadState("networkidle", { timeout: 120_000 });
}

async function inputChanges(harness: Harness, query: string, changes: number) {
  const { context, page } = await openContext(harness);
  try {
    await page.goto(harness.server.url + query);
    await settle(page);
    const genres = ["Drama", "Comedy", "Thriller", "Action", "Romance", "Crime"];
    const compute: number[] = [];
    const frame: number[] = [];
    const work: number[] = [];
    const engines = new Set<string>();
    // Each genre is switched on then off again, so the filters keep changing shape.
    for (let i = 0; i < changes; i++) {
      // Spaced like a person's clicks, so each change starts from a settled page (the
      // previous chart drawn), as it would in use.
      await page.waitForTimeout(150);
      const result = await timeChange(page, genres[Math.floor(i / 2) % genres.length]);
      engines.add(result.engine);
      compute.push(result.compute);
      frame.push(result.frame);
      work.push(result.work);
    }
    // results_built: input event to results block built; filter_and_rank: the filter (DuckDB
    // or in-page) plus ranking inside it (the rest is scheduling and the cards).
    return { query, changes, engines: [...engines], results_built: summary(compute), filter_and_rank: summary(work), next_frame: summary(frame) };
  } finally {
    await context.close();
  }
}

/** Bytes the server sent for one cold page load (DuckDB's worker and .wasm included). */
async function pageBytes(harness: Harness, dist: string, pagePath: string, ready: string | ((page: Page) => Promise<void>)) {
  const { context, page } = await openContext(harness);
  try {
    harness.served.length = 0;
    await page.goto(harness.server.url + pagePath);
    if (typeof ready === "string") await page.waitForSelector(ready, { timeout: 60_000 });
    else await ready(page);
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

async function main() {
  const { values } = parseArgs({
    options: {
      dist: { type: "string" },
      catalog: { type: "string" },
      runs: { type: "string", default: "5" },
      changes: { type: "string", default: "30" },
      // Keep a copy of the built site (to measure it again with --dist).
      out: { type: "string" },
      synthetic: { type: "string" },
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
      const catalogDir = values.catalog
        ? path.resolve(values.catalog)
        : values.synthetic
          ? await syntheticCatalogDir(Number(values.synthetic), log)
          : await rawCatalogDir(log);
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
      if (values.out) {
        cpSync(site.dist, path.resolve(values.out), { recursive: true });
        log(`copied the built site to ${values.out}`);
      }
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
      log("measuring page weight");
      const bytes = [
        await pageBytes(harness, dist, filtered, settle),
        await pageBytes(harness, dist, "explore.html", "main .card svg"),
        await pageBytes(harness, dist, "about.html", ".about-table"),
      ];
      const result = {
        bench: "browser",
        // Headline figures (medians, ms and bytes) for bench/run.ts's summary table.
        first_results_ms: firstFiltered.first_results.median_ms,
        first_results_bytes: firstFiltered.bytes_before_results,
        first_picks_ms: firstSingle.first_results.median_ms,
        first_picks_bytes: firstSingle.bytes_before_results,
        warm_results_ms: firstFiltered.warm.first_results.median_ms,
        input_change_ms: changes.results_built.median_ms,
        index_bytes: bytes[0].bytes,
        index_identity_bytes: bytes[0].identity_bytes,
        catalog,
        build_ms: buildMs,
        compress_ms: compressMs,
        first_load: {
          targets: "shared link: results within 1500 ms and 1 MB, picks within 1000 ms; repeat visit within 300 ms",
          single_series: firstSingle,
          filtered: firstFiltered,
        },
        input_change: { target: "≤ 16 ms median, localhost", settled: changes },
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
