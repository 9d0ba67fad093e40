// scripts/compress-site.ts: the .br/.gz siblings written after every build.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { compressSite, CompressSiteError } from "../../scripts/compress-site.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const work = mkdtempSync(path.join(tmpdir(), "marquee-compress-"));
let site: string;
let run = 0;

// Text that compresses like real JavaScript: repetitive, but not one byte repeated.
const script = Buffer.from(Array.from({ length: 400 }, (_, i) => `export function f${i}(x) { return x * ${i} + ${i % 7}; }\n`).join(""));
// A WebAssembly-like binary: the magic number, then structured bytes.
const wasm = Buffer.concat([Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]), Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7) % 13))]);
const quiet = { log: () => undefined };

function put(rel: string, data: Buffer | string): string {
  const file = path.join(site, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  return file;
}

beforeEach(() => {
  site = path.join(work, `site-${run++}`);
  mkdirSync(site, { recursive: true });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("compress-site", () => {
  it("writes .br and .gz siblings that decompress to the original bytes", async () => {
    const js = put("_npm/lib.0123abcd.js", script);
    const module = put("_node/@duckdb/duckdb-wasm@1.32.0/dist/duckdb-eh.wasm", wasm);
    await compressSite(site, quiet);
    for (const [file, original] of [[js, script], [module, wasm]] as const) {
      expect(brotliDecompressSync(readFileSync(`${file}.br`))).toEqual(original);
      expect(gunzipSync(readFileSync(`${file}.gz`))).toEqual(original);
    }
  });

  it("reports what it wrote, with each sibling smaller than its original", async () => {
    put("index.html", `<!doctype html><title>Marquee</title>${"<p>Movies from series you love.</p>".repeat(100)}`);
    const report = await compressSite(site, quiet);
    const [page] = report.files;
    expect(page).toMatchObject({ file: "index.html", bytes: statSync(path.join(site, "index.html")).size });
    expect(page.br).toBe(statSync(path.join(site, "index.html.br")).size);
    expect(page.gzip).toBe(statSync(path.join(site, "index.html.gz")).size);
    expect(page.br).toBeLessThan(page.bytes * 0.9);
  });

  it("gives files under 1 KB no sibling", async () => {
    const tiny = put("_import/tiny.js", "export const a = 1;\n".repeat(20));
    const report = await compressSite(site, quiet);
    expect(existsSync(`${tiny}.br`) || existsSync(`${tiny}.gz`)).toBe(false);
    expect(report.files).toEqual([expect.objectContaining({ file: "_import/tiny.js", skipped: "small" })]);
  });

  it("gives files that compression would not shrink by 10% no sibling", async () => {
    const vectors = put("_file/data/vectors.0123abcd.arrow", randomBytes(50_000));
    const report = await compressSite(site, quiet);
    expect(existsSync(`${vectors}.br`) || existsSync(`${vectors}.gz`)).toBe(false);
    expect(report.files[0].skipped).toBe("incompressible");
  });

  it("leaves kinds of file that are compressed already (Parquet, images) alone", async () => {
    const parquet = put("_file/data/movies.parquet", script);
    const image = put("_file/poster.png", script);
    const report = await compressSite(site, quiet);
    expect(report.files).toEqual([]);
    expect(existsSync(`${parquet}.br`) || existsSync(`${image}.br`)).toBe(false);
  });

  it("removes an earlier sibling when the file it stood for no longer earns one", async () => {
    const js = put("app.js", script);
    await compressSite(site, quiet);
    writeFileSync(js, randomBytes(50_000));
    await compressSite(site, quiet);
    expect(existsSync(`${js}.br`) || existsSync(`${js}.gz`)).toBe(false);
  });

  it("keeps siblings newer than their file and recompresses a file changed since", async () => {
    const kept = put("kept.js", script);
    const changed = put("changed.js", script);
    const earlier = new Date(Date.now() - 60_000);
    utimesSync(kept, earlier, earlier);
    await compressSite(site, quiet);
    const keptAt = statSync(`${kept}.br`).mtimeMs;
    const newer = Buffer.concat([script, Buffer.from("export const added = true;\n")]);
    writeFileSync(changed, newer);
    const later = new Date(Date.now() + 5000);
    utimesSync(changed, later, later);
    const report = await compressSite(site, quiet);
    expect(statSync(`${kept}.br`).mtimeMs).toBe(keptAt);
    expect(report.files.find((f) => f.file === "kept.js")?.skipped).toBe("fresh");
    expect(brotliDecompressSync(readFileSync(`${changed}.br`))).toEqual(newer);
  });

  it("says which folder is missing and how to build it", async () => {
    await expect(compressSite(path.join(work, "no-site"), quiet)).rejects.toThrow(CompressSiteError);
    await expect(compressSite(path.join(work, "no-site"), quiet)).rejects.toThrow(/no-site: not a directory.*npm run build/);
  });

  it("runs as npm's postbuild step on the folder the build wrote (MARQUEE_SITE_OUTPUT)", async () => {
    const js = put("app.js", script);
    const { stderr } = await promisify(execFile)("npm", ["run", "--silent", "postbuild"], {
      cwd: ROOT,
      env: { ...process.env, MARQUEE_SITE_OUTPUT: site },
    });
    expect(gunzipSync(readFileSync(`${js}.gz`))).toEqual(script);
    expect(stderr).toMatch(/compress-site: 1 files/);
  });
});
