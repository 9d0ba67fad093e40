// The TMDB client: authentication, retries, failures and pacing, against the mock TMDB server.
import { describe, expect, it } from "vitest";
import {
  TmdbAuthError,
  TmdbNotFoundError,
  TmdbResponseError,
  TmdbUnavailableError,
} from "../../../loaders/tmdb/client.ts";
import { makeTitles } from "../../helpers/mock-tmdb.ts";
import { API_KEY, READ_TOKEN, client, everything, mock, rejection, useTmdbTestEnvironment } from "./tmdb-fixtures.ts";

useTmdbTestEnvironment();

describe("TmdbClient authentication", () => {
  it("sends a v3 key as the api_key query parameter and no Authorization header", async () => {
    const server = await mock();
    await client(server).genres("movie");
    expect(server.requests[0].query.api_key).toBe(API_KEY);
    expect(server.requests[0].authorization).toBeUndefined();
  });

  it("sends a v4 token as a Bearer header and keeps the secret out of the URL", async () => {
    const server = await mock();
    await client(server, { apiKey: API_KEY, readToken: READ_TOKEN }).genres("movie");
    expect(server.requests[0].authorization).toBe(`Bearer ${READ_TOKEN}`);
    expect(server.requests[0].query.api_key).toBeUndefined();
  });

  it("fails at once on 401 with a message naming the settings and no secret", async () => {
    const server = await mock({ apiKey: "another-key", readToken: undefined });
    const error = await rejection(client(server, { maxAttempts: 5 }).genres("movie"));
    expect(error).toBeInstanceOf(TmdbAuthError);
    expect(error.message).toBe("TMDB rejected the credentials (401): check TMDB_API_KEY or TMDB_READ_TOKEN");
    expect(server.requests).toHaveLength(1);
    expect(everything(error)).not.toContain(API_KEY);
  });
});

describe("TmdbClient failures", () => {
  it("waits for Retry-After on 429, then succeeds", async () => {
    const server = await mock({ movies: makeTitles("movie", 5) });
    server.fail({ path: "/discover/movie" }, { kind: "status", status: 429, headers: { "retry-after": "1" } });
    const tmdb = client(server);
    const page = await tmdb.discover("movie", { page: 1 });
    expect(page.results).toHaveLength(5);
    expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(950);
    expect(tmdb.stats).toEqual({ requests: 2, retries: 1 });
  });

  it("retries a 500 and returns the next good answer", async () => {
    const server = await mock({ movies: makeTitles("movie", 5) });
    server.fail({ path: "/discover/movie" }, { kind: "status", status: 500 });
    const page = await client(server).discover("movie", { page: 1 });
    expect(page.results).toHaveLength(5);
    expect(server.requests).toHaveLength(2);
  });

  it("retries a dropped connection", async () => {
    const server = await mock();
    server.fail({ path: "/genre/tv/list" }, { kind: "reset" });
    await expect(client(server).genres("tv")).resolves.toContainEqual({ id: 10765, name: "Sci-Fi & Fantasy" });
  });

  it("retries a request that times out", async () => {
    const server = await mock();
    server.fail({ path: "/configuration/languages" }, { kind: "hang" });
    const names = await client(server, { timeoutMs: 200 }).languages();
    expect(names.ja).toBe("Japanese");
    expect(server.requests).toHaveLength(2);
  });

  it("gives up after the configured attempts with an error naming the endpoint and page", async () => {
    const server = await mock();
    server.fail({ path: "/discover/tv" }, { kind: "status", status: 503 }, Infinity);
    const error = await rejection(client(server, { maxAttempts: 3 }).discover("tv", { page: 7 }));
    expect(error).toBeInstanceOf(TmdbUnavailableError);
    expect(error.message).toBe("TMDB request /discover/tv page 7 failed after 3 attempts: HTTP 503");
    expect(server.requests).toHaveLength(3);
  });

  it("fails at once on 404, naming the path and TMDB_BASE_URL", async () => {
    const server = await mock();
    const error = await rejection(client(server).get("/no/such/endpoint", {}, (body) => body));
    expect(error).toBeInstanceOf(TmdbNotFoundError);
    expect(error.message).toContain("/no/such/endpoint");
    expect(error.message).toContain("TMDB_BASE_URL");
    expect(server.requests).toHaveLength(1);
  });

  it("retries malformed JSON once and then succeeds", async () => {
    const server = await mock({ movies: makeTitles("movie", 3) });
    server.fail({ path: "/discover/movie", page: 2 }, { kind: "malformed" });
    const page = await client(server).discover("movie", { page: 2 });
    expect(page.page).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it("fails on malformed JSON the second time, naming the endpoint and page", async () => {
    const server = await mock();
    server.fail({ path: "/discover/movie", page: 4 }, { kind: "malformed" }, Infinity);
    const error = await rejection(client(server).discover("movie", { page: 4 }));
    expect(error).toBeInstanceOf(TmdbResponseError);
    expect(error.message).toBe("TMDB sent malformed JSON for /discover/movie page 4 (twice)");
    expect(server.requests).toHaveLength(2);
  });

  it("rejects a page without results at once, naming the endpoint and page", async () => {
    const server = await mock();
    server.fail({ path: "/discover/tv", page: 3 }, { kind: "missing-results" });
    const error = await rejection(client(server).discover("tv", { page: 3 }));
    expect(error).toBeInstanceOf(TmdbResponseError);
    expect(error.message).toBe("unexpected TMDB response for /discover/tv page 3: missing `results` array");
    expect(server.requests).toHaveLength(1);
  });

  it("reports TMDB's message for a refused request without retrying it", async () => {
    const server = await mock();
    const error = await rejection(client(server).discover("movie", { page: 501 }));
    expect(error).toBeInstanceOf(TmdbResponseError);
    expect(error.message).toMatch(/^TMDB refused \/discover\/movie page 501 \(HTTP 400\): Invalid page/);
    expect(server.requests).toHaveLength(1);
  });

  it("never puts the v3 key in an error, even when the network fails", async () => {
    const server = await mock();
    server.fail({ path: "/genre/movie/list" }, { kind: "reset" }, Infinity);
    const error = await rejection(client(server, { maxAttempts: 2 }).genres("movie"));
    expect(error).toBeInstanceOf(TmdbUnavailableError);
    expect(everything(error)).not.toContain(API_KEY);
  });

  it("spaces requests to the configured rate however many run at once", async () => {
    const server = await mock({ movies: makeTitles("movie", 40) });
    const tmdb = client(server, { requestsPerSecond: 50, concurrency: 8 });
    await Promise.all(Array.from({ length: 21 }, (_, i) => tmdb.discover("movie", { page: i + 1 })));
    const times = server.requests.map((r) => r.at).sort((a, b) => a - b);
    // 21 requests at 50/s: 20 gaps of 20 ms (a little slack for timer granularity).
    expect(times[20] - times[0]).toBeGreaterThanOrEqual(20 * 20 * 0.9);
  });
});
