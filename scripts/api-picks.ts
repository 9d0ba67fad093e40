// POST /api/picks: live LLM picks for any selection, answered by the self-hosted server with its
// own key (MARQUEE_LIVE_LLM=1 and GROQ_API_KEY or LLM_BASE_URL). GET /api/picks tells the page
// whether the endpoint is live, so it can use it before asking the visitor for a key.
//
// The server computes the candidates itself from its catalogue (loaders/engine.ts): the client
// sends only ids, weights and filters, never candidate text. Each client address gets a burst
// of requests (then 429 with Retry-After), the server a daily token budget (then the
// deterministic ranker, source "fallback"), every selection one deadline for all its LLM calls.
// Answers are cached (the rerank's disk cache, and the last answers in memory). The key is held
// by the LLM client only: no response, log line or cache file carries it.
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { FilterError, type Filters } from "../lib/filters.ts";
import { LlmRateLimitError, redact, stripControlChars } from "../lib/llm-errors.ts";
import type { ChatCallOptions, ChatRequest, ChatResult, LlmClient } from "../lib/llm-types.ts";
import { SeriesLookupError } from "../lib/series-lookup.ts";
import { CATALOG_FILES } from "../loaders/catalog/store.ts";
import { openEngine, RecommendError, type Engine, type Recommendation } from "../loaders/engine.ts";
import { createLlmClient, DEFAULT_TIMEOUT_MS } from "../loaders/llm/client.ts";
import type { RerankOptions } from "../loaders/llm/rerank.ts";
import { booleanSetting, numberSetting, setting } from "../loaders/shared/config.ts";

export const API_PICKS_PATH = "/api/picks";
/** Largest request body accepted: a selection is a few hundred bytes. */
export const MAX_BODY_BYTES = 8 * 1024;
export const MAX_SERIES = 10;
export const MAX_LIMIT = 30;
/** Requests one client address may make at once before waiting (and how fast the allowance refills). */
export const DEFAULT_BURST = 10;
export const DEFAULT_REFILL_PER_MINUTE = 10;
/**
 * Tokens the endpoint may spend per UTC day. About 7k tokens a selection (proposal + rerank on
 * gpt-oss-20b, measured): about 14 fresh selections, half of Groq's free daily 200k, leaving
 * the rest for the build's precomputed picks.
 */
export const DEFAULT_TOKENS_PER_DAY = 100_000;
/** A slow body (one byte a second) is cut off after this long. */
export const BODY_TIMEOUT_MS = 5_000;
const MEMORY_CACHE_ENTRIES = 500;

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

export interface PicksRequest {
  series: number[];
  weights?: number[];
  filters?: Filters;
  limit?: number;
}

// ---------------------------------------------------------------------------------------
// Body validation: one message naming the field, as the 400 says it.

const FILTER_FIELDS: Record<keyof Filters, "strings" | "mode" | "number" | "integer" | "boolean" | "ids"> = {
  genres: "strings",
  genreMode: "mode",
  languages: "strings",
  minPopularity: "number",
  minVotes: "number",
  yearFrom: "integer",
  yearTo: "integer",
  ageAppropriateOnly: "boolean",
  excludeIds: "ids",
};

const bad = (message: string) => new ApiRequestError(400, message);
const isPositiveId = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

function validFilters(value: unknown): Filters {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw bad("filters must be an object");
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const kind = FILTER_FIELDS[key as keyof Filters];
    if (!kind) throw bad(`filters.${key} is not a filter; use ${Object.keys(FILTER_FIELDS).join(", ")}`);
    const field = `filters.${key}`;
    const ok =
      kind === "strings" ? Array.isArray(v) && v.length <= 50 && v.every((s) => typeof s === "string" && s.length <= 100)
      : kind === "mode" ? v === "any" || v === "all"
      : kind === "number" ? typeof v === "number" && Number.isFinite(v) && v >= 0
      : kind === "integer" ? typeof v === "number" && Number.isInteger(v)
      : kind === "boolean" ? typeof v === "boolean"
      : Array.isArray(v) && v.length <= 1000 && v.every(isPositiveId);
    if (!ok) {
      const wanted = { strings: "a list of names", mode: '"any" or "all"', number: "a number of at least 0", integer: "a whole number", boolean: "true or false", ids: "a list of positive whole numbers" }[kind];
      throw bad(`${field} must be ${wanted}`);
    }
    out[key] = v;
  }
  return out as Filters;
}

