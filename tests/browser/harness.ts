// Builds the site from a given catalogue into a throwaway folder, serves it and drives
// Debian's chromium. Shared by the browser tests and bench/browser.ts.
//
// The build happens in a copy of src/ (lib/ and loaders/ linked beside it) so that it uses
// its own Framework cache: the developer's src/.observablehq/cache and dist/ are never touched,
// and two builds can run at once.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { compressSite, type CompressReport } from "../../scripts/compress-site.ts";
import { addPreloadLinks } from "../../scripts/preload-data.ts";
import { startServer, type RunningServer, type ServedResponse } from "../../scripts/serve.ts";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Offline, quiet, reproducible: no network side channels, no GPU, no first-run UI.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why browser tests cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  return existsSync(CHROMIUM_PATH)
    ? null
    : `chromium not found at ${CHROMIUM_PATH}; install it with: apt-get install -y chromium fonts-dejavu-core (or set CHROMIUM_PATH)`;
}

export interface BuiltSite {
  /** The built site (serve this). */
  dist: string;
  /** The throwaway folder holding the source copy, the Framework cache and dist. */
  work: string;
  buildMs: number;
  /** The .br/.gz siblings written after the build, as npm run build's postbuild step does. */
  compressed?: CompressReport;
  cleanup(): void;
}

export interface BuildOptions {
  catalogDir: string;
  cacheDir: string;
  /** Extra environment for the build (LLM settings, vector limits). */
  env?: Record<string, string>;
  /** Build output lines; default: discarded. */
  log?: (text: string) => void;
  /** Write precompressed siblings like `npm run build` does (default true). */
  compress?: boolean;
}

const run = promisify(execFile);

export async function buildSite(options: BuildOptions): Promise<BuiltSite> {
  const work = mkdtempSync(path.join(PROJECT_ROOT, "dist-test-"));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  try {
    const src = path.join(work, "src");
    const generated = path.join(PROJECT_ROOT, "src", "components", "lib.bundle.js");
    cpSync(path.join(PROJECT_ROOT, "src"), src, {
      recursive: true,
      filter: (from) => !from.includes(`${path.sep}.observablehq`) && from !== generated,
    });
    // Pages and loaders import ../lib and ../../loaders relative to the source root.
    symlinkSync(path.join(PROJECT_ROOT, "lib"), path.join(work, "lib"), "dir");
    symlinkSync(path.join(PROJECT_ROOT, "loaders"), path.join(work, "loaders"), "dir");
    // Bundled node_modules are keyed by package version, so reusing them is safe and saves ~30 s.
    const nodeCache = path.join(PROJECT_ROOT, "src", ".observablehq", "cache", "_node");
    if (existsSync(nodeCache)) {
      mkdirSync(path.join(src, ".observablehq", "cache"), { recursive: true });
      cpSync(nodeCache, path.join(src, ".observablehq", "cache", "_node"), { recursive: true });
    }
    const started = performance.now();
    const bin = path.join(PROJECT_ROOT, "node_modules", ".bin");
    const { stdout, stderr } = await run(process.execPath, [path.join(bin, "observable"), "build"], {
      cwd: PROJECT_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        OBSERVABLE_TELEMETRY_DISABLE: "true",
        NO_COLOR: "1",
        MARQUEE_SITE_SRC: path.relative(PROJECT_ROOT, src),
        MARQUEE_SITE_OUTPUT: path.relative(PROJECT_ROOT, path.join(work, "dist")),
        MARQUEE_CATALOG_DIR: options.catalogDir,
        MARQUEE_CACHE_DIR: options.cacheDir,
        // Never refresh from TMDB or call a real LLM from a test build (empty beats .env).
        TMDB_API_KEY: "",
        TMDB_READ_TOKEN: "",
        GROQ_API_KEY: "",
        ...options.env,
      },
    }).catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`site build failed: ${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    });
    options.log?.(stdout + stderr);
    const dist = path.join(work, "dist");
    if (!existsSync(path.join(dist, "index.html"))) throw new Error(`site build produced no index.html:\n${stdout}\n${stderr}`);
    const buildMs = performance.now() - started;
    // npm run build's postbuild steps: the preload links, then the .br/.gz siblings.
    addPreloadLinks(dist);
    const compressed = options.compress === false ? undefined : await compressSite(dist, { log: (line) => options.log?.(line) });
    return { dist, work, buildMs, compressed, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

export interface Harness {
  server: RunningServer;
  browser: Browser;
  /** Every response the server sent, workers' downloads included (the benchmark counts bytes). */
  served: ServedResponse[];
  close(): Promise<void>;
}

export async function startHarness(dist: string): Promise<Harness> {
  const served: ServedResponse[] = [];
  const server = await startServer({ dir: dist, port: 0, host: "127.0.0.1", onServed: (response) => served.push(response) });
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    return {
      server,
      browser,
      served,
      close: async () => {
        await browser.close();
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

export interface PageProblems {
  /** Console errors, uncaught exceptions and failed requests. */
  errors: string[];
  /** Requests that left 127.0.0.1. */
  external: string[];
}

/**
 * A fresh context (its own cache and storage, like a first visit) with every problem
 * recorded. TMDB poster requests are answered locally: there is no internet here, and the
 * tests check the page asks for the right image, not TMDB's uptime.
 */
export async function openContext(
  harness: Harness,
  options: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems; posters: string[] }> {
  const context = await harness.browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? "light",
  });
  const problems: PageProblems = { errors: [], external: [] };
  const posters: string[] = [];
  await context.route("https://image.tmdb.org/**", (route) => {
    posters.push(route.request().url());
    return route.fulfill({ status: 200, contentType: "image/svg+xml", body: POSTER_SVG });
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.errors.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.errors.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ""}`));
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol.startsWith("http") && url.hostname !== "127.0.0.1" && url.hostname !== "image.tmdb.org") problems.external.push(request.url());
  });
  return { context, page, problems, posters };
}

const POSTER_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="185" height="278"><rect width="185" height="278" fill="#345"/></svg>`;

/** Waits for the Recommend page's results block to settle on the given engine. */
export async function waitForResults(page: Page, engine: "duckdb" | "js" | "picks" | "any" = "any", timeout = 30_000) {
  const selector = engine === "any" ? "section[data-results]" : `section[data-results][data-engine="${engine}"]`;
  await page.waitForSelector(selector, { timeout });
  return page.locator("section[data-results]");
}
