// Serves a built site (dist/) over HTTP, with Range requests (DuckDB-WASM reads files in
// ranges), long-lived caching for Framework's content-hashed assets, and the precompressed
// `.br`/`.gz` siblings that scripts/compress-site.ts writes after every build.
//
//   tsx scripts/serve.ts [--dir dist] [--port 3000] [--host 0.0.0.0]
//
// PORT and HOST in the environment are used when the flags are absent.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import sirv from "sirv";

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
}

export interface RunningServer {
  server: Server;
  /** Base URL with the real port (useful with port 0). */
  url: string;
  port: number;
  close(): Promise<void>;
}

// Framework puts a content hash in these names, or a package version in their folder.
const HASHED = /\.[0-9a-f]{8}\.[a-z0-9]+$|\/_node\/.+@\d[^/]*\//;

const TYPES: Record<string, string> = {
  ".arrow": "application/vnd.apache.arrow.stream",
  ".wasm": "application/wasm",
};

function setHeaders(res: ServerResponse, pathname: string): void {
  const type = TYPES[path.extname(pathname)];
  if (type) res.setHeader("Content-Type", type);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Cache-Control", HASHED.test(pathname) ? "public, max-age=31536000, immutable" : "no-cache");
}

export class ServeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ServeError";
  }
}

export type PrecompressedEncoding = "br" | "gzip";

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

/** Counts the body bytes handed to the socket, whatever writes them (sirv pipes a file stream). */
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

// The site folder may be a symlink that scripts/rebuild.sh swaps (site/current ->
// releases/<id>) while the server runs. sirv indexes a folder once, so keep an index per
// release and pick it on each request: a request is answered wholly from one release,
// the old or the new one, and a swap needs no restart.
function releaseSites(dir: string): () => { assets: ReturnType<typeof sirv>; notFoundPage: string } {
  let current: { real: string; assets: ReturnType<typeof sirv>; notFoundPage: string } | undefined;
  return () => {
    const real = realpathSync(dir);
    if (current?.real !== real) {
      // brotli/gzip: sirv answers with `x.br` / `x.gz` when the request accepts it and the
      // sibling exists, with Content-Encoding set and the original's Content-Type.
      const assets = sirv(real, { dev: false, etag: true, extensions: ["html"], setHeaders, brotli: true, gzip: true });
      current = { real, assets, notFoundPage: path.join(real, "404.html") };
    }
    return current;
  };
}

export function startServer(options: ServeOptions): Promise<RunningServer> {
  const dir = path.resolve(options.dir);
  if (!existsSync(path.join(dir, "index.html"))) {
    return Promise.reject(new ServeError(`no site in ${dir} (index.html is missing); build it with npm run build`));
  }
  const siteFor = releaseSites(dir);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (options.onServed) {
      const served = options.onServed;
      const sent = countBodyBytes(res);
      res.once("finish", () => {
        const bodyless = req.method === "HEAD" || res.statusCode === 304;
        const encoding = res.getHeader("content-encoding");
        served({ path: (req.url ?? "/").split("?")[0], status: res.statusCode, bytes: bodyless ? 0 : sent(), ...(encoding ? { encoding: String(encoding) } : {}) });
      });
    }
    // sirv picks a sibling by substring matches on this header ("gzip;q=0" would count as
    // gzip), so it gets only what the client really accepts. A Range request always gets
    // the identity file: sirv would slice the compressed file instead, and a client reading
    // bytes 100-199 of the .wasm (DuckDB-WASM, the ship check) needs those bytes, not a
    // fragment of a brotli stream.
    req.headers["accept-encoding"] = req.headers.range ? "" : acceptedEncodings(req.headers["accept-encoding"]).join(", ");
    // Every answer depends on Accept-Encoding, 304s and 404s included, so caches must key on it.
    res.setHeader("Vary", "Accept-Encoding");
    const { assets, notFoundPage } = siteFor();
    assets(req, res, () => {
      res.statusCode = 404;
      if (existsSync(notFoundPage)) {
        res.setHeader("Content-Type", "text/html; charset=utf-8");
        res.end(readFileSync(notFoundPage));
      } else {
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
        res.end("Not found\n");
      }
    });
  };
  const server = createServer(handler);
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
  return { dir, port, host: values.host ?? env.HOST ?? "0.0.0.0" };
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
    const running = await startServer(options);
    closeOnSignals(running);
    console.log(`Serving ${path.resolve(options.dir)} on ${running.url}`);
  } catch (error) {
    console.error(`serve: ${(error as Error).message}`);
    process.exit(1);
  }
}