/** The request body as a PicksRequest, or an ApiRequestError naming the first bad field. */
export function parsePicksRequest(text: string): PicksRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw bad("the body must be JSON, e.g. {\"series\":[1396]}");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw bad("the body must be a JSON object");
  const known = new Set(["series", "weights", "filters", "limit"]);
  for (const key of Object.keys(body)) if (!known.has(key)) throw bad(`${key} is not a field; use series, weights, filters, limit`);
  const { series, weights, filters, limit } = body as Record<string, unknown>;
  if (!Array.isArray(series) || series.length === 0 || series.length > MAX_SERIES || !series.every(isPositiveId)) {
    throw bad(`series must be a list of 1 to ${MAX_SERIES} TMDB series ids (positive whole numbers)`);
  }
  const out: PicksRequest = { series };
  if (weights !== undefined) {
    if (!Array.isArray(weights) || weights.length !== series.length || !weights.every((w) => typeof w === "number" && Number.isFinite(w) && w > 0 && w <= 100)) {
      throw bad(`weights must be a list of ${series.length} numbers above 0 (one per series)`);
    }
    out.weights = weights;
  }
  if (filters !== undefined) out.filters = validFilters(filters);
  if (limit !== undefined) {
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw bad(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    out.limit = limit;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Limits

/** A token bucket per client address: `burst` at once, refilled at `perMinute`. */
export class BurstLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when the request may go ahead (and is counted), else the milliseconds until it may. */
  take(client: string): number {
    const now = this.now();
    const refill = this.perMinute / 60_000;
    const bucket = this.buckets.get(client) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * refill);
    bucket.at = now;
    this.buckets.set(client, bucket);
    // Full buckets say nothing: forget them, so the map stays as small as the busy clients.
    if (this.buckets.size > 10_000) for (const [key, b] of this.buckets) if (b.tokens >= this.burst) this.buckets.delete(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / refill);
  }
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The server's LLM client with a daily token budget: counts what each answer used (the
 * server's usage figures, else an estimate) and refuses once the day's budget is spent, which
 * the rerank turns into the deterministic fallback. Nothing is sent once refused.
 */
export class BudgetedClient implements LlmClient {
  private day: string;
  spent = 0;
  calls = 0;
  constructor(
    private readonly inner: LlmClient,
    readonly tokensPerDay: number,
    private readonly now: () => number = Date.now,
  ) {
    this.day = utcDay(now());
  }
  get model() {
    return this.inner.model;
  }
  get structuredOutput() {
    return this.inner.structuredOutput;
  }
  remaining(): number {
    const today = utcDay(this.now());
    if (today !== this.day) {
      this.day = today;
      this.spent = 0;
    }
    return Math.max(0, this.tokensPerDay - this.spent);
  }
  async chat(request: ChatRequest, options?: ChatCallOptions): Promise<ChatResult> {
    if (this.remaining() <= 0) throw new LlmRateLimitError(`the server's daily LLM budget of ${this.tokensPerDay} tokens is spent (MARQUEE_LIVE_TOKENS_PER_DAY)`);
    this.calls++;
    const result = await this.inner.chat(request, options);
    const estimate = Math.ceil(request.messages.reduce((n, m) => n + m.content.length, 0) / 4) + Math.ceil(result.content.length / 4);
    this.spent += result.usage?.total_tokens ?? estimate;
    return result;
  }
}

// ---------------------------------------------------------------------------------------
// The handler

export interface PicksAnswer {
  source: "llm" | "fallback";
  model: string | null;
  picks: { id: number; title: string; year: number | null; reason: string; because?: number[] }[];
  /** One line for the page when the fallback answered (never the provider's raw text). */
  notice?: string;
}

export interface ApiPicksOptions {
  /** False: GET says not live, POST answers 404. */
  enabled: boolean;
  /** The server's LLM client (its key inside); null when none is configured. */
  client: LlmClient | null;
  /** Opens the engine with these rerank options (default: the active catalogue). Called once, on first use. */
  openEngine?: (rerank: RerankOptions) => Promise<Engine>;
  tokensPerDay?: number;
  burst?: number;
  refillPerMinute?: number;
  /** Whole-exchange deadline of one selection's LLM calls; default LLM_TIMEOUT_MS + 2 s. */
  deadlineMs?: number;
  /** Rerank cache root; default MARQUEE_CACHE_DIR (undefined), null: none. */
  cacheDir?: string | null;
  now?: () => number;
  log?: (line: string) => void;
}

export type ApiPicksHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function isApiPicksPath(url: string | undefined): boolean {
  return (url ?? "").split("?")[0] === API_PICKS_PATH;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    // Answers depend on the body and the day's budget: no cache may keep them.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new ApiRequestError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      reject(new ApiRequestError(408, `the body did not arrive within ${BODY_TIMEOUT_MS} ms`));
      req.destroy();
    }, BODY_TIMEOUT_MS);
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        clearTimeout(timer);
        reject(new ApiRequestError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** What the page may say when the fallback answered: by kind, never the provider's own text. */
function noticeFor(recommendation: Recommendation): string {
  const kind = recommendation.fallbackReason?.split(":")[0];
  if (recommendation.fallbackReason?.includes("daily LLM budget")) return "Today's LLM budget on this server is spent; these picks come from the built-in ranker.";
  if (kind === "timeout") return "The LLM took too long; these picks come from the built-in ranker.";
  if (kind === "rate_limit") return "The LLM is busy; these picks come from the built-in ranker.";
  return "The LLM is unavailable; these picks come from the built-in ranker.";
}

function canonicalKey(request: PicksRequest): string {
  const filters = Object.fromEntries(Object.entries(request.filters ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify([request.series, request.weights ?? null, filters, request.limit ?? null]);
}

export function createApiPicksHandler(options: ApiPicksOptions): ApiPicksHandler {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.error(line));
  const live = options.enabled && options.client !== null;
  const client = live ? new BudgetedClient(options.client!, options.tokensPerDay ?? DEFAULT_TOKENS_PER_DAY, now) : null;
  const limiter = new BurstLimiter(options.burst ?? DEFAULT_BURST, options.refillPerMinute ?? DEFAULT_REFILL_PER_MINUTE, now);
  const deadlineMs = options.deadlineMs ?? numberSetting("LLM_TIMEOUT_MS", DEFAULT_TIMEOUT_MS) + 2000;
  const rerankOptions: RerankOptions = {
    client,
    deadlineMs,
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    log: (line) => log(`api/picks: ${line}`),
  };
  const open = options.openEngine ?? ((rerank: RerankOptions) => openEngine({ rerank, log }));
  let opened: { engine: Promise<Engine>; stamp: Promise<number | null> } | undefined;
  const answers = new Map<string, PicksAnswer>();

  /**
   * The engine on the catalogue as it is now. A rebuild replaces the catalogue in place
   * (meta.json is renamed last, loaders/catalog/store.ts), so a newer meta.json means the next
   * request opens the new one and forgets the answers given from the old. A failed open
   * (catalogue missing, vectors stale) is retried by the next request.
   */
  async function currentEngine(): Promise<Engine> {
    const held = opened;
    if (held) {
      const engine = await held.engine;
      if ((await catalogStamp(engine.dir)) === (await held.stamp)) return engine;
      if (opened === held) {
        opened = undefined;
        answers.clear();
        log(`api/picks: the catalogue in ${engine.dir} changed; opening it again`);
        // Requests still ranking on the old engine finish first.
        setTimeout(() => engine.close(), deadlineMs).unref();
      }
    }
    if (!opened) {
      const engine = open(rerankOptions);
      const mine = { engine, stamp: engine.then((e) => catalogStamp(e.dir)) };
      mine.stamp.catch(() => undefined);
      engine.catch(() => {
        if (opened === mine) opened = undefined;
      });
      opened = mine;
    }
    return opened.engine;
  }

  async function answer(request: PicksRequest): Promise<PicksAnswer> {
    // The engine first: a replaced catalogue empties the answers kept from the old one.
    const engine = await currentEngine();
    const key = canonicalKey(request);
    const cached = answers.get(key);
    if (cached) return cached;
    const recommendation = await engine.recommend({ series: request.series, weights: request.weights, filters: request.filters, limit: request.limit });
    const result: PicksAnswer = {
      source: recommendation.source,
      model: recommendation.model,
      picks: recommendation.picks.map((p) => ({ id: p.id, title: p.title, year: p.year, reason: p.reason, ...(p.because ? { because: p.because } : {}) })),
      ...(recommendation.source === "fallback" ? { notice: noticeFor(recommendation) } : {}),
    };
    // Only LLM answers are kept: a fallback after a timeout should get another chance.
    if (result.source === "llm") {
      answers.set(key, result);
      if (answers.size > MEMORY_CACHE_ENTRIES) answers.delete(answers.keys().next().value!);
    }
    return result;
  }

  return async (req, res) => {
    if (req.method === "GET" || req.method === "HEAD") {
      return sendJson(res, 200, { live, ...(live ? { model: client!.model } : {}) });
    }
    if (req.method !== "POST") return sendJson(res, 405, { error: "use POST with a JSON body, or GET to ask whether live picks are on" }, { Allow: "GET, HEAD, POST" });
    if (!live) return sendJson(res, 404, { error: "live picks are off on this server (MARQUEE_LIVE_LLM=1 and an LLM key turn them on)" });
    const clientAddress = req.socket.remoteAddress ?? "unknown";
    const wait = limiter.take(clientAddress);
    if (wait > 0) {
      req.resume();
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      return sendJson(res, 429, { error: `too many requests; try again in ${seconds} s` }, { "Retry-After": String(seconds) });
    }
    try {
      const type = req.headers["content-type"] ?? "";
      if (!/^application\/json\b/i.test(type)) throw new ApiRequestError(415, "send the body as application/json");
      const request = parsePicksRequest(await readBody(req));
      const started = now();
      const result = await answer(request);
      log(`api/picks: ${request.series.length} series, ${result.source}, ${result.picks.length} picks, ${now() - started} ms, ${client!.remaining()} tokens left today`);
      sendJson(res, 200, result);
    } catch (error) {
      if (error instanceof ApiRequestError) return sendJson(res, error.status, { error: error.message }, error.headers);
      if (error instanceof SeriesLookupError || error instanceof FilterError || error instanceof RecommendError) {
        const field = error instanceof SeriesLookupError ? "series" : error instanceof FilterError ? "filters" : "request";
        return sendJson(res, 400, { error: `${field}: ${stripControlChars(error.message)}` });
      }
      // Whatever else failed is logged (without the key) and answered without detail.
      const secret = setting("GROQ_API_KEY");
      log(`api/picks: failed: ${stripControlChars(redact(error instanceof Error ? error.message : String(error), [secret]))}`);
      if (!res.headersSent) sendJson(res, 500, { error: "live picks failed on the server; try again, or use the page's own ranking" });
    }
  };
}

/** When the catalogue in `dir` was last written (its meta.json), or null when it has none. */
async function catalogStamp(dir: string): Promise<number | null> {
  return stat(path.join(dir, CATALOG_FILES.meta)).then(
    (info) => info.mtimeMs,
    () => null,
  );
}

/**
 * The handler the environment asks for: live when MARQUEE_LIVE_LLM=1 and an LLM is configured
 * (GROQ_API_KEY, or LLM_BASE_URL for a local server). Budget and limits from
 * MARQUEE_LIVE_TOKENS_PER_DAY, MARQUEE_LIVE_BURST, MARQUEE_LIVE_PER_MINUTE.
 */
export function apiPicksFromEnv(log: (line: string) => void = (line) => console.error(line)): ApiPicksHandler {
  const enabled = booleanSetting("MARQUEE_LIVE_LLM", false);
  const client = enabled ? createLlmClient({ log }) : null;
  if (enabled && !client) log("api/picks: MARQUEE_LIVE_LLM=1 but no LLM key is set; /api/picks stays off");
  return createApiPicksHandler({
    enabled,
    client,
    tokensPerDay: numberSetting("MARQUEE_LIVE_TOKENS_PER_DAY", DEFAULT_TOKENS_PER_DAY),
    burst: numberSetting("MARQUEE_LIVE_BURST", DEFAULT_BURST),
    refillPerMinute: numberSetting("MARQUEE_LIVE_PER_MINUTE", DEFAULT_REFILL_PER_MINUTE),
    log,
  });
}
