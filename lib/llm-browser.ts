// The LLM from the page, with the visitor's own key: an OpenAI-compatible chat client on
// fetch (Groq, or any base URL such as a local Ollama or llama.cpp server), for
// lib/llm-selection.ts, the flow Node runs too. Browser-safe; it runs in Node as well (tests).
// The key goes only to the provider's URL, is never stored here, and is scrubbed from anything
// the provider sends back.
import {
  LlmAuthError,
  LlmConfigError,
  LlmConnectionError,
  LlmError,
  LlmOutputError,
  LlmRateLimitError,
  LlmRequestError,
  LlmServerError,
  LlmTimeoutError,
  redact,
  redactOutput,
  stripControlChars,
} from "./llm-errors.ts";
import { structuredOutputFor } from "./llm-requests.ts";
import type { ChatCallOptions, ChatRequest, ChatResult, LlmClient, StructuredOutput } from "./llm-types.ts";

/** Groq's OpenAI-compatible API, which answers browsers (CORS) with the visitor's key. */
export const GROQ_OPENAI_BASE_URL = "https://api.groq.com/openai/v1";
/** One request from the page: short, because the deterministic ranking is already on screen. */
export const BROWSER_LLM_TIMEOUT_MS = 20_000;

export interface BrowserLlmSettings {
  /** OpenAI-compatible base URL ending in the API version, e.g. https://api.groq.com/openai/v1 or http://localhost:11434/v1. */
  baseUrl: string;
  /** The visitor's key; may be empty for a local server. */
  apiKey: string;
  model: string;
}

/** `${base}/chat/completions` for a base URL, or LlmConfigError saying what is wrong with it. */
export function chatCompletionsUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new LlmConfigError(`the base URL is not a URL ("${baseUrl}"); use e.g. ${GROQ_OPENAI_BASE_URL} or http://localhost:11434/v1`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new LlmConfigError(`the base URL must start with https:// (or http:// for a local server), got ${url.protocol}`);
  if (url.username || url.password) throw new LlmConfigError("the base URL must not carry a user name or password; put the key in the key field");
  const base = url.pathname.replace(/\/+$/, "") || "/v1";
  return `${url.origin}${base}/chat/completions`;
}

export interface FetchChatClientOptions extends BrowserLlmSettings {
  timeoutMs?: number;
  structuredOutput?: StructuredOutput;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
}

const MAX_MODEL_NAME_CHARS = 200;

/** An LlmClient over fetch: one attempt per call (no retries: the page falls back instead), under an AbortSignal deadline. */
export class FetchChatClient implements LlmClient {
  readonly model: string;
  readonly structuredOutput: StructuredOutput;
  readonly url: string;
  private readonly key: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: FetchChatClientOptions) {
    this.url = chatCompletionsUrl(options.baseUrl);
    this.model = options.model.trim();
    if (!this.model) throw new LlmConfigError("choose a model (e.g. openai/gpt-oss-20b on Groq, llama3.1:8b on Ollama)");
    this.key = options.apiKey.trim();
    this.structuredOutput = options.structuredOutput ?? structuredOutputFor(this.model);
    this.timeoutMs = options.timeoutMs ?? BROWSER_LLM_TIMEOUT_MS;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  private clean(text: string): string {
    return stripControlChars(redact(text, [this.key]));
  }

  async chat(request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatResult> {
    const ms = Math.max(1, Math.round(Math.min(this.timeoutMs, options.timeoutMs ?? Infinity, options.totalBudgetMs ?? Infinity)));
    const host = new URL(this.url).host;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    const started = performance.now();
    try {
      const response = await this.fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(this.key ? { authorization: `Bearer ${this.key}` } : {}) },
        body: JSON.stringify({
          model: this.model,
          messages: request.messages,
          ...(request.responseFormat ? { response_format: request.responseFormat } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
        }),
        signal: controller.signal,
        // No cookies, and no page address in a Referer, go to the provider.
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
      // The body is read under the same signal: a provider that drips its answer still stops at the deadline.
      const text = await response.text();
      if (!response.ok) throw this.statusError(response.status, text, host, response.headers.get("retry-after"));
      let data: { model?: unknown; choices?: { message?: { content?: unknown }; finish_reason?: unknown }[]; usage?: ChatResult["usage"] };
      try {
        data = JSON.parse(text);
      } catch {
        throw new LlmOutputError(`${host} did not answer with JSON`);
      }
      const content = data.choices?.[0]?.message?.content;
      if (typeof content !== "string") throw new LlmOutputError(`${host} sent no message content`);
      const reported = typeof data.model === "string" ? this.clean(data.model).replace(/\s+/g, " ").trim().slice(0, MAX_MODEL_NAME_CHARS) : "";
      const finish = data.choices?.[0]?.finish_reason;
      return {
        content: redactOutput(content, [this.key]),
        model: reported || this.model,
        usage: data.usage ?? null,
        ms: performance.now() - started,
        finishReason: typeof finish === "string" ? finish : null,
      };
    } catch (error) {
      if (error instanceof LlmError) throw error;
      if (controller.signal.aborted) throw new LlmTimeoutError(`no answer from ${host} within ${ms} ms`);
      // fetch says only "Failed to fetch" for a refused connection, a CORS refusal or a CSP block.
      throw new LlmConnectionError(`cannot reach ${host} (offline, refused, no CORS, or not allowed by this site's Content-Security-Policy)`);
    } finally {
      clearTimeout(timer);
    }
  }

  private statusError(status: number, body: string, host: string, retryAfter: string | null): LlmError {
    let detail = body.slice(0, 300);
    try {
      const message = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
      if (typeof message === "string") detail = message.slice(0, 300);
    } catch {
      // not JSON: the start of the text says enough
    }
    const text = `${host} answered HTTP ${status}: ${this.clean(detail)}`;
    if (status === 401 || status === 403) return new LlmAuthError(`${text}; check the key`, { status });
    if (status === 429) {
      const seconds = Number(retryAfter);
      return new LlmRateLimitError(text, { status, ...(Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {}) });
    }
    if (status >= 500 || status === 408) return new LlmServerError(text, { status });
    return new LlmRequestError(`${text}; check the model name`, { status });
  }
}
