// scripts/serve.ts (the static server for dist/) and scripts/start.ts's rebuild decision.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveOptionsFromArgs, startServer, type RunningServer } from "../scripts/serve.ts";
import { buildReason } from "../scripts/start.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-serve-"));
const site = path.join(work, "dist");
const payload = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256));
let server: RunningServer;

beforeAll(async () => {
  mkdirSync(path.join(site, "_file", "data"), { recursive: true });
  mkdirSync(path.join(site, "_node", "@duckdb", "duckdb-wasm@1.32.0", "dist"), { recursive: true });
  writeFileSync(path.join(site, "index.html"), "<!doctype html><title>Marquee</title>");
  writeFileSync(path.join(site, "_file", "data", "movies.0123abcd.arrow"), payload);
  writeFileSync(path.join(site, "_node", "@duckdb", "duckdb-wasm@1.32.0", "dist", "duckdb-eh.wasm"), Buffer.from([0, 97, 115, 109]));
  server = await startServer({ dir: site, port: 0, host: "127.0.0.1" });
});

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("static server", () => {
  it("answers a Range request with exactly those bytes (DuckDB-WASM reads files in ranges)", async () => {
    const response = await fetch(`${server.url}_file/data/movies.0123abcd.arrow`, { headers: { Range: "bytes=100-199" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 100-199/${payload.length}`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(payload.subarray(100, 200));
  });

  it("lets browsers keep content-hashed and versioned files for a year, but revalidate pages", async () => {
    const hashed = await fetch(`${server.url}_file/data/movies.0123abcd.arrow`);
    const wasm = await fetch(`${server.url}_node/@duckdb/duckdb-wasm@1.32.0/dist/duckdb-eh.wasm`);
    const page = await fetch(server.url);
    expect(hashed.headers.get("cache-control")).toContain("immutable");
    expect(wasm.headers.get("cache-control")).toContain("immutable");
    expect(page.headers.get("cache-control")).toBe("no-cache");
  });

  it("serves Arrow and WebAssembly with their media types", async () => {
    expect((await fetch(`${server.url}_file/data/movies.0123abcd.arrow`)).headers.get("content-type")).toBe("application/vnd.apache.arrow.stream");
    expect((await fetch(`${server.url}_node/@duckdb/duckdb-wasm@1.32.0/dist/duckdb-eh.wasm`)).headers.get("content-type")).toBe("application/wasm");
  });

  it("answers 404 for a file that is not there", async () => {
    expect((await fetch(`${server.url}nope.js`)).status).toBe(404);
  });

  it("refuses to serve a folder without a built site and says how to build one", async () => {
    await expect(startServer({ dir: work, port: 0, host: "127.0.0.1" })).rejects.toThrow(/index\.html is missing.*npm run build/);
  });

  it("takes --dir and --port over PORT, and rejects a port that is not a number", () => {
    expect(serveOptionsFromArgs(["--dir", site, "--port", "4001"], { PORT: "5000" })).toMatchObject({ dir: site, port: 4001 });
    expect(serveOptionsFromArgs(["--dir", site], { PORT: "5000" })).toMatchObject({ port: 5000, host: "0.0.0.0" });
    expect(() => serveOptionsFromArgs(["--dir", site, "--port", "http"], {})).toThrow(/port must be a whole number/);
  });
});

describe("npm start's build decision", () => {
  it("builds when there is no site yet", () => {
    expect(buildReason(path.join(work, "missing"), [])).toMatch(/has no site yet/);
  });

  it("rebuilds when a source changed after the last build, and not otherwise", () => {
    const source = path.join(work, "src");
    mkdirSync(source, { recursive: true });
    writeFileSync(path.join(source, "index.md"), "# Hi");
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(source, "index.md"), past, past);
    expect(buildReason(site, [source])).toBeNull();
    writeFileSync(path.join(source, "index.md"), "# Changed");
    const later = new Date(Date.now() + 1000);
    utimesSync(path.join(source, "index.md"), later, later);
    expect(buildReason(site, [source])).toMatch(/changed since the last build/);
  });
});
