// scripts/serve.ts (the static server for dist/) and scripts/start.ts's rebuild decision.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { compressSite } from "../../scripts/compress-site.ts";
import { acceptedEncodings, serveOptionsFromArgs, startServer, type RunningServer, type ServedResponse } from "../../scripts/serve.ts";
import { buildReason } from "../../scripts/start.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-serve-"));
const site = path.join(work, "dist");
const payload = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256));
let server: RunningServer;

beforeAll(async () => {
  mkdirSync(path.join(site, "_file", "data"), { recursive: true });
  mkdirSync(path.join(site, "_node", "@duckdb", "duckdb-wasm@1.32.0", "dist"), { recursive: true });
  writeFileSync(path.join(site, "index.html"), "<!doctype html><title>Marquee</title>");
  mkdirSync(path.join(site, "_import", "components"), { recursive: true });
  writeFileSync(path.join(site, "_import", "components", "site-data.0123abcd.js"), "export {};\n");
  writeFileSync(path.join(site, "robots.txt"), "User-agent: *\n");
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

  it("lets browsers keep Framework's hashed page modules for a year, and revalidate a file without a hash", async () => {
    const module = await fetch(`${server.url}_import/components/site-data.0123abcd.js`);
    const plain = await fetch(`${server.url}robots.txt`);
    expect(module.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(plain.headers.get("cache-control")).toBe("no-cache");
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

/** A raw GET: unlike fetch, node:http leaves the body as sent (no automatic decompression). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

describe("compressed answers from the precompressed siblings", () => {
  const compressedSite = path.join(work, "compressed");
  const WASM = "_node/@duckdb/duckdb-wasm@1.32.0/dist/duckdb-eh.wasm";
  const wasm = Buffer.concat([Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]), Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i * 7) % 13))]);
  const page = `<!doctype html><title>Marquee</title>${"<p>Movies from the series you love.</p>".repeat(80)}`;
  const noise = randomBytes(8192);
  let compressedServer: RunningServer;
  const url = (rel: string) => `${compressedServer.url}${rel}`;

  beforeAll(async () => {
    mkdirSync(path.join(compressedSite, path.dirname(WASM)), { recursive: true });
    mkdirSync(path.join(compressedSite, "_file", "data"), { recursive: true });
    writeFileSync(path.join(compressedSite, "index.html"), page);
    writeFileSync(path.join(compressedSite, "explore.html"), page);
    writeFileSync(path.join(compressedSite, WASM), wasm);
    writeFileSync(path.join(compressedSite, "_file", "data", "vectors.0123abcd.arrow"), noise);
    writeFileSync(path.join(compressedSite, "tiny.js"), "export const a = 1;\n");
    await compressSite(compressedSite, { log: () => undefined });
    compressedServer = await startServer({ dir: compressedSite, port: 0, host: "127.0.0.1" });
  });

  afterAll(async () => {
    await compressedServer?.close();
  });

  it("sends brotli to a client that accepts it, as application/wasm, varying on Accept-Encoding", async () => {
    const response = await rawGet(url(WASM), { "Accept-Encoding": "gzip, deflate, br" });
    expect(response.status).toBe(200);
    expect(response.headers["content-encoding"]).toBe("br");
    expect(response.headers["content-type"]).toBe("application/wasm");
    expect(response.headers.vary).toBe("Accept-Encoding");
    expect(Number(response.headers["content-length"])).toBe(response.body.length);
    expect(brotliDecompressSync(response.body)).toEqual(wasm);
  });

  it("sends gzip to a client that accepts only gzip", async () => {
    const response = await rawGet(url(WASM), { "Accept-Encoding": "gzip" });
    expect(response.headers["content-encoding"]).toBe("gzip");
    expect(response.headers["content-type"]).toBe("application/wasm");
    expect(gunzipSync(response.body)).toEqual(wasm);
  });

  it("sends the file itself to a client that accepts no compression, still varying on Accept-Encoding", async () => {
    const response = await rawGet(url(WASM));
    expect(response.headers["content-encoding"]).toBeUndefined();
    expect(response.headers.vary).toBe("Accept-Encoding");
    expect(response.body).toEqual(wasm);
  });

  it("honours q=0 as a refusal of that coding", async () => {
    const response = await rawGet(url(WASM), { "Accept-Encoding": "br;q=0, gzip;q=0.5" });
    expect(response.headers["content-encoding"]).toBe("gzip");
    const refused = await rawGet(url(WASM), { "Accept-Encoding": "gzip;q=0, br;q=0" });
    expect(refused.headers["content-encoding"]).toBeUndefined();
  });

  it("answers a Range request with the exact bytes of the uncompressed file, even to a brotli client", async () => {
    const response = await rawGet(url(WASM), { "Accept-Encoding": "br, gzip", Range: "bytes=100-199" });
    expect(response.status).toBe(206);
    expect(response.headers["content-encoding"]).toBeUndefined();
    expect(response.headers["content-range"]).toBe(`bytes 100-199/${wasm.length}`);
    expect(response.body).toEqual(wasm.subarray(100, 200));
  });

  it("sends pages compressed as text/html, by clean URL too", async () => {
    for (const rel of ["", "explore"]) {
      const response = await rawGet(url(rel), { "Accept-Encoding": "br" });
      expect(response.headers["content-encoding"]).toBe("br");
      expect(response.headers["content-type"]).toBe("text/html;charset=utf-8");
      expect(brotliDecompressSync(response.body).toString()).toBe(page);
    }
  });

  it("sends tiny and incompressible files as they are, to any client", async () => {
    for (const rel of ["tiny.js", "_file/data/vectors.0123abcd.arrow"]) {
      const response = await rawGet(url(rel), { "Accept-Encoding": "br, gzip" });
      expect(response.headers["content-encoding"]).toBeUndefined();
      expect(response.headers.vary).toBe("Accept-Encoding");
    }
    expect(existsSync(path.join(compressedSite, "tiny.js.br"))).toBe(false);
  });

  it("reports the bytes that went on the wire, and their encoding, to onServed", async () => {
    // A server of its own: onServed fires on the server's "finish", which can come after the
    // client already has the whole body, so a shared server could still report an earlier
    // test's request here.
    const reports: ServedResponse[] = [];
    const reporting = await startServer({ dir: compressedSite, port: 0, host: "127.0.0.1", onServed: (response) => reports.push(response) });
    try {
      await rawGet(`${reporting.url}${WASM}`, { "Accept-Encoding": "br" });
      await rawGet(`${reporting.url}${WASM}`, { Range: "bytes=0-3" });
      await rawGet(`${reporting.url}nope.js`);
      await vi.waitFor(() => expect(reports).toHaveLength(3));
      const byStatus = (status: number) => reports.find((report) => report.status === status);
      expect(byStatus(200)).toEqual({ path: `/${WASM}`, status: 200, bytes: statSync(path.join(compressedSite, `${WASM}.br`)).size, encoding: "br" });
      expect(byStatus(206)).toEqual({ path: `/${WASM}`, status: 206, bytes: 4 });
      expect(byStatus(404)).toMatchObject({ path: "/nope.js", status: 404 });
      expect(byStatus(404)?.bytes).toBeGreaterThan(0);
    } finally {
      await reporting.close();
    }
  });
});

describe("Accept-Encoding", () => {
  it("lists brotli before gzip, and neither for an empty header", () => {
    expect(acceptedEncodings("gzip, deflate, br, zstd")).toEqual(["br", "gzip"]);
    expect(acceptedEncodings("gzip")).toEqual(["gzip"]);
    expect(acceptedEncodings(undefined)).toEqual([]);
    expect(acceptedEncodings("identity")).toEqual([]);
  });

  it("treats * as every coding not named, and q=0 as a refusal", () => {
    expect(acceptedEncodings("*")).toEqual(["br", "gzip"]);
    expect(acceptedEncodings("*;q=0.5, br;q=0")).toEqual(["gzip"]);
    expect(acceptedEncodings("GZIP;Q=0, x-gzip;q=0")).toEqual([]);
  });
});
