// Serves a built site (dist/) over HTTP, with Range requests (DuckDB-WASM reads files in
// ranges), long-lived caching for Framework's content-hashed assets, the precompressed
// `.br`/`.gz` siblings that scripts/compress-site.ts writes after every build, and the
// security headers (a Content-Security-Policy with each page's inline-script hashes).
//
//   tsx scripts/serve.ts [--dir dist] [--port 3000] [--host 0.0.0.0]
//
// PORT and HOST in the environment are used when the flags are absent;
// MARQUEE_MAX_CONNECTIONS_PER_CLIENT bounds the open connections of one client address.
//
// The file serving is written here rather than left to sirv (which this server used
// before): sirv 3.0.2 threw on an inverted Range (`bytes=5-2`), answered `bytes=0-0` and
// suffix ranges wrongly, crashed its folder scan on a dangling symlink, served symlinks
// that lead out of the site, and piped files with no error handler, all without options to
// change it. What it did right (clean URLs, siblings, ETags, media types) is kept as it was.
import { createHash } from "node:crypto";
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readFileSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
// mrmime is the media-type table sirv used, so every file keeps the Content-Type it had.
import { lookup as mediaType } from "mrmime";

export interface ServedResponse {
  path: string;
  status: number;
  /** Body bytes sent on the wire (compressed bytes for a compressed answer; 0 for HEAD and 304). */
  bytes: number;
  /** The Content-Encoding of the answer, when it was compressed. */
  encoding?: string;
}

export interface ServeOptions {
  dir: string;
  port?: number;
  host?: string;
  /** Called after each response; the browser benchmark counts bytes with it. */
  onServed?: (response: ServedResponse) => void;
  /** Open connections allowed per client address; default: MARQUEE_MAX_CONNECTIONS_PER_CLIENT, else 64. */
  maxConnectionsPerClient?: number;
  /** Where failed requests and refused clients are reported, one line each; default: stderr. */
  log?: (line: string) => void;
  /** Answers /api/picks (scripts/api-picks.ts) when set; without it the path says "not live". */
  apiPicks?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export interface RunningServer {
  server: Server;
  /** Base URL with the real port (useful with port 0). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export class ServeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ServeError";
  }
}

// ---------------------------------------------------------------------------------------
// Headers

// Framework puts a content hash in these names, or a package version in their folder.
const HASHED = /\.[0-9a-f]{8}\.[a-z0-9]+$|\/_node\/.+@\d[^/]*\//;

// Media types mrmime lacks, or that the site needs spelled this way.
const TYPES: Record<string, string> = {
  ".arrow": "application/vnd.apache.arrow.stream",
  ".wasm": "application/wasm",
};

function contentType(file: string): string {
  const type = TYPES[path.extname(file)] ?? mediaType(file) ?? "application/octet-stream";
  return type === "text/html" ? "text/html;charset=utf-8" : type;
}

function cacheControl(pathname: string): string {
  return HASHED.test(pathname) ? "public, max-age=31536000, immutable" : "no-cache";
}

/**
 * The LLM providers a page may call from the browser with the visitor's own key
 * (src/components/llm-settings.ts): Groq, and a server on the visitor's own machine (Ollama,
 * llama.cpp) on any port. Any other OpenAI-compatible provider must be listed by the operator
 * in MARQUEE_BROWSER_LLM_ORIGINS (space-separated origins): allowing every https origin would
 * let injected script send data anywhere, which connect-src is there to stop.
 */
export const BROWSER_LLM_ORIGINS: readonly string[] = ["https://api.groq.com", "http://localhost:*", "http://127.0.0.1:*", ...extraBrowserLlmOrigins(process.env.MARQUEE_BROWSER_LLM_ORIGINS)];

/** Origins from MARQUEE_BROWSER_LLM_ORIGINS; anything that is not a bare http(s) origin is refused. */
export function extraBrowserLlmOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? "").split(/\s+/).filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[a-z0-9.-]+(:\d+)?$/i.test(origin)) {
      throw new ServeError(`MARQUEE_BROWSER_LLM_ORIGINS must list origins like https://llm.example.org, got "${origin}"`);
    }
  }
  return origins;
}
/** Where the posters come from. */
export const IMAGE_ORIGINS: readonly string[] = ["https://image.tmdb.org"];

