// Serves a built site (dist/) over HTTP, with Range requests (DuckDB-WASM reads files in
// ranges) and long-lived caching for Framework's content-hashed assets.
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
  /** Body bytes sent (the Content-Length of the answer). */
  bytes: number;
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

// The site folder may be a symlink that scripts/rebuild.sh swaps (site/current ->
// releases/<id>) while the server runs. sirv indexes a folder once, so keep an index per
// release and pick it on each request: a request is answered wholly from one release,
// the old or the new one, and a swap needs no restart.
function releaseSites(dir: string): () => { assets: ReturnType<typeof sirv>; notFoundPage: string } {
  let current: { real: string; assets: ReturnType<typeof sirv>; notFoundPage: string } | undefined;
  return () => {
    const real = realpathSync(dir);
    if (current?.real !== real) {
      const assets = sirv(real, { dev: false, etag: true, extensions: ["html"], setHeaders });
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
      res.once("finish", () => served({ path: (req.url ?? "/").split("?")[0], status: res.statusCode, bytes: Number(res.getHeader("content-length") ?? 0) }));
    }
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
