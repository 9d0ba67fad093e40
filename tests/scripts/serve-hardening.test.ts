// scripts/serve.ts under hostile or unlucky requests: broken Range headers, symlinks that
// dangle or leave the site, methods other than GET/HEAD, security headers (the CSP the
// built pages need), too many connections from one client, and errors inside a request.
// Every test talks to a real server on 127.0.0.1 through raw node:http or node:net, so the
// headers sent are exactly the ones written here.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { compressSite } from "../../scripts/compress-site.ts";
import {
  DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  inlineScriptHashes,
  maxConnectionsPerClientFrom,
  MAX_RANGES,
  parseRange,
  startServer,
  type RunningServer,
  type ServeOptions,
} from "../../scripts/serve.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-serve-hardening-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request on a connection of its own (no keep-alive pool, so connection counts stay
 * exact), with the headers given and nothing else. A server that never answers fails the
 * test in seconds instead of at the test timeout.
 */
function request(url: string, options: { method?: string; path?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, method: options.method ?? "GET", path: options.path ?? target.pathname + target.search, headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on("error", reject);
    req.end();
  });
}

interface Site {
  dir: string;
  server: RunningServer;
  url: (rel?: string) => string;
  logs: string[];
}

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** A site folder of its own under `work`, with the given files, and a server on it. */
async function serveSite(files: Record<string, string | Buffer>, options: Partial<ServeOptions> & { prepare?: (dir: string) => void | Promise<void> } = {}): Promise<Site> {
  const { prepare, ...serveOptions } = options;
  const dir = mkdtempSync(path.join(work, "site-"));
  for (const [rel, body] of Object.entries({ "index.html": "<!doctype html><title>Marquee</title>", ...files })) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), body);
  }
  await prepare?.(dir);
  const logs: string[] = [];
  const server = await startServer({ dir, port: 0, host: "127.0.0.1", log: (line) => logs.push(line), ...serveOptions });
  running.push(server);
  return { dir, server, url: (rel = "") => `${server.url}${rel}`, logs };
}

const payload = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

