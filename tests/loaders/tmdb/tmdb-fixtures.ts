// Shared setup for the TMDB client, refresh, data:refresh and active-catalogue tests, which run
// against a real HTTP server on 127.0.0.1 that behaves like TMDB (tests/helpers/mock-tmdb.ts).
// Each test file calls useTmdbTestEnvironment() at top level to register the env save/restore
// and the temp-directory/mock-server cleanup hooks.
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach } from "vitest";
import { TmdbClient, type TmdbClientOptions } from "../../../loaders/tmdb/client.ts";
import { refreshFromTmdb, type RefreshOptions } from "../../../loaders/tmdb/refresh.ts";
import { startMockTmdb, type MockTmdb, type MockTmdbOptions } from "../../helpers/mock-tmdb.ts";
import { sharedRawDir } from "../../../loaders/shared/config.ts";

export const API_KEY = "v3-test-key-5f2c9a";
export const READ_TOKEN = "v4-test-token-eyJhbGciOi";
/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, "../../..");
export const RAW = sharedRawDir();

export const ENV_NAMES = [
  "TMDB_API_KEY",
  "TMDB_READ_TOKEN",
  "TMDB_BASE_URL",
  "TMDB_MOVIE_COUNT",
  "TMDB_SERIES_COUNT",
  "TMDB_LANGUAGE",
  "TMDB_TIMEOUT_MS",
  "TMDB_REQUESTS_PER_SECOND",
  "TMDB_DETAILS",
  "TMDB_WATCH_REGIONS",
  "MARQUEE_CATALOG_DIR",
  "MARQUEE_CACHE_DIR",
  "MARQUEE_REFRESH_DAYS",
  "MARQUEE_AUTO_REFRESH",
];
let savedEnv: Record<string, string | undefined>;
const temps: string[] = [];
const mocks: MockTmdb[] = [];

/** Registers, in the calling test file, the hooks that clear the TMDB/Marquee env for each test and close mocks and remove temp dirs after it. */
export function useTmdbTestEnvironment(): void {
  beforeEach(() => {
    savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
    for (const name of ENV_NAMES) delete process.env[name];
  });

  afterEach(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await Promise.all(mocks.splice(0).map((mock) => mock.close()));
    await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "marquee-tmdb-test-"));
  temps.push(dir);
  return dir;
}

export async function mock(options: MockTmdbOptions = {}): Promise<MockTmdb> {
  const server = await startMockTmdb({ apiKey: API_KEY, readToken: READ_TOKEN, ...options });
  mocks.push(server);
  return server;
}

/** Fast settings: no rate limit, millisecond backoff. Credentials: the v3 key unless given. */
export function clientOptions(server: MockTmdb, extra: TmdbClientOptions = {}): TmdbClientOptions {
  return { baseUrl: server.url, apiKey: API_KEY, readToken: undefined, requestsPerSecond: 0, retryBaseMs: 1, ...extra };
}

export function client(server: MockTmdb, extra: TmdbClientOptions = {}): TmdbClient {
  return new TmdbClient(clientOptions(server, extra));
}

export interface Logged {
  lines: string[];
  log: (line: string) => void;
}
export function logger(): Logged {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

/** A refresh against the mock with fast client settings; the details and providers caches are fresh temp dirs unless given (never the repo's data/cache). */
export async function refresh(server: MockTmdb, options: RefreshOptions & { extra?: TmdbClientOptions } = {}) {
  const { extra, ...rest } = options;
  return refreshFromTmdb({
    movies: 40,
    series: 20,
    log: () => {},
    ...rest,
    detailsCacheDir: rest.detailsCacheDir ?? path.join(await tempDir(), "tmdb-details"),
    providersCacheDir: rest.providersCacheDir ?? path.join(await tempDir(), "tmdb-providers"),
    client: clientOptions(server, extra),
  });
}

export async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(path.join(dir, name)));
  return files;
}

export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

export function everything(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return `${error.message}\n${error.stack}\n${cause instanceof Error ? `${cause.message}\n${cause.stack}` : String(cause)}`;
}

export const discoverRequests = (server: MockTmdb, kind: "movie" | "tv") => server.requests.filter((r) => r.path === `/discover/${kind}`);