/**
 * The policy the built site satisfies, on every answer that is not a page: the pages' policy
 * minus their hashes (a worker started from a URL is governed by its script's answer). No
 * WebAssembly: the pages filter and rank in JavaScript since DuckDB-WASM left them.
 */
function sitePolicy(extraDirectives: readonly string[] = [], scriptHashes: readonly string[] = []): string {
  return [
    "default-src 'self'",
    ["script-src 'self'", ...scriptHashes].join(" "),
    ...extraDirectives,
    // Plot and Inputs write style attributes.
    "style-src 'self' 'unsafe-inline'",
    // data: for the favicon (`<link rel="icon" href="data:,">` in observablehq.config.ts).
    ["img-src 'self' data:", ...IMAGE_ORIGINS].join(" "),
    ["connect-src 'self'", ...BROWSER_LLM_ORIGINS].join(" "),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const sha256Source = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

// htl, the templating of Observable Inputs, writes an event-handler attribute as a
// placeholder `::N` (N: the template's Nth value; Inputs uses up to 12) and swaps it for a
// function property at once. The browser checks the attribute against the policy all the
// same, and reports a violation for each range slider or search box. The placeholders are
// not valid JavaScript, so allowing exactly them lets no handler run.
const HTL_HANDLER_PLACEHOLDERS = Array.from({ length: 16 }, (_, i) => sha256Source(`::${i + 1}`));

/** The policy of a page: the site's, plus the page's own inline scripts by hash (Framework writes two per page). */
export function pagePolicy(scriptHashes: readonly string[]): string {
  return sitePolicy([["script-src-attr 'unsafe-hashes'", ...HTL_HANDLER_PLACEHOLDERS].join(" ")], scriptHashes);
}

const BASE_POLICY = sitePolicy();

function setSecurityHeaders(res: ServerResponse, policy = BASE_POLICY): void {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
  res.setHeader("Content-Security-Policy", policy);
}

// An inline script runs from its start tag to the first `</script` followed by whitespace,
// `/` or `>` (HTML's script data state). A regular expression is enough for the HTML
// Framework writes; a `>` inside a quoted attribute of a script tag would defeat it.
const SCRIPT_ELEMENT = /<script(?=[\s/>])([^>]*)>([\s\S]*?)<\/script[\s/>]/gi;

/**
 * CSP source expressions (`'sha256-…'`) for the inline scripts of a page, in page order.
 * The browser hashes the script text after its input preprocessing, which turns CRLF and
 * lone CR into LF, so the same is done here.
 */
export function inlineScriptHashes(html: string): string[] {
  const hashes = new Set<string>();
  for (const [, attributes, body] of html.matchAll(SCRIPT_ELEMENT)) {
    if (/(^|\s)src\s*=/i.test(attributes)) continue; // an external script; its text is ignored
    const text = body.replace(/\r\n?/g, "\n");
    hashes.add(sha256Source(text));
  }
  return [...hashes];
}

/** Each page's policy, computed once per version of the page (size and mtime). */
function pagePolicies() {
  const byFile = new Map<string, { version: string; policy: string }>();
  return {
    forPage(file: string, stats: Stats): string {
      const version = `${stats.size}-${stats.mtimeMs}`;
      const known = byFile.get(file);
      if (known?.version === version) return known.policy;
      const policy = pagePolicy(inlineScriptHashes(readFileSync(file, "utf8")));
      byFile.set(file, { version, policy });
      return policy;
    },
    /** Forgets the pages of an old release (keeps the cache as small as one release). */
    clear: () => byFile.clear(),
  };
}

export type PrecompressedEncoding = "br" | "gzip";

const SIBLING_SUFFIX: Record<PrecompressedEncoding, string> = { br: ".br", gzip: ".gz" };

/**
 * The precompressed encodings a request's Accept-Encoding allows, best first. Follows
 * RFC 9110 §12.5.3: `q=0` refuses a coding, `*` stands for codings not named.
 */
export function acceptedEncodings(header: string | undefined): PrecompressedEncoding[] {
  const weights = new Map<string, number>();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name === "x-gzip" ? "gzip" : name, Number.isFinite(weight) ? weight : 0);
  }
  const allows = (coding: string) => (weights.get(coding) ?? weights.get("*") ?? 0) > 0;
  return (["br", "gzip"] as const).filter(allows);
}

