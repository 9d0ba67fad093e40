// LLM chat client (Node only): Groq through groq-sdk, or any OpenAI-compatible server
// (Ollama, llama.cpp, vLLM) through LLM_BASE_URL. Options default from the environment,
// every failure surfaces as one LlmError subclass, and the key never reaches a log or error.
//
// Retries: groq-sdk retries 408/409/429/5xx itself and honours retry-after(-ms), but not
// Groq's x-ratelimit-reset-* headers, and it would sleep for whatever retry-after says
// (an hour, on a spent daily quota). We therefore set its maxRetries to 0 and retry here,
// once per layer, with a cap on how long we are willing to wait.
//
// Deadlines: groq-sdk's `timeout` stops at the response headers; a server that then drips the
// body would hold a call for ever. Each attempt therefore runs under our own AbortSignal, which
// fetch also applies to the body read, so LLM_TIMEOUT_MS bounds connect, headers and body alike.
// An optional overall budget (totalBudgetMs) bounds a whole chat() call, retries and waits included.
import Groq from "groq-sdk";
import { numberSetting, setting } from "../shared/config.ts";
import {
  LlmAuthError,
  LlmConfigError,
  LlmConnectionError,
  LlmError,
  LlmRateLimitError,
  LlmRequestError,
  LlmServerError,
  LlmTimeoutError,
  redact,
  redactOutput,
  stripControlChars,
} from "../../lib/llm-errors.ts";
import type { ChatCallOptions, ChatMessage, ChatRequest, ChatResult, LlmClient, StructuredOutput } from "../../lib/llm-types.ts";
import { isReasoningModel, structuredOutputFor } from "../../lib/llm-requests.ts";
import { RateLimiter, formatWait, systemClock, type Clock, type RateLimits } from "./pacing.ts";

export type { ChatCallOptions, ChatMessage, ChatRequest, ChatResult, ChatUsage, LlmClient, ResponseFormat, StructuredOutput } from "../../lib/llm-types.ts";

export const DEFAULT_MODEL = "openai/gpt-oss-20b";
/** LLM_TIMEOUT_MS when unset: one request, connect to last body byte. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const GROQ_BASE_URL = "https://api.groq.com";

/**
 * Groq free-tier limits per model (console.groq.com/docs/rate-limits, 2026). Applied by default
 * only when talking to Groq itself; a local server has no quota.
 */
export const GROQ_FREE_TIER: Record<string, Required<RateLimits>> = {
  "openai/gpt-oss-20b": { requestsPerMinute: 30, requestsPerDay: 1000, tokensPerMinute: 8000, tokensPerDay: 200_000 },
  "openai/gpt-oss-120b": { requestsPerMinute: 30, requestsPerDay: 1000, tokensPerMinute: 8000, tokensPerDay: 200_000 },
  "llama-3.1-8b-instant": { requestsPerMinute: 30, requestsPerDay: 14_400, tokensPerMinute: 6000, tokensPerDay: 500_000 },
  "llama-3.3-70b-versatile": { requestsPerMinute: 30, requestsPerDay: 1000, tokensPerMinute: 12_000, tokensPerDay: 100_000 },
};
const GROQ_UNKNOWN_MODEL: RateLimits = { requestsPerMinute: 30, requestsPerDay: 1000 };

// One definition for Node and the page (lib/llm-requests.ts).
export { isReasoningModel, structuredOutputFor } from "../../lib/llm-requests.ts";

export interface Endpoint {
  /** What groq-sdk is given; it appends /openai/v1/... to this. */
  sdkBaseURL: string;
  /** For non-Groq servers: rewrite `${from}` to `${to}` in every request URL. */
  rewrite: { from: string; to: string } | null;
  /** True for api.groq.com: a real key is required and free-tier limits apply. */
  isGroq: boolean;
  /** Host and path for notices (never carries credentials). */
  label: string;
  /**
   * The normalised base URL requests go to, ending in the API version (e.g.
   * https://api.groq.com/openai/v1, http://localhost:11434/v1): the endpoint part of cache keys.
   */
  url: string;
}

