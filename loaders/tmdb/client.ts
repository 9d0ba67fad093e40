// HTTP client for the TMDB v3 API: authentication (v3 key or v4 read token), a shared
// rate limit, bounded concurrency, retries with backoff, and one error class per failure
// kind. The key and the token never appear in an error message or a log line: messages
// name the endpoint and page, never the URL.
import pLimit, { type LimitFunction } from "p-limit";
import { setTimeout as sleep } from "node:timers/promises";
import type { Genre } from "../../lib/catalog.ts";
import { numberSetting, setting } from "../shared/config.ts";
import { IntervalLimiter } from "./pacing.ts";
import {
  TmdbShapeError,
  parseDiscoverPage,
  parseGenreList,
  parseLanguages,
  parseMovieDetails,
  parseTvDetails,
  statusMessage,
  type TmdbDiscoverPage,
  type TmdbMediaKind,
  type TmdbMovieDetails,
  type TmdbTvDetails,
} from "./types.ts";

export const DEFAULT_TMDB_BASE_URL = "https://api.themoviedb.org/3";

/** TMDB refuses discover pages above 500 (10,000 results per query). */
export const TMDB_MAX_PAGE = 500;

export interface TmdbClientOptions {
  /** v3 API key, sent as the `api_key` query parameter. */
  apiKey?: string;
  /** v4 read access token, sent as a Bearer token. Preferred when both are given: it keeps the secret out of URLs. */
  readToken?: string;
  baseUrl?: string;
  /** Request rate across all concurrent requests; 0 disables the limit (tests). Default 40. */
  requestsPerSecond?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Tries per request, the first included. Default 5. */
  maxAttempts?: number;
  /** Per-attempt timeout, body included. Default 15 s. */
  timeoutMs?: number;
  /** First backoff delay; doubles each retry, with jitter. Default 500 ms. */
  retryBaseMs?: number;
  /** Longest wait before a retry; a Retry-After above it fails the request instead. Default 60 s. */
  maxRetryDelayMs?: number;
  onRetry?: (event: TmdbRetryEvent) => void;
}

export interface TmdbRetryEvent {
  /** The endpoint and page, e.g. `/discover/movie page 3`; never a URL. */
  request: string;
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  reason: string;
}

export type TmdbParams = Record<string, string | number | boolean | undefined>;

export class TmdbError extends Error {
  /** The endpoint and page that failed, e.g. `/discover/movie page 3`. */
  readonly request: string;
  readonly status?: number;
  constructor(message: string, request: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.name = new.target.name;
    this.request = request;
    this.status = options?.status;
  }
}

/** Neither TMDB_API_KEY nor TMDB_READ_TOKEN is set. */
export class TmdbCredentialsMissingError extends TmdbError {}
/** 401: the key or token is wrong; retrying cannot help. */
export class TmdbAuthError extends TmdbError {}
/** 404: the endpoint does not exist at this base URL. */
export class TmdbNotFoundError extends TmdbError {}
/** A response that is not what the endpoint promises: malformed JSON, missing fields, or a refused request (4xx). */
export class TmdbResponseError extends TmdbError {}
/** Rate limiting, server errors, network errors or timeouts outlasted every retry. */
export class TmdbUnavailableError extends TmdbError {}

export const MISSING_CREDENTIALS_MESSAGE =
  "no TMDB credentials: set TMDB_API_KEY (v3 key) or TMDB_READ_TOKEN (v4 read token), or use the demo catalogue / npm run data:import";

/** True when TMDB_API_KEY or TMDB_READ_TOKEN is set (environment or .env). */
export function hasTmdbCredentials(): boolean {
  return setting("TMDB_API_KEY") !== undefined || setting("TMDB_READ_TOKEN") !== undefined;
}

/** Client options from the environment: credentials, TMDB_BASE_URL, TMDB_TIMEOUT_MS, TMDB_REQUESTS_PER_SECOND. */
export function tmdbOptionsFromEnv(): TmdbClientOptions {
  return {
    apiKey: setting("TMDB_API_KEY"),
    readToken: setting("TMDB_READ_TOKEN"),
    baseUrl: setting("TMDB_BASE_URL") ?? DEFAULT_TMDB_BASE_URL,
    timeoutMs: numberSetting("TMDB_TIMEOUT_MS", 15_000),
    requestsPerSecond: numberSetting("TMDB_REQUESTS_PER_SECOND", 40),
  };
}