// ---------------------------------------------------------------------------------------
// Conditional and Range requests (RFC 9110 §13 and §14), written here: range-parser and
// fresh are only in node_modules as dependencies of Framework's dependencies.

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/**
 * The one byte range a Range header asks of a file of `size` bytes; "unsatisfiable" for a
 * range that starts past the end, an inverted one (`5-2`) or an empty suffix (`-0`), which
 * get a 416; undefined for a header to ignore (another unit, bad syntax, or several ranges:
 * RFC 9110 §14.2 lets a server answer those with the whole file rather than multipart).
 */
export function parseRange(header: string, size: number): ByteRange | "unsatisfiable" | undefined {
  const specs = rangeSpecs(header);
  return specs?.length === 1 ? parseRangeSpec(specs[0], size) : undefined;
}

/** The specs of a `bytes=` Range header (the list syntax allows empty elements); undefined for another unit. */
function rangeSpecs(header: string): string[] | undefined {
  const unit = /^bytes=/i.exec(header);
  if (!unit) return undefined;
  return header
    .slice(unit[0].length)
    .split(",")
    .map((spec) => spec.trim())
    .filter(Boolean);
}

/** One spec (`5-9`, `5-`, `-3`) of a file of `size` bytes, as parseRange answers it. */
function parseRangeSpec(spec: string, size: number): ByteRange | "unsatisfiable" | undefined {
  const suffix = /^-(\d+)$/.exec(spec);
  if (suffix) {
    const length = Number(suffix[1]);
    if (length === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const span = /^(\d+)-(\d*)$/.exec(spec);
  if (!span) return undefined;
  const start = Number(span[1]);
  const last = span[2] === "" ? size - 1 : Number(span[2]);
  if (last < start || start >= size) return "unsatisfiable";
  return { start, end: Math.min(last, size - 1) };
}

/** The most ranges one request may ask for at once; more get the whole file (§14.2 allows it). */
export const MAX_RANGES = 64;

/**
 * The byte ranges a Range header asks of a file of `size` bytes, sorted and with overlapping
 * or touching ones merged (§14.2 lets a server coalesce them); the unsatisfiable ones left
 * out, "unsatisfiable" when that leaves none; undefined for a header to ignore (another unit,
 * bad syntax, more than MAX_RANGES ranges). The page asks for the cards' records this way:
 * one request instead of one per record (RFC 9110 §14.6 multipart/byteranges answers it).
 */
export function parseRanges(header: string, size: number): ByteRange[] | "unsatisfiable" | undefined {
  const specs = rangeSpecs(header);
  if (!specs || specs.length === 0 || specs.length > MAX_RANGES) return undefined;
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const one = parseRangeSpec(spec, size);
    if (one === undefined) return undefined;
    if (one !== "unsatisfiable") ranges.push(one);
  }
  if (ranges.length === 0) return "unsatisfiable";
  ranges.sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end + 1) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/** If-None-Match lists `etag` (weak comparison, as §13.1.2 says for GET and HEAD), or is `*`. */
function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === opaque(etag));
}

/**
 * The Range to honour: on GET only, and only while If-Range (§13.1.5) holds, which lets a
 * Range apply only to the representation the client already has part of. If-Range compares
 * entity tags strongly and these ETags are weak, so only a date can match: the exact
 * Last-Modified. A repeated If-Range is malformed and gets the whole file too.
 */
function requestedRanges(req: IncomingMessage, size: number, lastModified: string): ReturnType<typeof parseRanges> {
  const range = req.headers.range;
  if (req.method !== "GET" || range === undefined) return undefined;
  const ifRange = req.headers["if-range"];
  if (ifRange !== undefined && (Array.isArray(ifRange) || ifRange.trim() !== lastModified)) return undefined;
  return parseRanges(range, size);
}