describe("Range requests", () => {
  let site: Site;
  beforeAll(async () => {
    site = await serveSite({ "data.bin": payload });
    // These tests share one server: the afterEach that closes each test's servers must not close it.
    running.splice(running.indexOf(site.server), 1);
  });
  afterAll(() => site.server.close());

  const range = (value: string, headers: Record<string, string> = {}) => request(site.url("data.bin"), { headers: { Range: value, ...headers } });

  it("answers an inverted range (bytes=5-2) with 416 and bytes */SIZE, and keeps serving", async () => {
    const answer = await range("bytes=5-2");
    expect(answer.status).toBe(416);
    expect(answer.headers["content-range"]).toBe(`bytes */${payload.length}`);
    expect((await request(site.url("data.bin"))).body).toEqual(payload);
  });

  it("answers bytes=0-0 with exactly the first byte", async () => {
    const answer = await range("bytes=0-0");
    expect(answer.status).toBe(206);
    expect(answer.headers["content-range"]).toBe(`bytes 0-0/${payload.length}`);
    expect(answer.headers["content-length"]).toBe("1");
    expect(answer.body).toEqual(payload.subarray(0, 1));
  });

  it("answers a suffix range (bytes=-5) with the last five bytes", async () => {
    const answer = await range("bytes=-5");
    expect(answer.status).toBe(206);
    expect(answer.headers["content-range"]).toBe(`bytes 95-99/${payload.length}`);
    expect(answer.body).toEqual(payload.subarray(95));
  });

  it("answers an open-ended range (bytes=7-) with the rest of the file", async () => {
    const answer = await range("bytes=7-");
    expect(answer.status).toBe(206);
    expect(answer.headers["content-range"]).toBe(`bytes 7-99/${payload.length}`);
    expect(answer.body).toEqual(payload.subarray(7));
  });

  it("clamps a last position past the end, and a suffix longer than the file, to the file", async () => {
    const long = await range("bytes=90-1000");
    expect([long.status, long.headers["content-range"]]).toEqual([206, `bytes 90-99/${payload.length}`]);
    expect(long.body).toEqual(payload.subarray(90));
    const suffix = await range("bytes=-1000");
    expect([suffix.status, suffix.headers["content-range"]]).toEqual([206, `bytes 0-99/${payload.length}`]);
    expect(suffix.body).toEqual(payload);
  });

  it("answers 416 with bytes */SIZE to a range starting at or past the end, and to bytes=-0", async () => {
    for (const value of ["bytes=100-", "bytes=100-200", "bytes=5000-6000", "bytes=99999999999999999999-", "bytes=-0"]) {
      const answer = await range(value);
      expect([value, answer.status, answer.headers["content-range"]]).toEqual([value, 416, `bytes */${payload.length}`]);
    }
  });

  it("answers several ranges with one multipart/byteranges body: each part's own bytes and Content-Range, overlaps merged", async () => {
    const answer = await range("bytes=90-, 0-1,5-6,6-8");
    expect(answer.status).toBe(206);
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(String(answer.headers["content-type"]))![1];
    expect(Number(answer.headers["content-length"])).toBe(answer.body.length);
    const text = answer.body.toString("latin1");
    const parts = text.split(`--${boundary}`).slice(1, -1).map((part) => {
      const [head, data] = part.replace(/^\r\n/, "").split("\r\n\r\n");
      return { range: /Content-Range: bytes (\d+)-(\d+)\/(\d+)/.exec(head)!.slice(1).map(Number), data: Buffer.from(data.replace(/\r\n$/, ""), "latin1") };
    });
    expect(parts.map((p) => p.range)).toEqual([
      [0, 1, payload.length],
      [5, 8, payload.length],
      [90, 99, payload.length],
    ]);
    for (const { range: [start, end], data } of parts) expect(data).toEqual(payload.subarray(start, end + 1));
    expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);
    // Ranges that merge into one are answered as a single range.
    const one = await range("bytes=0-4,5-9");
    expect([one.status, one.headers["content-range"]]).toEqual([206, `bytes 0-9/${payload.length}`]);
    // The satisfiable ones of a list are answered; none satisfiable is a 416.
    expect((await range("bytes=0-1,500-600")).headers["content-range"]).toBe(`bytes 0-1/${payload.length}`);
    expect((await range("bytes=500-600,700-")).status).toBe(416);
  });

  it("sends the whole file (200) for too many ranges, other units and garbage, and never falls over", async () => {
    const many = `bytes=${Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i}-${i}`).join(",")}`;
    for (const value of [many, "bytes=0-1,x", "items=0-5", "bytes=", "bytes=-", "bytes=a-b", "bytes=1-2-3", "bytes=0x10-", "bytes=1 - 2", "garbage"]) {
      const answer = await range(value);
      expect([value, answer.status]).toEqual([value, 200]);
      expect(answer.body).toEqual(payload);
    }
  });

  it("sends the whole file when If-Range does not match, and the range when it names the Last-Modified", async () => {
    const full = await request(site.url("data.bin"));
    const stale = await range("bytes=0-9", { "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT" });
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual(payload);
    const current = await range("bytes=0-9", { "If-Range": String(full.headers["last-modified"]) });
    expect(current.status).toBe(206);
    expect(current.body).toEqual(payload.subarray(0, 10));
  });

  it("answers HEAD with a range as a plain 200 without a body", async () => {
    const answer = await request(site.url("data.bin"), { method: "HEAD", headers: { Range: "bytes=0-9" } });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-length"]).toBe(String(payload.length));
    expect(answer.headers["accept-ranges"]).toBe("bytes");
    expect(answer.body.length).toBe(0);
  });

  it("parses Range headers as RFC 9110 §14.1.2 says", () => {
    expect(parseRange("bytes=0-0", 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange("bytes=-3", 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange("Bytes=2- ", 10)).toEqual({ start: 2, end: 9 });
    expect(parseRange("bytes=-20", 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=5-2", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=10-", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-", 0)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,3-4", 10)).toBeUndefined();
    expect(parseRange("bytes=1.5-2", 10)).toBeUndefined();
  });
});

describe("large files (streamed rather than read in one go)", () => {
  const big = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 31) % 251));

  it("sends a large file whole and in ranges", async () => {
    const site = await serveSite({ "big.bin": big });
    expect((await request(site.url("big.bin"))).body.equals(big)).toBe(true);
    const middle = await request(site.url("big.bin"), { headers: { Range: "bytes=200000-2700000" } });
    expect([middle.status, middle.headers["content-range"], middle.headers["content-length"]]).toEqual([206, `bytes 200000-2700000/${big.length}`, "2500001"]);
    expect(middle.body.equals(big.subarray(200000, 2700001))).toBe(true);
    const tail = await request(site.url("big.bin"), { headers: { Range: "bytes=-300000" } });
    expect(tail.body.equals(big.subarray(big.length - 300000))).toBe(true);
  });

  it("takes a client that leaves mid-file in its stride: nothing logged, next request served", async () => {
    const site = await serveSite({ "big.bin": big });
    await new Promise<void>((resolve, reject) => {
      const req = http.get(site.url("big.bin"), { agent: false }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (error) => (req.destroyed ? resolve() : reject(error)));
    });
    expect((await request(site.url())).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(site.logs).toEqual([]);
  });
});

describe("Range requests on a site with precompressed siblings", () => {
  const page = `<!doctype html><title>Marquee</title>${"<p>Movies from the series you love.</p>".repeat(80)}`;

  it("slices the identity file, uncompressed, even for a client that accepts brotli", async () => {
    const site = await serveSite({ "index.html": page }, { prepare: (dir) => compressSite(dir, { log: () => undefined }).then(() => undefined) });
    const answer = await request(site.url("index.html"), { headers: { "Accept-Encoding": "br, gzip", Range: "bytes=-10" } });
    expect(answer.status).toBe(206);
    expect(answer.headers["content-encoding"]).toBeUndefined();
    expect(answer.headers["content-range"]).toBe(`bytes ${page.length - 10}-${page.length - 1}/${page.length}`);
    expect(answer.body.toString()).toBe(page.slice(-10));
    // The brotli answer is still there for a plain request.
    expect((await request(site.url(""), { headers: { "Accept-Encoding": "br" } })).headers["content-encoding"]).toBe("br");
  });
});

describe("symlinks", () => {
  it("keeps serving when the folder holds a dangling symlink, which answers 404", async () => {
    const site = await serveSite({ "a.txt": "here" }, { prepare: (dir) => symlinkSync("/nonexistent/marquee", path.join(dir, "x")) });
    expect((await request(site.url("x"))).status).toBe(404);
    expect((await request(site.url("a.txt"))).body.toString()).toBe("here");
    expect((await request(site.url())).status).toBe(200);
  });

  it("answers 404 for a symlink to a file outside the site, and for a path through a symlinked folder outside it", async () => {
    const outside = mkdtempSync(path.join(work, "outside-"));
    writeFileSync(path.join(outside, "secret.txt"), "secret");
    const site = await serveSite(
      {},
      {
        prepare: (dir) => {
          symlinkSync("/etc/passwd", path.join(dir, "p"));
          symlinkSync(path.join(outside, "secret.txt"), path.join(dir, "secret.txt"));
          symlinkSync(outside, path.join(dir, "elsewhere"));
        },
      },
    );
    for (const rel of ["p", "secret.txt", "elsewhere/secret.txt", "secret"]) {
      const answer = await request(site.url(rel));
      expect([rel, answer.status]).toEqual([rel, 404]);
      expect(answer.body.toString()).not.toMatch(/secret|root:/);
    }
  });

  it("serves a symlink, file or folder, that stays inside the site", async () => {
    const site = await serveSite(
      { "real/data.txt": "inside" },
      {
        prepare: (dir) => {
          symlinkSync("real/data.txt", path.join(dir, "alias.txt"));
          symlinkSync("real", path.join(dir, "linked"));
        },
      },
    );
    expect((await request(site.url("alias.txt"))).body.toString()).toBe("inside");
    expect((await request(site.url("linked/data.txt"))).body.toString()).toBe("inside");
  });

  it("serves a site folder that is itself a symlink (site/current), following a swap of it", async () => {
    const base = mkdtempSync(path.join(work, "releases-"));
    for (const name of ["a", "b"]) {
      mkdirSync(path.join(base, "releases", name), { recursive: true });
      writeFileSync(path.join(base, "releases", name, "index.html"), `<p>release ${name}</p>`);
    }
    symlinkSync("releases/a", path.join(base, "current"));
    const server = await startServer({ dir: path.join(base, "current"), port: 0, host: "127.0.0.1", log: () => undefined });
    running.push(server);
    expect((await request(server.url)).body.toString()).toBe("<p>release a</p>");
    // A link from release b back into release a is outside the served release: refused.
    symlinkSync("../a/index.html", path.join(base, "releases", "b", "from-a.html"));
    symlinkSync("releases/b", path.join(base, "next"));
    renameSync(path.join(base, "next"), path.join(base, "current"));
    expect((await request(server.url)).body.toString()).toBe("<p>release b</p>");
    expect((await request(`${server.url}from-a.html`)).status).toBe(404);
  });

  it("answers 404 to paths that climb out of the site or name dotfiles", async () => {
    const site = await serveSite({ ".env": "GROQ_API_KEY=gsk_secret", ".well-known/security.txt": "Contact: x" });
    for (const rel of ["/../../../../etc/passwd", "/..%2f..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/.env", "/a/../.env"]) {
      const answer = await request(site.url(), { path: rel });
      expect([rel, answer.status]).toEqual([rel, 404]);
    }
    expect((await request(site.url(".well-known/security.txt"))).status).toBe(200);
  });
});

describe("methods", () => {
  it("answers 405 with Allow: GET, HEAD to any other method, and sends no file", async () => {
    const site = await serveSite({ "index.html": "<p>the page</p>" });
    for (const method of ["DELETE", "POST", "PUT", "PATCH", "OPTIONS"]) {
      const answer = await request(site.url(), { method });
      expect([method, answer.status, answer.headers.allow]).toEqual([method, 405, "GET, HEAD"]);
      expect(answer.body.toString()).not.toContain("the page");
    }
  });

  it("answers HEAD like GET, without the body", async () => {
    const site = await serveSite({ "index.html": "<p>the page</p>" });
    const answer = await request(site.url(), { method: "HEAD" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-length"]).toBe("15");
    expect(answer.body.length).toBe(0);
  });
});

describe("security headers", () => {
  const classic = `{const e=document.querySelector("#observablehq-sidebar");e&&(e.dataset.x="1")}`;
  const module = `\nimport {define} from "./_observablehq/client.js";\ndefine({id: "1"});\n`;
  const page = `<!DOCTYPE html><html><head><script type="module">${module}</script></head><body><script>${classic}</script><script src="./x.js"></script><p>${"movies ".repeat(300)}</p></body></html>`;
  const sha = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

  const directives = (answer: Answer) =>
    new Map(
      String(answer.headers["content-security-policy"])
        .split(";")
        .map((part) => part.trim().split(/\s+/))
        .filter((words) => words[0])
        .map(([name, ...values]) => [name, values]),
    );

  function expectSecurityHeaders(label: string, answer: Answer) {
    expect([label, answer.headers["x-content-type-options"]]).toEqual([label, "nosniff"]);
    expect([label, answer.headers["x-frame-options"]]).toEqual([label, "DENY"]);
    expect([label, answer.headers["referrer-policy"]]).toEqual([label, "strict-origin-when-cross-origin"]);
    const csp = directives(answer);
    expect([label, csp.get("frame-ancestors")]).toEqual([label, ["'none'"]]);
    expect([label, csp.get("object-src")]).toEqual([label, ["'none'"]]);
    expect([label, csp.get("base-uri")]).toEqual([label, ["'self'"]]);
    expect([label, csp.get("default-src")]).toEqual([label, ["'self'"]]);
    // Nothing on the site compiles WebAssembly any more, so the policy does not allow it.
    expect(csp.get("script-src")).toEqual(expect.arrayContaining(["'self'"]));
    expect(csp.get("script-src")).not.toContain("'wasm-unsafe-eval'");
    expect(csp.get("script-src")).not.toContain("'unsafe-inline'");
    expect(csp.get("script-src")).not.toContain("'unsafe-eval'");
    expect(csp.get("worker-src")).toEqual(["'self'", "blob:"]);
    expect(csp.get("img-src")).toEqual(["'self'", "data:", "https://image.tmdb.org"]);
    expect(csp.get("connect-src")).toEqual(expect.arrayContaining(["'self'", "https://api.groq.com"]));
    expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
  }

  it("sends nosniff, DENY, a referrer policy and the CSP on every answer: pages, files, 304, 404, 405, 416", async () => {
    const site = await serveSite({ "index.html": page, "x.js": "export {};", "data.bin": payload });
    const first = await request(site.url("x.js"));
    const answers: [string, Answer][] = [
      ["page", await request(site.url())],
      ["script", first],
      ["304", await request(site.url("x.js"), { headers: { "If-None-Match": String(first.headers.etag) } })],
      ["404", await request(site.url("nope.js"))],
      ["405", await request(site.url(), { method: "POST" })],
      ["416", await request(site.url("data.bin"), { headers: { Range: "bytes=500-" } })],
    ];
    expect(answers.map(([label, answer]) => [label, answer.status])).toEqual([
      ["page", 200],
      ["script", 200],
      ["304", 304],
      ["404", 404],
      ["405", 405],
      ["416", 416],
    ]);
    for (const [label, answer] of answers) expectSecurityHeaders(label, answer);
    // Only pages carry hashes: a script file, or DuckDB's worker, gets the site's bare policy.
    expect(directives(first).get("script-src")).toEqual(["'self'"]);
    expect(directives(first).has("script-src-attr")).toBe(false);
  });

  it("allows a page's own inline scripts by hash, and no other inline script", async () => {
    const site = await serveSite({ "index.html": page });
    const csp = directives(await request(site.url()));
    expect(csp.get("script-src")).toEqual(["'self'", sha(module), sha(classic)]);
    // Event-handler attributes: only htl's placeholders (Inputs.range's are ::4 and ::5), which are no JavaScript.
    const attributes = csp.get("script-src-attr");
    expect(attributes).toEqual(expect.arrayContaining(["'unsafe-hashes'", sha("::4"), sha("::5")]));
    expect(attributes).not.toContain("'unsafe-inline'");
    expect(attributes?.filter((source) => source.startsWith("'sha256-"))).toHaveLength(16);
    // An external script's element text is ignored by the browser, so it gets no hash.
    expect(inlineScriptHashes(`<script src="x.js"></script><script type="application/json">{"a":1}</script>`)).toEqual([sha(`{"a":1}`)]);
  });

  it("hashes the page the brotli answer decompresses to, and picks up a changed page", async () => {
    const site = await serveSite({ "index.html": page }, { prepare: (dir) => compressSite(dir, { log: () => undefined }).then(() => undefined) });
    const compressed = await request(site.url(), { headers: { "Accept-Encoding": "br" } });
    expect(compressed.headers["content-encoding"]).toBe("br");
    expect(directives(compressed).get("script-src")).toEqual(["'self'", sha(module), sha(classic)]);
    const changed = `<script>window.changed = 1;</script>`;
    writeFileSync(path.join(site.dir, "other.html"), changed);
    expect(directives(await request(site.url("other"))).get("script-src")).toContain(sha("window.changed = 1;"));
    writeFileSync(path.join(site.dir, "other.html"), `<script>window.changed = 2;</script>`);
    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(site.dir, "other.html"), later, later);
    const after = directives(await request(site.url("other.html"))).get("script-src");
    expect(after).toContain(sha("window.changed = 2;"));
    expect(after).not.toContain(sha("window.changed = 1;"));
  });

  it("hashes what the browser hashes: CRLF line ends become LF, and </script> ends a script whatever its case", () => {
    expect(inlineScriptHashes(`<SCRIPT type="module">a\r\nb</Script ><script>c</script\t>`)).toEqual([sha("a\nb"), sha("c")]);
  });

  it("allows the 404 page's inline scripts by hash", async () => {
    const notFound = `<!doctype html><p>Not here</p><script>document.title = "404";</script>`;
    const site = await serveSite({ "404.html": notFound });
    const answer = await request(site.url("missing"));
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).toBe(notFound);
    expect(directives(answer).get("script-src")).toContain(sha(`document.title = "404";`));
  });
});

/** A raw TCP connection to the server. */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Sends HEAD / on `socket` and gives the status line, or "closed" when the server closes it unanswered. */
function headOnce(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const done = (result: string) => {
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.includes("\r\n\r\n")) done(text.split("\r\n")[0]);
    };
    const onClose = () => done(text ? text.split("\r\n")[0] : "closed");
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("error", onClose);
    if (socket.destroyed) done("closed");
    else socket.write("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", () => undefined);
  });
}

describe("connections and errors", () => {
  it("refuses connections beyond the per-client limit, while the first ones still get answers", async () => {
    const site = await serveSite({}, { maxConnectionsPerClient: 3 });
    const port = site.server.port;
    const kept = [await connect(port), await connect(port), await connect(port)];
    try {
      expect(await Promise.all(kept.map(headOnce))).toEqual(Array(3).fill("HTTP/1.1 200 OK"));
      const excess = [await connect(port), await connect(port)];
      expect(await Promise.all(excess.map(headOnce))).toEqual(["closed", "closed"]);
      expect(site.logs).toEqual(["serve: refusing connections from 127.0.0.1: it has 3 open (MARQUEE_MAX_CONNECTIONS_PER_CLIENT)"]);
      // The first three are still open and still answered.
      expect(await Promise.all(kept.map(headOnce))).toEqual(Array(3).fill("HTTP/1.1 200 OK"));
      // Closing one makes room for a new one.
      kept.pop()!.destroy();
      await vi.waitFor(async () => {
        const socket = await connect(port);
        kept.push(socket);
        expect(await headOnce(socket)).toBe("HTTP/1.1 200 OK");
      });
    } finally {
      for (const socket of kept) socket.destroy();
    }
  });

  it("takes the limit from MARQUEE_MAX_CONNECTIONS_PER_CLIENT, and names a bad value", async () => {
    expect(maxConnectionsPerClientFrom({})).toBe(DEFAULT_MAX_CONNECTIONS_PER_CLIENT);
    expect(maxConnectionsPerClientFrom({ MARQUEE_MAX_CONNECTIONS_PER_CLIENT: "8" })).toBe(8);
    for (const bad of ["0", "-1", "lots", "2.5"]) {
      expect(() => maxConnectionsPerClientFrom({ MARQUEE_MAX_CONNECTIONS_PER_CLIENT: bad })).toThrow(/MARQUEE_MAX_CONNECTIONS_PER_CLIENT must be a whole number of at least 1/);
    }
    await expect(serveSite({}, { maxConnectionsPerClient: 0 })).rejects.toThrow(/maxConnectionsPerClient must be a whole number of at least 1, got "0"/);
  });

  it("answers 500 and logs one line when the site folder vanishes under a request, and serves again once it is back", async () => {
    const base = mkdtempSync(path.join(work, "vanishing-"));
    const dir = path.join(base, "dist");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "index.html"), "<p>back</p>");
    const logs: string[] = [];
    const server = await startServer({ dir, port: 0, host: "127.0.0.1", log: (line) => logs.push(line) });
    running.push(server);
    renameSync(dir, path.join(base, "away"));
    const failed = await request(server.url);
    expect(failed.status).toBe(500);
    expect(failed.headers["x-content-type-options"]).toBe("nosniff");
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^serve: GET \/ failed: .*ENOENT/);
    expect(logs[0]).not.toContain("\n");
    renameSync(path.join(base, "away"), dir);
    expect((await request(server.url)).body.toString()).toBe("<p>back</p>");
  });

  it("logs an onServed hook that throws, and keeps serving", async () => {
    let calls = 0;
    const site = await serveSite(
      {},
      {
        onServed: () => {
          calls += 1;
          throw new Error("the benchmark's counter broke");
        },
      },
    );
    expect((await request(site.url())).status).toBe(200);
    expect((await request(site.url())).status).toBe(200);
    await vi.waitFor(() => expect(calls).toBe(2));
    expect(site.logs.filter((line) => line.includes("the benchmark's counter broke"))).toHaveLength(2);
  });

  it("answers a malformed request with 400 and closes that connection, and keeps serving", async () => {
    const site = await serveSite({});
    const socket = await connect(site.server.port);
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("close", () => resolve(text));
      socket.write("NOT HTTP AT ALL\r\n\r\n");
    });
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect((await request(site.url())).status).toBe(200);
  });
});

describe("caching and lookup, as sirv did them (and If-None-Match lists, which it did not)", () => {
  it("answers 304 to a matching If-None-Match, for a compressed answer's own ETag too, and 200 otherwise", async () => {
    const page = `<!doctype html><title>Marquee</title>${"<p>Movies from the series you love.</p>".repeat(80)}`;
    const site = await serveSite({ "index.html": page }, { prepare: (dir) => compressSite(dir, { log: () => undefined }).then(() => undefined) });
    const plain = await request(site.url());
    const brotli = await request(site.url(), { headers: { "Accept-Encoding": "br" } });
    expect(plain.headers.etag).toMatch(/^W\/"\d+-\d+"$/);
    expect(brotli.headers.etag).not.toBe(plain.headers.etag);
    const again = await request(site.url(), { headers: { "Accept-Encoding": "br", "If-None-Match": String(brotli.headers.etag) } });
    expect([again.status, again.body.length, again.headers.vary, again.headers["cache-control"]]).toEqual([304, 0, "Accept-Encoding", "no-cache"]);
    const listed = await request(site.url(), { headers: { "If-None-Match": `"other", ${plain.headers.etag}` } });
    expect(listed.status).toBe(304);
    const changed = await request(site.url(), { headers: { "If-None-Match": `W/"0-0"` } });
    expect(changed.status).toBe(200);
  });

  it("serves clean URLs, folder index pages, the media types and Last-Modified as before", async () => {
    const site = await serveSite({ "explore.html": "<p>explore</p>", "docs/index.html": "<p>docs</p>", "app.js": "export {};", "style.css": "p{}", "x.wasm": "\0asm" });
    expect((await request(site.url("explore"))).body.toString()).toBe("<p>explore</p>");
    expect((await request(site.url("docs/"))).body.toString()).toBe("<p>docs</p>");
    expect((await request(site.url("docs"))).body.toString()).toBe("<p>docs</p>");
    expect((await request(site.url("explore?series=1"))).body.toString()).toBe("<p>explore</p>");
    const types = await Promise.all(["", "app.js", "style.css", "x.wasm"].map(async (rel) => (await request(site.url(rel))).headers["content-type"]));
    expect(types).toEqual(["text/html;charset=utf-8", "text/javascript", "text/css", "application/wasm"]);
    const page = await request(site.url());
    expect(page.headers["last-modified"]).toMatch(/GMT$/);
    expect(page.headers["accept-ranges"]).toBe("bytes");
    expect((await request(site.url("docs/nothing/"))).status).toBe(404);
  });
});
