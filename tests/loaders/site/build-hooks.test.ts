// Build chores the site configuration runs: the lib/ bundle for the pages, and dropping
// cached loader outputs when the data changed (Framework would otherwise ship stale data).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { LIB_BUNDLE, bundleBrowserLib, invalidateStaleData } from "../../../loaders/site/build-hooks.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-site-build-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("browser lib bundle", () => {
  it("bundles lib/ into one module with no imports left, for Framework to serve", async () => {
    const file = await bundleBrowserLib("src");
    const code = readFileSync(file, "utf8");
    expect(file).toBe(path.resolve("src", LIB_BUNDLE));
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).toMatch(/export\s*\{[^}]*\bbuildMovieFilterQuery\b/);
    expect(code).not.toContain("node:");
  });

  it("leaves the file untouched when nothing changed, so a preview server does not reload", async () => {
    const file = await bundleBrowserLib("src");
    const before = statSync(file).mtimeMs;
    await bundleBrowserLib("src");
    expect(statSync(file).mtimeMs).toBe(before);
  });
});

describe("stale loader outputs", () => {
  const root = path.join(work, "site-src");
  const project = path.join(work, "project");
  const catalog = path.join(work, "catalog");
  const cached = path.join(root, ".observablehq", "cache", "data", "site.tar");
  const saved = { catalog: process.env.MARQUEE_CATALOG_DIR, cache: process.env.MARQUEE_CACHE_DIR };

  const cacheOutput = () => {
    mkdirSync(path.dirname(cached), { recursive: true });
    writeFileSync(cached, "old archive");
  };

  beforeEach(() => {
    process.env.MARQUEE_CATALOG_DIR = catalog;
    process.env.MARQUEE_CACHE_DIR = path.join(work, "cache");
    mkdirSync(catalog, { recursive: true });
    mkdirSync(path.join(project, "lib"), { recursive: true });
    writeFileSync(path.join(catalog, "meta.json"), '{"fetched_at":"2026-01-01"}');
    invalidateStaleData(root, project);
  });

  afterEach(() => {
    process.env.MARQUEE_CATALOG_DIR = saved.catalog;
    process.env.MARQUEE_CACHE_DIR = saved.cache;
    if (saved.catalog === undefined) delete process.env.MARQUEE_CATALOG_DIR;
    if (saved.cache === undefined) delete process.env.MARQUEE_CACHE_DIR;
  });

  it("keeps cached outputs while nothing they depend on changed", () => {
    cacheOutput();
    expect(invalidateStaleData(root, project)).toBe(false);
    expect(existsSync(cached)).toBe(true);
  });

  it("drops them when the catalogue changed", () => {
    cacheOutput();
    writeFileSync(path.join(catalog, "meta.json"), '{"fetched_at":"2026-02-01", "counts": 1}');
    expect(invalidateStaleData(root, project)).toBe(true);
    expect(existsSync(cached)).toBe(false);
  });

  it("keeps them when the build only wrote its vector files and a refresh left a lock", () => {
    cacheOutput();
    writeFileSync(path.join(catalog, "movie-vectors.parquet"), "vectors");
    writeFileSync(path.join(catalog, ".refresh.lock"), "123");
    expect(invalidateStaleData(root, project)).toBe(false);
    expect(existsSync(cached)).toBe(true);
  });

  it("drops them when new precomputed picks arrive", () => {
    cacheOutput();
    writeFileSync(path.join(catalog, "picks.parquet"), "picks");
    expect(invalidateStaleData(root, project)).toBe(true);
  });

  it("drops them when the loader code changed", () => {
    cacheOutput();
    writeFileSync(path.join(project, "lib", "filters.ts"), `export const changed = ${Date.now()};`);
    expect(invalidateStaleData(root, project)).toBe(true);
    expect(existsSync(cached)).toBe(false);
  });

  it("drops them when the site is built from another catalogue", () => {
    cacheOutput();
    process.env.MARQUEE_CATALOG_DIR = path.join(work, "other-catalog");
    expect(invalidateStaleData(root, project)).toBe(true);
    expect(existsSync(cached)).toBe(false);
  });
});