/** Several ranges answered at once hold at most this much: past it, the whole file streams instead. */
const MULTIPART_MAX_BYTES = 16 * 1024 * 1024;

/**
 * A multipart/byteranges body (RFC 9110 §14.6) for the ranges of an open file: each part
 * with its Content-Type and Content-Range, separated by a boundary that no part contains.
 */
function multipartBody(fd: number, ranges: readonly ByteRange[], size: number, type: string): { body: Buffer; boundary: string } {
  const parts = ranges.map((range) => {
    const data = Buffer.allocUnsafe(range.end - range.start + 1);
    const read = readSync(fd, data, 0, data.length, range.start);
    return { range, data: data.subarray(0, read) };
  });
  let boundary = "";
  do boundary = `marquee-${Math.random().toString(36).slice(2)}`;
  while (parts.some((part) => part.data.includes(boundary)));
  const chunks: Buffer[] = [];
  for (const { range, data } of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`), data, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), boundary };
}

// ---------------------------------------------------------------------------------------
// Finding the file

/**
 * The decoded, normalised path of a request ("/explore"), or undefined when it cannot name
 * a file of the site: not a path, bad percent-encoding, a NUL, or a dotfile (sirv served
 * none, .well-known aside).
 */
function requestPath(url: string | undefined): string | undefined {
  const raw = (url ?? "/").split("?")[0];
  if (!raw.startsWith("/")) return undefined;
  let decoded: string;
  try {
    decoded = decodeURI(raw);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const pathname = path.posix.normalize(decoded);
  return hasHiddenSegment(pathname) ? undefined : pathname;
}

function hasHiddenSegment(relative: string): boolean {
  return relative.split(/[\\/]/).some((segment) => segment.startsWith(".") && segment !== ".well-known");
}

/** The files a path may name, in sirv's order: itself, then the clean URL's page, then a folder's index. */
function candidates(pathname: string): string[] {
  const bare = pathname.replace(/\/+$/, "");
  return bare ? [bare, `${bare}.html`, `${bare}/index.html`] : ["/index.html"];
}

interface SiteFile {
  /** The path under the site root, as requested ("/explore.html"). */
  name: string;
  /** Its real path, inside the site root. */
  real: string;
  stats: Stats;
}

// What realpath and stat say about a name that is simply not a file of the site: missing, a
// dangling or looping symlink, a path through a file, or unreadable.
const NOT_THERE = new Set(["ENOENT", "ENOTDIR", "ELOOP", "ENAMETOOLONG", "EACCES"]);

/**
 * The regular file at `name` under `root` (a real path), when it and every symlink on its
 * way stay inside `root` and it is no dotfile. Lookups are synchronous: they are a few
 * metadata calls on local files, cheaper than a trip through libuv's thread pool each.
 */
function siteFile(root: string, name: string): SiteFile | undefined {
  let real: string;
  try {
    real = realpathSync(path.join(root, name));
  } catch (error) {
    if (NOT_THERE.has((error as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw error;
  }
  const relative = path.relative(root, real);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative) || hasHiddenSegment(relative)) return undefined;
  const stats = statSync(real, { throwIfNoEntry: false });
  return stats?.isFile() ? { name, real, stats } : undefined;
}

function findFile(root: string, pathname: string): SiteFile | undefined {
  for (const name of candidates(pathname)) {
    const file = siteFile(root, name);
    if (file) return file;
  }
  return undefined;
}

/** The best precompressed sibling (`x.br`, `x.gz`) of `file` that the client accepts. */
function precompressed(root: string, file: SiteFile, accepted: readonly PrecompressedEncoding[]): { file: SiteFile; encoding: PrecompressedEncoding } | undefined {
  for (const encoding of accepted) {
    const sibling = siteFile(root, file.name + SIBLING_SUFFIX[encoding]);
    if (sibling) return { file: sibling, encoding };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Answering

function isHtml(name: string): boolean {
  return /\.html?$/i.test(name);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end(text);
}

// Files up to this size are read in one synchronous call and sent as one buffer: for a page
// or a module (tens of KB, in the page cache) that costs microseconds, where a stream costs
// four trips through libuv's thread pool (open, stat, read, close). Measured with wrk on
// the built 12 KB index.html: streaming every file gave about 40% of sirv's requests per
// second, reading small ones in one go about as many as sirv.
const SMALL_FILE_BYTES = 128 * 1024;

/**
 * Sends `file` (or its precompressed sibling) with its validators: 304 when the client's
 * copy is current, 206/416 for a Range, else 200. The headers come from the opened file's
 * own stat, so they describe the bytes sent even if the file is replaced meanwhile.
 */
async function sendFile(req: IncomingMessage, res: ServerResponse, pathname: string, identity: SiteFile, variant: { file: SiteFile; encoding?: PrecompressedEncoding }): Promise<void> {
  const fd = openSync(variant.file.real, "r");
  let streaming = false;
  try {
    const stats = fstatSync(fd);
    const etag = `W/"${stats.size}-${stats.mtime.getTime()}"`;
    const lastModified = stats.mtime.toUTCString();
    res.setHeader("Cache-Control", cacheControl(pathname));
    res.setHeader("ETag", etag);
    res.setHeader("Last-Modified", lastModified);
    if (ifNoneMatchHits(req.headers["if-none-match"], etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader("Content-Type", contentType(identity.name));
    res.setHeader("Accept-Ranges", "bytes");
    if (variant.encoding) res.setHeader("Content-Encoding", variant.encoding);
    const ranges = requestedRanges(req, stats.size, lastModified);
    if (ranges === "unsatisfiable") {
      res.statusCode = 416;
      res.setHeader("Content-Range", `bytes */${stats.size}`);
      res.end();
      return;
    }
    // Several ranges: one multipart answer, from the file's own bytes only (a range of a
    // compressed copy would be of other bytes than the ones the client indexed).
    const several = ranges && ranges.length > 1 && !variant.encoding && ranges.reduce((sum, r) => sum + r.end - r.start + 1, 0) <= MULTIPART_MAX_BYTES;
    if (several) {
      const { body, boundary } = multipartBody(fd, ranges, stats.size, contentType(identity.name));
      res.statusCode = 206;
      res.setHeader("Content-Type", `multipart/byteranges; boundary=${boundary}`);
      res.setHeader("Content-Length", body.length);
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    const asked = ranges?.length === 1 ? ranges[0] : undefined;
    const { start, end } = asked ?? { start: 0, end: stats.size - 1 };
    const length = end - start + 1;
    res.statusCode = asked ? 206 : 200;
    if (asked) res.setHeader("Content-Range", `bytes ${start}-${end}/${stats.size}`);
    res.setHeader("Content-Length", length);
    if (req.method === "HEAD" || length === 0) {
      res.end();
      return;
    }
    if (length <= SMALL_FILE_BYTES) {
      const body = Buffer.allocUnsafe(length);
      const read = readSync(fd, body, 0, length, start);
      // A file cut short since its stat: send what is there; the client sees a short body.
      res.end(read === length ? body : body.subarray(0, read));
      return;
    }
    // From here the stream owns the descriptor: it closes it when it ends, fails or is destroyed.
    const body = createReadStream(variant.file.real, { fd, start, end });
    streaming = true;
    await new Promise<void>((resolve, reject) => {
      pipeline(body, res, (error) => {
        // A client that goes away mid-file is no failure of the server; a read error is.
        if (error && error.code !== "ERR_STREAM_PREMATURE_CLOSE") reject(error);
        else resolve();
      });
    });
  } finally {
    if (!streaming) closeSync(fd);
  }
}

function sendNotFound(res: ServerResponse, root: string, policies: ReturnType<typeof pagePolicies>): void {
  const page = siteFile(root, "/404.html");
  if (!page) return sendText(res, 404, "Not found\n");
  res.statusCode = 404;
  res.setHeader("Content-Security-Policy", policies.forPage(page.real, page.stats));
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.end(readFileSync(page.real));
}

/** Counts the body bytes handed to the socket, whatever writes them (a file stream is piped). */
function countBodyBytes(res: ServerResponse): () => number {
  let sent = 0;
  const add = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === "string") sent += Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
    else if (chunk instanceof Uint8Array) sent += chunk.byteLength;
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    add(args[0], args[1]);
    return write(...args);
  }) as ServerResponse["write"];
  res.end = ((...args: unknown[]) => {
    add(args[0], args[1]);
    return end(...args);
  }) as ServerResponse["end"];
  return () => sent;
}

function reportServed(req: IncomingMessage, res: ServerResponse, served: (response: ServedResponse) => void, log: (line: string) => void): void {
  const sent = countBodyBytes(res);
  res.once("finish", () => {
    const bodyless = req.method === "HEAD" || res.statusCode === 304;
    const encoding = res.getHeader("content-encoding");
    try {
      served({ path: (req.url ?? "/").split("?")[0], status: res.statusCode, bytes: bodyless ? 0 : sent(), ...(encoding ? { encoding: String(encoding) } : {}) });
    } catch (error) {
      // A broken hook must not take the server down: "finish" is emitted outside any handler's try.
      log(`serve: the onServed hook failed for ${oneLine(req.url ?? "/")}: ${oneLine(errorText(error))}`);
    }
  });
}

// ---------------------------------------------------------------------------------------
// The server

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns whatever goes wrong in one request (a throw, a rejected promise, a file stream that
 * fails) into a 500 for that request and one log line, instead of a crash of the process.
 */
function guarded(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>, log: (line: string) => void) {
  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    log(`serve: ${oneLine(req.method ?? "?")} ${oneLine(req.url ?? "/")} failed: ${oneLine(errorText(error))}`);
    if (res.headersSent) {
      res.destroy(); // half an answer is sent; the client must see it broke off
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name); // no stale Content-Length, ETag, Range
    setSecurityHeaders(res);
    sendText(res, 500, "Internal server error\n");
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => fail(req, res, error));
  };
}

const ALLOWED_METHODS = new Set(["GET", "HEAD"]);

/**
 * The request handler. The site folder may be a symlink that scripts/rebuild.sh swaps
 * (site/current -> releases/<id>) while the server runs, so its real path is taken once per
 * request and the whole answer comes from that release, the old or the new one.
 */
function siteHandler(dir: string) {
  const policies = pagePolicies();
  let release = "";
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSecurityHeaders(res);
    // Every answer depends on Accept-Encoding, 304s and 404s included, so caches must key on it.
    res.setHeader("Vary", "Accept-Encoding");
    if (!ALLOWED_METHODS.has(req.method ?? "")) {
      res.setHeader("Allow", "GET, HEAD");
      return sendText(res, 405, "Method not allowed: this server only sends files (GET, HEAD)\n");
    }
    const root = realpathSync(dir);
    if (root !== release) {
      policies.clear();
      release = root;
    }
    const pathname = requestPath(req.url);
    const file = pathname === undefined ? undefined : findFile(root, pathname);
    if (pathname === undefined || !file) return sendNotFound(res, root, policies);
    if (isHtml(file.name)) res.setHeader("Content-Security-Policy", policies.forPage(file.real, file.stats));
    // A Range request always gets the identity file: a client reading bytes 100-199 of the
    // .wasm (DuckDB-WASM, the ship check) needs those bytes, not a fragment of a brotli stream.
    const sibling = req.headers.range ? undefined : precompressed(root, file, acceptedEncodings(req.headers["accept-encoding"]));
    await sendFile(req, res, pathname, file, sibling ?? { file });
  };
}

export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 64;

function checkedLimit(limit: number, source: string, raw: unknown = limit): number {
  if (!Number.isInteger(limit) || limit < 1) throw new ServeError(`${source} must be a whole number of at least 1, got "${raw}"`);
  return limit;
}

/** The per-client connection limit MARQUEE_MAX_CONNECTIONS_PER_CLIENT sets, else the default. */
export function maxConnectionsPerClientFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MARQUEE_MAX_CONNECTIONS_PER_CLIENT;
  if (raw === undefined || raw === "") return DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
  return checkedLimit(Number(raw), "MARQUEE_MAX_CONNECTIONS_PER_CLIENT", raw);
}

/**
 * Closes, at once, each connection past `limit` open ones from the same address, so one
 * client cannot hold every socket (a browser opens about six). Each client is logged once
 * per burst of refusals, not once per connection.
 */
function limitConnectionsPerClient(server: Server, limit: number, log: (line: string) => void): void {
  const open = new Map<string, number>();
  const refusing = new Set<string>();
  server.on("connection", (socket: Socket) => {
    const client = socket.remoteAddress;
    if (client === undefined) return void socket.destroy(); // already gone
    const count = open.get(client) ?? 0;
    if (count >= limit) {
      if (!refusing.has(client)) log(`serve: refusing connections from ${client}: it has ${limit} open (MARQUEE_MAX_CONNECTIONS_PER_CLIENT)`);
      refusing.add(client);
      return void socket.destroy();
    }
    open.set(client, count + 1);
    socket.once("close", () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left < limit) refusing.delete(client);
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  });
}

/**
 * A request Node cannot parse gets a 400 (431 for oversized headers, 408 for a request
 * too slow to arrive) and its connection is closed: what Node does when no listener is
 * set, kept explicit here so the behaviour is visible and stays when the server changes.
 */
function answerClientErrors(server: Server): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroySoon();
  });
}

export function startServer(options: ServeOptions): Promise<RunningServer> {
  const dir = path.resolve(options.dir);
  if (!existsSync(path.join(dir, "index.html"))) {
    return Promise.reject(new ServeError(`no site in ${dir} (index.html is missing); build it with npm run build`));
  }
  let limit: number;
  try {
    limit = options.maxConnectionsPerClient === undefined ? maxConnectionsPerClientFrom() : checkedLimit(options.maxConnectionsPerClient, "maxConnectionsPerClient");
  } catch (error) {
    return Promise.reject(error);
  }
  const log = options.log ?? ((line: string) => console.error(line));
  const handle = siteHandler(dir);
  const served = options.onServed;
  const server = createServer(
    guarded(async (req, res) => {
      if (served) reportServed(req, res, served, log);
      if ((req.url ?? "").split("?")[0] === "/api/picks") {
        if (options.apiPicks) return options.apiPicks(req, res);
        // The page probes this path: "not live" rather than a 404 in every visitor's console.
        res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
        return void res.end(req.method === "HEAD" ? undefined : '{"live":false}');
      }
      await handle(req, res);
    }, log),
  );
  limitConnectionsPerClient(server, limit, log);
  answerClientErrors(server);
  const host = options.host ?? "0.0.0.0";
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const hint = error.code === "EADDRINUSE" ? `; choose another with --port or PORT` : "";
      reject(new ServeError(`could not listen on ${host}:${options.port ?? 3000}: ${error.message}${hint}`, { cause: error }));
    });
    server.listen(options.port ?? 3000, host, () => {
      const { port } = server.address() as AddressInfo;
      const shown = host === "0.0.0.0" || host === "::" ? "localhost" : host;
      resolve({
        server,
        url: `http://${shown}:${port}/`,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

export function serveOptionsFromArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const { values } = parseArgs({
    args: argv,
    options: { dir: { type: "string" }, port: { type: "string" }, host: { type: "string" } },
  });
  const rawPort = values.port ?? env.PORT ?? "3000";
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ServeError(`port must be a whole number from 0 to 65535, got "${rawPort}"`);
  }
  const dir = values.dir ?? "dist";
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ServeError(`--dir ${dir} is not a directory`);
  return { dir, port, host: values.host ?? env.HOST ?? "0.0.0.0", maxConnectionsPerClient: maxConnectionsPerClientFrom(env) };
}

/** Stops the server on SIGINT/SIGTERM so a supervisor's stop is clean. */
export function closeOnSignals(running: RunningServer): void {
  const stop = () => void running.close().finally(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const options = serveOptionsFromArgs(process.argv.slice(2));
    // Loaded only when asked for: the engine behind /api/picks is heavy.
    if (process.env.MARQUEE_LIVE_LLM) options.apiPicks = (await import("./api-picks.ts")).apiPicksFromEnv();
    const running = await startServer(options);
    closeOnSignals(running);
    console.log(`Serving ${path.resolve(options.dir)} on ${running.url}`);
  } catch (error) {
    console.error(`serve: ${(error as Error).message}`);
    process.exit(1);
  }
}
