// The page's byte-range reads against real servers on loopback: scripts/serve.ts answers
// several ranges in one multipart response; a server that ignores them (sends the whole file)
// is cut off and asked one range at a time from then on.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startServer, type RunningServer } from "../../scripts/serve.ts";
import { bundleBrowserLib } from "../../loaders/site/build-hooks.ts";

const payload = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
const spans = [
  { start: 10, end: 20 },
  { start: 50_000, end: 50_100 },
  { start: 199_990, end: 200_000 },
];
const expected = spans.map(({ start, end }) => [...payload.subarray(start, end)]);

let work: string;
let site: RunningServer;
let plain: Server;
let plainUrl: string;
const plainRequests: { range?: string; bodyBytes: number }[] = [];

beforeAll(async () => {
  await bundleBrowserLib("src");
  work = mkdtempSync(path.join(tmpdir(), "marquee-ranges-"));
  writeFileSync(path.join(work, "index.html"), "<!doctype html><title>x</title>");
  writeFileSync(path.join(work, "records.bin"), payload);
  site = await startServer({ dir: work, port: 0, host: "127.0.0.1" });
  // A server that honours one range and answers several with the whole file.
  plain = createServer((req, res) => {
    const range = req.headers.range;
    const one = range && !range.includes(",") ? /bytes=(\d+)-(\d+)/.exec(range) : null;
    if (one) {
      const body = payload.subarray(Number(one[1]), Number(one[2]) + 1);
      plainRequests.push({ range, bodyBytes: body.length });
      res.writeHead(206, { "Content-Range": `bytes ${one[1]}-${one[2]}/${payload.length}`, "Content-Length": body.length });
      res.end(body);
      return;
    }
    plainRequests.push({ range, bodyBytes: payload.length });
    res.writeHead(200, { "Content-Length": payload.length });
    res.end(payload);
  });
  await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
  const address = plain.address() as { port: number };
  plainUrl = `http://127.0.0.1:${address.port}/records.bin`;
});

afterAll(async () => {
  await site?.close();
  await new Promise((resolve) => plain?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("byte ranges of the ranking files", () => {
  it("come in one multipart request from scripts/serve.ts, each range's own bytes", async () => {
    const { fetchRanges } = await import("../../src/components/ranking-files.ts");
    const got = await fetchRanges(`${site.url}records.bin`, spans);
    expect(got.map((bytes) => [...bytes])).toEqual(expected);
  });

  it("come one by one from a server that answers several ranges with the whole file, after one cut-off try", async () => {
    // A fresh module: whether the server answers multipart is remembered per page.
    vi.resetModules();
    const { fetchRanges } = await import("../../src/components/ranking-files.ts");
    const got = await fetchRanges(plainUrl, spans);
    expect(got.map((bytes) => [...bytes])).toEqual(expected);
    expect(plainRequests.map((r) => r.range)).toEqual(["bytes=10-19,50000-50099,199990-199999", "bytes=10-19", "bytes=50000-50099", "bytes=199990-199999"]);
    plainRequests.length = 0;
    await fetchRanges(plainUrl, spans);
    expect(plainRequests.every((r) => !r.range!.includes(","))).toBe(true);
  });
});
