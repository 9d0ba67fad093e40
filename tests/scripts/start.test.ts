// npm start decides whether to build from what the last build was built from, not only from
// modification times.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { dataFingerprint } from "../../loaders/site/build-hooks.ts";
import { buildReason } from "../../scripts/start.ts";
import { BUILD_STAMP, writeBuildStamp } from "../../scripts/stamp-build.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-start-"));
const savedCatalogDir = process.env.MARQUEE_CATALOG_DIR;

afterEach(() => {
  if (savedCatalogDir === undefined) delete process.env.MARQUEE_CATALOG_DIR;
  else process.env.MARQUEE_CATALOG_DIR = savedCatalogDir;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function builtSite(name: string): string {
  const dist = path.join(work, name);
  mkdirSync(dist, { recursive: true });
  writeFileSync(path.join(dist, "index.html"), "<!doctype html>");
  return dist;
}

describe("npm start's build decision", () => {
  it("rebuilds a site built from another catalogue even when its files are newer than every source", () => {
    const older = path.join(work, "older-catalog");
    mkdirSync(older, { recursive: true });
    writeFileSync(path.join(older, "meta.json"), "{}");
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(older, "meta.json"), past, past);

    process.env.MARQUEE_CATALOG_DIR = path.join(work, "imported-catalog");
    const dist = builtSite("dist-imported");
    writeBuildStamp(dist);
    expect(buildReason(dist, [older])).toBeNull();

    process.env.MARQUEE_CATALOG_DIR = older;
    expect(buildReason(dist, [older])).toMatch(/differ from the ones the site was built from/);
  });

  it("keeps a site whose stamp matches what it would be built from now", () => {
    const dist = builtSite("dist-same");
    writeBuildStamp(dist, "abc");
    expect(buildReason(dist, [], () => "abc")).toBeNull();
    expect(buildReason(dist, [], () => "abd")).toMatch(/differ/);
  });

  it("writes the stamp atomically under a dot-name, holding the current data fingerprint", async () => {
    const dist = builtSite("dist-stamp");
    writeBuildStamp(dist);
    const { readFileSync, readdirSync } = await import("node:fs");
    expect(BUILD_STAMP.startsWith(".")).toBe(true);
    expect(readFileSync(path.join(dist, BUILD_STAMP), "utf8").trim()).toBe(dataFingerprint());
    expect(readdirSync(dist).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
