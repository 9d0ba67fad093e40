// TMDB_TIMEOUT_MS bounds the whole exchange, body included: a server that sends its headers and
// then stalls mid-body must time out like one that never answers, and be retried.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TmdbClient, TmdbUnavailableError, type TmdbRetryEvent } from "../../../loaders/tmdb/client.ts";
import { startMockTmdb, type MockTmdb } from "../../helpers/mock-tmdb.ts";

const API_KEY = "v3-deadline-key-7d41b0";
const ENV_NAMES = ["TMDB_API_KEY", "TMDB_READ_TOKEN", "TMDB_BASE_URL", "TMDB_TIMEOUT_MS", "TMDB_REQUESTS_PER_SECOND"];

let server: MockTmdb;
let savedEnv: Record<string, string | undefined>;

beforeEach(async () => {
  savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  for (const name of ENV_NAMES) delete process.env[name];
  server = await startMockTmdb({ apiKey: API_KEY });
});

afterEach(async () => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await server.close();
});

/** A client configured from the environment, as the refresh job builds it; no rate limit, fast backoff. */
function clientFromEnv(timeoutMs: number, retries: TmdbRetryEvent[], maxAttempts = 5): TmdbClient {
  process.env.TMDB_API_KEY = API_KEY;
  process.env.TMDB_BASE_URL = server.url;
  process.env.TMDB_TIMEOUT_MS = String(timeoutMs);
  return TmdbClient.fromEnv({ requestsPerSecond: 0, retryBaseMs: 1, maxAttempts, onRetry: (event) => retries.push(event) });
}

describe("TMDB_TIMEOUT_MS covers the response body", () => {
  it("times out a body that drips after the headers, and the retry answers", async () => {
    server.fail({ path: "/configuration/languages" }, { kind: "drip", intervalMs: 100 });
    const retries: TmdbRetryEvent[] = [];
    const started = performance.now();
    const names = await clientFromEnv(1000, retries).languages();
    const elapsed = performance.now() - started;
    expect(names.ja).toBe("Japanese");
    expect(server.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0].reason).toBe("timed out after 1000 ms (TMDB_TIMEOUT_MS)");
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1000 + 1500);
  });

  it("reports a body that drips on every attempt as a timeout after the last attempt", async () => {
    server.fail({ path: "/genre/movie/list" }, { kind: "drip", intervalMs: 100 }, Infinity);
    const retries: TmdbRetryEvent[] = [];
    const started = performance.now();
    const error = (await clientFromEnv(500, retries, 2)
      .genres("movie")
      .catch((e: unknown) => e)) as Error;
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(TmdbUnavailableError);
    expect(error.message).toBe("TMDB request /genre/movie/list failed after 2 attempts: timed out after 500 ms (TMDB_TIMEOUT_MS)");
    expect(error.message).not.toContain(API_KEY);
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeLessThan(2 * 500 + 1500);
  });

  it("still stops at once, without a retry, when the caller aborts mid-body", async () => {
    server.fail({ path: "/configuration/languages" }, { kind: "drip", intervalMs: 100 });
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error("caller gave up")), 300);
    const retries: TmdbRetryEvent[] = [];
    const error = (await clientFromEnv(5000, retries)
      .languages(caller.signal)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe("caller gave up");
    expect(server.requests).toHaveLength(1);
    expect(retries).toHaveLength(0);
  });
});