function describe(path: string, params: TmdbParams): string {
  const parts = [path];
  if (params.page !== undefined) parts.push(`page ${params.page}`);
  // The date window tells pages of different windows apart; no other parameter is worth the noise.
  for (const [name, value] of Object.entries(params)) {
    if ((name.endsWith(".gte") || name.endsWith(".lte")) && value !== undefined) parts.push(`(${name}=${value})`);
  }
  return parts.join(" ");
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function networkReason(error: unknown, timeoutMs: number): string {
  const name = (error as Error)?.name;
  if (name === "TimeoutError") return `timed out after ${timeoutMs} ms (TMDB_TIMEOUT_MS)`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
  return `network error (${detail})`;
}

export class TmdbClient {
  readonly baseUrl: string;
  readonly #apiKey?: string;
  readonly #readToken?: string;
  readonly #limiter: IntervalLimiter;
  readonly #concurrency: LimitFunction;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #retryBaseMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #onRetry?: (event: TmdbRetryEvent) => void;
  #requests = 0;
  #retries = 0;

  constructor(options: TmdbClientOptions) {
    this.#apiKey = options.apiKey?.trim() || undefined;
    this.#readToken = options.readToken?.trim() || undefined;
    if (!this.#apiKey && !this.#readToken) throw new TmdbCredentialsMissingError(MISSING_CREDENTIALS_MESSAGE, "");
    this.baseUrl = (options.baseUrl ?? DEFAULT_TMDB_BASE_URL).replace(/\/+$/, "");
    this.#limiter = new IntervalLimiter(options.requestsPerSecond ?? 40);
    this.#concurrency = pLimit(Math.max(1, options.concurrency ?? 8));
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
    this.#onRetry = options.onRetry;
  }

  /** A client configured from the environment; `overrides` win. Throws TmdbCredentialsMissingError without credentials. */
  static fromEnv(overrides: TmdbClientOptions = {}): TmdbClient {
    return new TmdbClient({ ...tmdbOptionsFromEnv(), ...overrides });
  }

  /** HTTP requests sent so far (retries included) and how many of them were retries. */
  get stats(): { requests: number; retries: number } {
    return { requests: this.#requests, retries: this.#retries };
  }

  /** One discover page, sorted by popularity, adult titles included (the catalogue flags them). */
  discover(kind: TmdbMediaKind, params: TmdbParams, signal?: AbortSignal): Promise<TmdbDiscoverPage> {
    return this.get(
      `/discover/${kind}`,
      { sort_by: "popularity.desc", include_adult: true, include_video: kind === "movie" ? false : undefined, ...params },
      parseDiscoverPage,
      signal,
    );
  }

  /**
   * The genre list in English whatever the overview language: the catalogue, the filters and
   * the TV-to-movie genre mapping all work with TMDB's English genre names.
   */
  genres(kind: TmdbMediaKind, signal?: AbortSignal): Promise<Genre[]> {
    return this.get(`/genre/${kind}/list`, { language: "en-US" }, parseGenreList, signal);
  }

  /** Language code → English name, from `/configuration/languages`. */
  languages(signal?: AbortSignal): Promise<Record<string, string>> {
    return this.get("/configuration/languages", {}, parseLanguages, signal);
  }

  /** One movie's details with its keywords and credits appended: one request. A 404 (no such title) is a TmdbNotFoundError. */
  movieDetails(id: number, language: string, signal?: AbortSignal): Promise<TmdbMovieDetails> {
    return this.get(`/movie/${id}`, { language, append_to_response: "keywords,credits" }, (body) => parseMovieDetails(body, id), signal);
  }

  /** One series' details with its keywords and aggregate (all seasons) credits appended: one request. */
  tvDetails(id: number, language: string, signal?: AbortSignal): Promise<TmdbTvDetails> {
    return this.get(`/tv/${id}`, { language, append_to_response: "keywords,aggregate_credits" }, (body) => parseTvDetails(body, id), signal);
  }

  /** GET `path` with `params`, validated by `parse`. Waits for the rate limit and a free concurrency slot. */
  get<T>(path: string, params: TmdbParams, parse: (body: unknown) => T, signal?: AbortSignal): Promise<T> {
    return this.#concurrency(() => this.#withRetries(path, params, parse, signal));
  }

  #redact(text: string): string {
    let out = text;
    for (const secret of [this.#apiKey, this.#readToken]) if (secret) out = out.replaceAll(secret, "[redacted]");
    return out.replace(/([?&]api_key=)[^&\s]*/g, "$1[redacted]");
  }

  /** The error itself when it holds no secret, else a copy with the secret redacted. */
  #scrub(error: unknown): unknown {
    if (!(error instanceof Error)) return error;
    const text = `${error.message}\n${error.stack ?? ""}\n${String((error as { cause?: unknown }).cause ?? "")}`;
    if (this.#redact(text) === text) return error;
    const copy = new Error(this.#redact(error.message));
    copy.name = error.name;
    return copy;
  }

  #url(path: string, params: TmdbParams): string {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    if (!this.#readToken && this.#apiKey) url.searchParams.set("api_key", this.#apiKey);
    return url.toString();
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#readToken) headers.authorization = `Bearer ${this.#readToken}`;
    return headers;
  }

  #backoff(attempt: number): number {
    const exponential = Math.min(this.#maxRetryDelayMs, this.#retryBaseMs * 2 ** (attempt - 1));
    // Jitter spreads concurrent retries so they do not hit the server in one burst.
    return Math.round(exponential * (0.5 + Math.random() * 0.5));
  }

  async #withRetries<T>(path: string, params: TmdbParams, parse: (body: unknown) => T, signal?: AbortSignal): Promise<T> {
    const request = describe(path, params);
    const url = this.#url(path, params);
    let malformedSeen = false;
    let lastReason = "";
    let lastCause: unknown;
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      signal?.throwIfAborted();
      await this.#limiter.wait(signal);
      this.#requests++;
      if (attempt > 1) this.#retries++;
      let delayMs: number | undefined;
      let status = 0;
      let text: string;
      let retryAfter: string | null = null;
      try {
        // One deadline for the whole attempt: fetch applies its signal to the body read as well,
        // so a server that sends headers and then stalls mid-body times out here too.
        const timeout = AbortSignal.timeout(this.#timeoutMs);
        const response = await fetch(url, {
          headers: this.#headers(),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        status = response.status;
        retryAfter = response.headers.get("retry-after");
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        lastReason = networkReason(error, this.#timeoutMs);
        lastCause = this.#scrub(error);
        await this.#beforeRetry(request, attempt, this.#backoff(attempt), lastReason, signal);
        continue;
      }

      if (status === 401) {
        throw new TmdbAuthError("TMDB rejected the credentials (401): check TMDB_API_KEY or TMDB_READ_TOKEN", request, { status });
      }
      if (status === 404) {
        throw new TmdbNotFoundError(
          this.#redact(`TMDB has no ${path} (404): check TMDB_BASE_URL (now ${this.baseUrl})`),
          request,
          { status },
        );
      }
      if (status === 429) {
        const wait = retryAfterMs(retryAfter);
        if (wait !== undefined && wait > this.#maxRetryDelayMs) {
          throw new TmdbUnavailableError(
            `TMDB rate limit for ${request}: asked to wait ${Math.ceil(wait / 1000)} s (429); try again later`,
            request,
            { status },
          );
        }
        if (wait !== undefined) this.#limiter.pauseFor(wait);
        lastReason = "rate limited (HTTP 429)";
        delayMs = wait ?? this.#backoff(attempt);
      } else if (status >= 500) {
        lastReason = `HTTP ${status}`;
        delayMs = this.#backoff(attempt);
      } else if (status < 200 || status >= 300) {
        const detail = statusMessage(safeJson(text)) ?? `HTTP ${status}`;
        throw new TmdbResponseError(this.#redact(`TMDB refused ${request} (HTTP ${status}): ${detail}`), request, { status });
      }
      if (delayMs !== undefined) {
        lastCause = undefined;
        await this.#beforeRetry(request, attempt, delayMs, lastReason, signal);
        continue;
      }

      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        // A truncated body is usually a transient proxy hiccup: worth one more try, not five.
        if (malformedSeen) {
          throw new TmdbResponseError(`TMDB sent malformed JSON for ${request} (twice)`, request, { status, cause: error });
        }
        malformedSeen = true;
        lastReason = "malformed JSON";
        lastCause = error;
        await this.#beforeRetry(request, attempt, 0, lastReason, signal);
        continue;
      }
      try {
        return parse(body);
      } catch (error) {
        if (!(error instanceof TmdbShapeError)) throw error;
        throw new TmdbResponseError(`unexpected TMDB response for ${request}: ${error.message}`, request, {
          status,
          cause: error,
        });
      }
    }
    throw new TmdbUnavailableError(
      this.#redact(`TMDB request ${request} failed after ${this.#maxAttempts} attempts: ${lastReason}`),
      request,
      { cause: lastCause },
    );
  }

  /** Announces and waits out the delay before the next attempt; nothing to wait for after the last one. */
  async #beforeRetry(request: string, attempt: number, delayMs: number, reason: string, signal?: AbortSignal): Promise<void> {
    if (attempt >= this.#maxAttempts) return;
    this.#onRetry?.({ request, attempt, maxAttempts: this.#maxAttempts, delayMs, reason });
    if (delayMs > 0) await sleep(delayMs, undefined, { signal });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