/**
 * Maps LLM_BASE_URL onto what groq-sdk needs. groq-sdk prefixes every path with /openai/v1;
 * OpenAI-compatible servers expect `${base}/chat/completions` with a base like http://host/v1.
 * - unset: Groq.
 * - ending in /openai/v1 (Groq's own OpenAI base, or a Groq-shaped proxy): used as is.
 * - anything else: groq-sdk's `${base}/openai/v1/chat/completions` is rewritten to
 *   `${base}/chat/completions`. A bare origin gets /v1, the convention of Ollama, llama.cpp, vLLM.
 */
export function resolveEndpoint(baseUrl: string | undefined): Endpoint {
  if (!baseUrl) return { sdkBaseURL: GROQ_BASE_URL, rewrite: null, isGroq: true, label: "api.groq.com", url: `${GROQ_BASE_URL}/openai/v1` };
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new LlmConfigError(
      `LLM_BASE_URL is not a URL ("${baseUrl}"); use e.g. http://localhost:11434/v1 for Ollama or leave it unset for Groq`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new LlmConfigError(`LLM_BASE_URL must be http(s), got ${url.protocol} in "${baseUrl}"`);
  }
  if (url.username || url.password) {
    throw new LlmConfigError("LLM_BASE_URL must not carry credentials; put the key in GROQ_API_KEY");
  }
  const isGroq = url.hostname === "api.groq.com";
  let base = url.pathname.replace(/\/+$/, "");
  const label = `${url.host}${base}`;
  // url.origin lower-cases the host and drops a default port: equal servers give equal URLs.
  if (base.endsWith("/openai/v1")) {
    return { sdkBaseURL: url.origin + base.slice(0, -"/openai/v1".length), rewrite: null, isGroq, label, url: url.origin + base };
  }
  if (isGroq) return { sdkBaseURL: url.origin, rewrite: null, isGroq, label, url: `${url.origin}/openai/v1` };
  if (base === "") base = "/v1";
  const target = url.origin + base;
  return {
    sdkBaseURL: target,
    rewrite: { from: `${target}/openai/v1/`, to: `${target}/` },
    isGroq: false,
    label: `${url.host}${base}`,
    url: target,
  };
}

export interface LlmClientOptions {
  /** Default GROQ_API_KEY. */
  apiKey?: string;
  /** Default LLM_MODEL, else openai/gpt-oss-20b. */
  model?: string;
  /** Default LLM_BASE_URL, else Groq. */
  baseURL?: string;
  /** Per request, connect to last body byte; default LLM_TIMEOUT_MS or 30 s. */
  timeoutMs?: number;
  /**
   * Longest a whole chat() call may take, retries, server waits and pacing included; default
   * unbounded (batch jobs wait out rate limits). Interactive callers pass LLM_TIMEOUT_MS plus a
   * small margin, so a 429 asking for a minute fails at once and they fall back.
   */
  totalBudgetMs?: number;
  /** Retries on 408/409/429/5xx; default LLM_MAX_RETRIES or 2. */
  maxRetries?: number;
  /** A server asking us to wait longer than this fails fast with LlmRateLimitError; default 65 s. */
  maxRetryWaitMs?: number;
  /** Defaults: LLM_REQUESTS_PER_MINUTE / _PER_DAY, LLM_TOKENS_PER_MINUTE / _PER_DAY, else Groq's free tier for the model. */
  limits?: RateLimits;
  /** JSON schema or JSON mode; default LLM_STRUCTURED_OUTPUT, else by model name. */
  structuredOutput?: StructuredOutput;
  clock?: Clock;
  /** One line per event; default stderr. */
  log?: (line: string) => void;
}

/** Per-call options of GroqChatClient; totalBudgetMs overrides LlmClientOptions.totalBudgetMs for this call. */
export type GroqChatCallOptions = ChatCallOptions;

const stderrLog = (line: string) => process.stderr.write(`${line}\n`);

/** Longest model name we pass on: it is printed, cached and published. */
const MAX_MODEL_NAME_CHARS = 200;

/** Parses Groq's reset durations ("2m59.56s", "7.66s", "120ms", "1h2m") or plain seconds. */
export function parseDuration(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let matched = "";
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(part[1]) * units[part[2]];
    matched += part[0];
  }
  return matched === text && matched !== "" ? total : undefined;
}

type HeaderSource = { get(name: string): string | null } | undefined;

/** How long a 429/5xx response asks us to wait, from the most specific header present. */
export function retryDelayFromHeaders(headers: HeaderSource, now: number): number | undefined {
  if (!headers) return undefined;
  const retryAfterMs = Number(headers.get("retry-after-ms") ?? NaN);
  if (Number.isFinite(retryAfterMs) && retryAfterMs >= 0) return retryAfterMs;
  const retryAfter = headers.get("retry-after");
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const resetRequests = parseDuration(headers.get("x-ratelimit-reset-requests"));
  const resetTokens = parseDuration(headers.get("x-ratelimit-reset-tokens"));
  // Wait for the budget that is actually empty; if the server does not say which, for both.
  if (headers.get("x-ratelimit-remaining-requests") === "0" && resetRequests !== undefined) return resetRequests;
  if (headers.get("x-ratelimit-remaining-tokens") !== null && resetTokens !== undefined) return resetTokens;
  const known = [resetRequests, resetTokens].filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

function backoff(attempt: number): number {
  return Math.min(500 * 2 ** attempt, 8000);
}

function estimateTokens(messages: readonly ChatMessage[]): number {
  return Math.ceil(messages.reduce((sum, m) => sum + m.content.length + 8, 0) / 4);
}

function limitsFromEnv(): RateLimits {
  const read = (name: string) => (setting(name) === undefined ? undefined : numberSetting(name, 0));
  return {
    requestsPerMinute: read("LLM_REQUESTS_PER_MINUTE"),
    requestsPerDay: read("LLM_REQUESTS_PER_DAY"),
    tokensPerMinute: read("LLM_TOKENS_PER_MINUTE"),
    tokensPerDay: read("LLM_TOKENS_PER_DAY"),
  };
}

function resolveLimits(model: string, endpoint: Endpoint, explicit: RateLimits | undefined): RateLimits {
  const base: RateLimits = endpoint.isGroq ? (GROQ_FREE_TIER[model] ?? GROQ_UNKNOWN_MODEL) : {};
  const fromEnv = limitsFromEnv();
  const merged: RateLimits = { ...base };
  for (const source of [fromEnv, explicit ?? {}]) {
    for (const [key, value] of Object.entries(source) as [keyof RateLimits, number | undefined][]) {
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged;
}

function structuredOutputSetting(model: string): StructuredOutput {
  const raw = setting("LLM_STRUCTURED_OUTPUT");
  if (raw === undefined) return structuredOutputFor(model);
  if (raw === "json_schema" || raw === "json_object") return raw;
  throw new LlmConfigError(`LLM_STRUCTURED_OUTPUT must be json_schema or json_object, got "${raw}"`);
}

export class GroqChatClient implements LlmClient {
  readonly model: string;
  readonly structuredOutput: StructuredOutput;
  readonly endpoint: Endpoint;
  readonly limiter: RateLimiter;
  private readonly sdk: Groq;
  private readonly secret: string;
  private readonly timeoutMs: number;
  private readonly totalBudgetMs: number;
  private readonly maxRetries: number;
  private readonly maxRetryWaitMs: number;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  /** From the last response's headers: Groq's own view of our remaining budget. */
  private server = { requestsBlockedUntil: 0, tokensRemaining: Infinity, tokensResetAt: 0 };

  constructor(options: LlmClientOptions = {}) {
    this.model = options.model ?? setting("LLM_MODEL") ?? DEFAULT_MODEL;
    this.endpoint = resolveEndpoint(options.baseURL ?? setting("LLM_BASE_URL"));
    const key = options.apiKey ?? setting("GROQ_API_KEY");
    if (!key && this.endpoint.isGroq) {
      throw new LlmConfigError("GROQ_API_KEY is not set; create a key at console.groq.com/keys or set LLM_BASE_URL to a local server");
    }
    // Local servers ignore the Authorization header, but groq-sdk insists on a key.
    this.secret = key ?? "local-server-needs-no-key";
    this.structuredOutput = options.structuredOutput ?? structuredOutputSetting(this.model);
    this.timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? numberSetting("LLM_TIMEOUT_MS", DEFAULT_TIMEOUT_MS)));
    this.totalBudgetMs = options.totalBudgetMs === undefined ? Infinity : Math.max(1, Math.round(options.totalBudgetMs));
    this.maxRetries = options.maxRetries ?? numberSetting("LLM_MAX_RETRIES", 2);
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 65_000;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? stderrLog;
    this.limiter = new RateLimiter(resolveLimits(this.model, this.endpoint, options.limits), this.clock);
    const rewrite = this.endpoint.rewrite;
    this.sdk = new Groq({
      apiKey: this.secret,
      baseURL: this.endpoint.sdkBaseURL,
      maxRetries: 0,
      timeout: this.timeoutMs,
      // groq-sdk's own logger would print request details at debug level; we log our own lines.
      logLevel: "off",
      fetch: rewrite
        ? (input, init) => {
            const url = String(input instanceof Request ? input.url : input);
            return fetch(url.startsWith(rewrite.from) ? rewrite.to + url.slice(rewrite.from.length) : url, init);
          }
        : undefined,
    });
  }

  async chat(request: ChatRequest, options: GroqChatCallOptions = {}): Promise<ChatResult> {
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? this.timeoutMs));
    const budgetMs = options.totalBudgetMs === undefined ? this.totalBudgetMs : Math.max(1, Math.round(options.totalBudgetMs));
    // On the injected clock, like every other wait here; Infinity when there is no budget.
    const deadline = this.clock.now() + budgetMs;
    const estimate = estimateTokens(request.messages) + (request.expectedCompletionTokens ?? 600);
    for (let attempt = 0; ; attempt++) {
      await this.respectServerBudget(estimate, deadline, budgetMs);
      const reservation = await this.limiter.acquire(estimate);
      const started = this.clock.now();
      const left = deadline - started;
      if (left <= 0) throw new LlmTimeoutError(`no answer from ${this.endpoint.label} within the call's budget of ${budgetMs} ms`);
      const attemptMs = Math.max(1, Math.min(timeoutMs, Math.round(left)));
      const limit =
        attemptMs < timeoutMs
          ? `${attemptMs} ms, what was left of the call's budget of ${budgetMs} ms`
          : `${attemptMs} ms (LLM_TIMEOUT_MS)`;
      // Our own deadline for the whole attempt: fetch applies the signal to the body read too,
      // which groq-sdk's own timeout (cleared once the headers arrive) does not cover.
      const deadlineSignal = new AbortController();
      const timer = setTimeout(() => deadlineSignal.abort(), attemptMs);
      try {
        const { data, response } = await this.sdk.chat.completions
          .create(
            {
              model: this.model,
              messages: request.messages,
              temperature: request.temperature ?? 0.2,
              max_completion_tokens: request.maxTokens,
              response_format: request.responseFormat,
              // gpt-oss reasons before answering; "low" keeps a rerank under a second and within TPM.
              ...(isReasoningModel(this.model) ? { reasoning_effort: "low" as const } : {}),
            },
            { timeout: attemptMs, maxRetries: 0, signal: deadlineSignal.signal },
          )
          .withResponse();
        const ms = this.clock.now() - started;
        this.noteServerBudget(response.headers);
        const usage = data.usage
          ? {
              prompt_tokens: data.usage.prompt_tokens ?? 0,
              completion_tokens: data.usage.completion_tokens ?? 0,
              total_tokens: data.usage.total_tokens ?? 0,
            }
          : null;
        if (usage) reservation.settle(usage.total_tokens);
        const model = this.modelName(data.model);
        this.log(
          `[llm] ${model} ${ms} ms, tokens prompt ${usage?.prompt_tokens ?? "?"} completion ${usage?.completion_tokens ?? "?"} total ${usage?.total_tokens ?? "?"}`,
        );
        const choice = data.choices?.[0];
        // A hostile or buggy server may echo the Authorization header into the answer; scrub it
        // here, before anything validates, caches, logs or returns the text.
        const content = redactOutput(choice?.message?.content ?? "", [this.secret]);
        const finishReason = choice?.finish_reason ? stripControlChars(redact(choice.finish_reason, [this.secret])) : null;
        return { content, model, usage, ms, finishReason };
      } catch (error) {
        const failure = deadlineSignal.signal.aborted
          ? new LlmTimeoutError(`no complete answer from ${this.endpoint.label} within ${limit}; raise LLM_TIMEOUT_MS or check the server`)
          : this.classify(error, limit);
        const retryable = failure instanceof LlmRateLimitError || failure instanceof LlmServerError;
        if (!retryable || attempt >= maxRetries) throw failure;
        const headers = error instanceof Groq.APIError ? error.headers : undefined;
        const wait = retryDelayFromHeaders(headers, this.clock.now()) ?? backoff(attempt);
        if (wait > this.maxRetryWaitMs) {
          throw new LlmRateLimitError(`${failure.message}; the server asks to wait ${formatWait(wait)}, longer than we wait in one call`, {
            status: failure.status,
            retryAfterMs: wait,
            cause: failure,
          });
        }
        // Sleeping past the budget only to fail then helps nobody: fail now, so the caller falls back.
        if (this.clock.now() + wait >= deadline) {
          const why = `${failure.message}; a retry in ${formatWait(wait)} would pass the call's budget of ${budgetMs} ms`;
          if (failure instanceof LlmServerError) throw new LlmServerError(why, { status: failure.status, cause: failure });
          throw new LlmRateLimitError(why, { status: failure.status, retryAfterMs: wait, cause: failure });
        }
        this.log(`[llm] ${failure.status ?? failure.kind} from ${this.endpoint.label}, retry ${attempt + 1}/${maxRetries} in ${formatWait(wait)}`);
        await this.clock.sleep(wait);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** The model name the server reports, safe to print, cache and publish; ours when it sends none. */
  private modelName(reported: unknown): string {
    if (typeof reported !== "string") return this.model;
    const name = stripControlChars(redact(reported, [this.secret])).replace(/\s+/g, " ").trim().slice(0, MAX_MODEL_NAME_CHARS);
    return name || this.model;
  }

  /**
   * Pauses the limiter for what the server said is spent, then fails at once when the wait
   * before the next request is longer than we accept (maxRetryWaitMs, or the call's budget).
   */
  private async respectServerBudget(estimate: number, deadline: number, budgetMs: number): Promise<void> {
    const now = this.clock.now();
    const blocked = this.server.requestsBlockedUntil - now;
    if (blocked > this.maxRetryWaitMs) {
      throw new LlmRateLimitError(`request quota spent according to ${this.endpoint.label}; it resets in ${formatWait(blocked)}`, {
        retryAfterMs: blocked,
      });
    }
    if (blocked > 0) this.limiter.pauseUntil(this.server.requestsBlockedUntil);
    if (estimate > this.server.tokensRemaining && this.server.tokensResetAt > now) this.limiter.pauseUntil(this.server.tokensResetAt);
    if (deadline === Infinity) return;
    // Callers queued ahead can only lengthen this wait, so a wait already too long is final.
    const wait = this.limiter.delayFor(estimate);
    if (now + wait >= deadline) {
      throw new LlmRateLimitError(
        `the next request to ${this.endpoint.label} may start in ${formatWait(wait)} (rate limits), after the call's budget of ${budgetMs} ms`,
        { retryAfterMs: wait },
      );
    }
  }

  private noteServerBudget(headers: Headers): void {
    const now = this.clock.now();
    const remainingRequests = headers.get("x-ratelimit-remaining-requests");
    const resetRequests = parseDuration(headers.get("x-ratelimit-reset-requests"));
    this.server.requestsBlockedUntil = remainingRequests === "0" && resetRequests !== undefined ? now + resetRequests : 0;
    const remainingTokens = Number(headers.get("x-ratelimit-remaining-tokens") ?? NaN);
    const resetTokens = parseDuration(headers.get("x-ratelimit-reset-tokens"));
    this.server.tokensRemaining = Number.isFinite(remainingTokens) ? remainingTokens : Infinity;
    this.server.tokensResetAt = resetTokens !== undefined ? now + resetTokens : 0;
  }

  /** Turns whatever groq-sdk or fetch threw into one of our errors, with the key scrubbed. */
  private classify(error: unknown, limit: string): LlmError {
    if (error instanceof LlmError) return error;
    const where = this.endpoint.label;
    // Server text is printed: no key, no terminal escapes.
    const text = (message: string) => stripControlChars(redact(message, [this.secret]));
    const detail = text(serverMessage(error));
    if (error instanceof Groq.APIConnectionTimeoutError) {
      return new LlmTimeoutError(`no answer from ${where} within ${limit}; raise LLM_TIMEOUT_MS or check the server`);
    }
    if (error instanceof Groq.APIConnectionError) {
      const cause = error.cause instanceof Error ? `: ${text(error.cause.message)}` : "";
      return new LlmConnectionError(`cannot reach ${where}${cause}; check LLM_BASE_URL or the network`);
    }
    if (error instanceof Groq.APIError) {
      const status = error.status;
      if (status === 401 || status === 403) {
        return new LlmAuthError(`${where} refused the key (HTTP ${status}: ${detail}); check GROQ_API_KEY and access to model ${this.model}`, { status });
      }
      if (status === 429) return new LlmRateLimitError(`rate limited by ${where} (${detail})`, { status });
      if (status !== undefined && (status >= 500 || status === 408 || status === 409)) {
        return new LlmServerError(`${where} failed (HTTP ${status}: ${detail})`, { status });
      }
      return new LlmRequestError(`${where} refused the request for model ${this.model} (HTTP ${status}: ${detail})`, { status });
    }
    return new LlmConnectionError(`LLM call to ${where} failed: ${detail}`);
  }
}

/** The server's own error message (Groq and OpenAI wrap it in {error: {message}}), without groq-sdk's status prefix. */
function serverMessage(error: unknown): string {
  if (error instanceof Groq.APIError) {
    const body = error.error as { error?: { message?: unknown }; message?: unknown } | undefined;
    const message = body?.error?.message ?? body?.message;
    if (typeof message === "string" && message) return message;
    return error.message.replace(/^\d{3}\s+/, "");
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The normalised base URL a client sends to, for cache keys: answers from one server must not
 * come back for another that serves a model of the same name. Undefined for clients that do not
 * say (test doubles); never carries the key.
 */
export function endpointOf(client: LlmClient): string | undefined {
  return client instanceof GroqChatClient ? client.endpoint.url : undefined;
}

let noticeShown = false;

/**
 * The configured client, or null (with a one-line notice) when neither GROQ_API_KEY nor
 * LLM_BASE_URL is set: callers then use the deterministic fallback ranker.
 */
export function createLlmClient(options: LlmClientOptions = {}): LlmClient | null {
  const key = options.apiKey ?? setting("GROQ_API_KEY");
  const baseURL = options.baseURL ?? setting("LLM_BASE_URL");
  if (!key && (!baseURL || resolveEndpoint(baseURL).isGroq)) {
    // Once per process on stderr; every time for a caller that collects its own log.
    if (options.log || !noticeShown) {
      (options.log ?? stderrLog)("[llm] GROQ_API_KEY and LLM_BASE_URL are not set: picks use the deterministic fallback ranker (no LLM reasons)");
      if (!options.log) noticeShown = true;
    }
    return null;
  }
  return new GroqChatClient(options);
}
