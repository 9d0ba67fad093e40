import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LlmAuthError,
  LlmConfigError,
  LlmConnectionError,
  LlmRateLimitError,
  LlmServerError,
  LlmTimeoutError,
} from "../../../lib/llm-errors.ts";
import { GroqChatClient, createLlmClient, parseDuration, resolveEndpoint, retryDelayFromHeaders, type LlmClientOptions } from "../../../loaders/llm/client.ts";
import { ManualClock } from "../../../loaders/llm/pacing.ts";
import { startMockLlm, type MockLlm, mockGroqClient } from "../../helpers/mock-llm.ts";

const FAKE_KEY = "gsk_FAKEKEY_marquee_test_0123456789abcdef";
const MESSAGES = [{ role: "user" as const, content: "Say hi as JSON." }];

let mock: MockLlm;
let lines: string[];

beforeAll(async () => {
  mock = await startMockLlm(() => ({ content: '{"ok":true}' }));
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.requests.length = 0;
  lines = [];
  for (const name of ["GROQ_API_KEY", "LLM_BASE_URL", "LLM_MODEL", "LLM_REQUESTS_PER_MINUTE", "LLM_REQUESTS_PER_DAY", "LLM_TOKENS_PER_MINUTE", "LLM_TOKENS_PER_DAY", "LLM_STRUCTURED_OUTPUT", "LLM_TIMEOUT_MS", "LLM_MAX_RETRIES"]) {
    vi.stubEnv(name, "");
  }
});
afterEach(() => vi.unstubAllEnvs());

function client(options: LlmClientOptions = {}) {
  return mockGroqClient(mock, FAKE_KEY, (line) => lines.push(line), { ...options });
}

describe("GroqChatClient", () => {
  it("posts to Groq's /openai/v1/chat/completions with the key as a Bearer token and returns the content", async () => {
    const result = await client().chat({ messages: MESSAGES });
    expect(result.content).toBe('{"ok":true}');
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0].path).toBe("/openai/v1/chat/completions");
    expect(mock.requests[0].authorization).toBe(`Bearer ${FAKE_KEY}`);
    expect(mock.requests[0].body.model).toBe("openai/gpt-oss-20b");
  });

  it("logs model, latency and prompt/completion/total tokens for every call", async () => {
    mock.script({ content: "{}", usage: { prompt_tokens: 321, completion_tokens: 45, total_tokens: 366 } });
    await client().chat({ messages: MESSAGES });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[llm\] openai\/gpt-oss-20b \d+ ms, tokens prompt 321 completion 45 total 366$/);
  });

  it("asks gpt-oss for low reasoning effort and leaves other models' parameters alone", async () => {
    await client().chat({ messages: MESSAGES });
    await client({ model: "llama-3.1-8b-instant" }).chat({ messages: MESSAGES });
    expect(mock.requests[0].body.reasoning_effort).toBe("low");
    expect(mock.requests[1].body).not.toHaveProperty("reasoning_effort");
  });

  it("retries a 429 after the wait its retry-after-ms header asks for, in real time", async () => {
    mock.script({ status: 429, headers: { "retry-after-ms": "150" }, body: { error: { message: "slow down" } } });
    const started = Date.now();
    const result = await client().chat({ messages: MESSAGES });
    const elapsed = Date.now() - started;
    expect(result.content).toBe('{"ok":true}');
    expect(mock.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(2000);
    expect(lines.some((l) => /429 .*retry 1\/2 in 150 ms/.test(l))).toBe(true);
  });

  it("waits for Groq's x-ratelimit-reset-tokens when the token budget is the one spent", async () => {
    const clock = new ManualClock(1_000_000);
    mock.script({
      status: 429,
      headers: { "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "7.66s", "x-ratelimit-reset-requests": "2m59.56s" },
      body: { error: { message: "tpm" } },
    });
    await client({ clock }).chat({ messages: MESSAGES });
    expect(mock.requests).toHaveLength(2);
    expect(clock.now() - 1_000_000).toBe(7660);
  });

  it("makes exactly 1 + maxRetries requests when every answer is a 429 (no second retry layer in groq-sdk)", async () => {
    const clock = new ManualClock(0);
    mock.script(
      ...Array.from({ length: 3 }, () => ({ status: 429, headers: { "retry-after": "1" }, body: { error: { message: "rate" } } })),
    );
    const error = await client({ clock, maxRetries: 2 }).chat({ messages: MESSAGES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmRateLimitError);
    expect(mock.requests).toHaveLength(3);
    expect(clock.now()).toBe(2000);
  });

  it("fails fast when the server asks for a longer wait than maxRetryWaitMs (a spent daily quota)", async () => {
    mock.script({ status: 429, headers: { "retry-after": "3600" }, body: { error: { message: "daily" } } });
    const error = (await client().chat({ messages: MESSAGES }).catch((e: unknown) => e)) as LlmRateLimitError;
    expect(error).toBeInstanceOf(LlmRateLimitError);
    expect(error.retryAfterMs).toBe(3_600_000);
    expect(mock.requests).toHaveLength(1);
  });

  it("retries a 5xx with backoff and succeeds", async () => {
    const clock = new ManualClock(0);
    mock.script({ status: 503, body: { error: { message: "over capacity" } } });
    const result = await client({ clock }).chat({ messages: MESSAGES });
    expect(result.content).toBe('{"ok":true}');
    expect(mock.requests).toHaveLength(2);
  });

  it("reports a 5xx that outlasts the retries as LlmServerError", async () => {
    const clock = new ManualClock(0);
    mock.script({ status: 500, body: { error: { message: "boom" } } }, { status: 500, body: { error: { message: "boom" } } });
    await expect(client({ clock, maxRetries: 1 }).chat({ messages: MESSAGES })).rejects.toBeInstanceOf(LlmServerError);
  });

  it("gives up after timeoutMs with LlmTimeoutError and does not retry", async () => {
    mock.script({ content: "{}", delayMs: 1000 });
    const started = Date.now();
    const error = await client({ timeoutMs: 100 }).chat({ messages: MESSAGES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(Date.now() - started).toBeLessThan(900);
    expect(mock.requests).toHaveLength(1);
  });

  it("turns a 401 into LlmAuthError without retrying, and never shows the key even if the server echoes it", async () => {
    mock.script({ status: 401, body: { error: { message: `Invalid API Key ${FAKE_KEY}`, code: "invalid_api_key" } } });
    const error = (await client().chat({ messages: MESSAGES }).catch((e: unknown) => e)) as LlmAuthError;
    expect(error).toBeInstanceOf(LlmAuthError);
    expect(mock.requests).toHaveLength(1);
    expect(error.message).toContain("GROQ_API_KEY");
    expect(error.message).toContain("[redacted]");
    const everything = [error.message, String(error.stack), JSON.stringify(error), ...lines].join("\n");
    expect(everything).not.toContain(FAKE_KEY);
    expect(everything).not.toContain("FAKEKEY");
  });

  it("reports an unreachable server as LlmConnectionError naming LLM_BASE_URL", async () => {
    const error = (await client({ baseURL: "http://127.0.0.1:9/v1", maxRetries: 0 }).chat({ messages: MESSAGES }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(LlmConnectionError);
    expect(error.message).toContain("LLM_BASE_URL");
  });

  it("paces calls to requestsPerMinute on the injected clock", async () => {
    const clock = new ManualClock(0);
    const paced = client({ clock, limits: { requestsPerMinute: 2 } });
    for (let i = 0; i < 3; i++) await paced.chat({ messages: MESSAGES });
    expect(mock.requests).toHaveLength(3);
    expect(clock.now()).toBe(60_000);
  });

  it("applies Groq's free-tier limits for the model when talking to api.groq.com", () => {
    const groq = new GroqChatClient({ apiKey: FAKE_KEY, model: "llama-3.1-8b-instant" });
    expect(groq.limiter.limits).toMatchObject({ requestsPerMinute: 30, requestsPerDay: 14_400, tokensPerMinute: 6000 });
    const oss = new GroqChatClient({ apiKey: FAKE_KEY });
    expect(oss.model).toBe("openai/gpt-oss-20b");
    expect(oss.limiter.limits).toMatchObject({ requestsPerMinute: 30, requestsPerDay: 1000 });
  });

  it("lets LLM_REQUESTS_PER_MINUTE and LLM_REQUESTS_PER_DAY override the defaults", () => {
    vi.stubEnv("LLM_REQUESTS_PER_MINUTE", "5");
    vi.stubEnv("LLM_REQUESTS_PER_DAY", "50");
    const groq = new GroqChatClient({ apiKey: FAKE_KEY });
    expect(groq.limiter.limits).toMatchObject({ requestsPerMinute: 5, requestsPerDay: 50 });
  });

  it("takes the model from LLM_MODEL, keeping llama-3.1-8b-instant selectable", () => {
    vi.stubEnv("LLM_MODEL", "llama-3.1-8b-instant");
    const groq = new GroqChatClient({ apiKey: FAKE_KEY });
    expect(groq.model).toBe("llama-3.1-8b-instant");
    expect(groq.structuredOutput).toBe("json_object");
  });
});

describe("LLM_BASE_URL", () => {
  it("routes an OpenAI-compatible base URL ending in /v1 to /v1/chat/completions", async () => {
    await client({ baseURL: mock.openaiBaseURL }).chat({ messages: MESSAGES });
    expect(mock.requests[0].path).toBe("/v1/chat/completions");
  });

  it("read from the environment: a bare origin gets /v1, the local servers' convention", async () => {
    vi.stubEnv("LLM_BASE_URL", mock.url);
    await new GroqChatClient({ apiKey: FAKE_KEY, log: () => undefined }).chat({ messages: MESSAGES });
    expect(mock.requests[0].path).toBe("/v1/chat/completions");
  });

  it("keeps a Groq-shaped base URL (…/openai/v1) as it is", async () => {
    await client({ baseURL: `${mock.url}/openai/v1/` }).chat({ messages: MESSAGES });
    expect(mock.requests[0].path).toBe("/openai/v1/chat/completions");
  });

  it("needs no key for a local server (sends a placeholder, never an empty Bearer)", async () => {
    await new GroqChatClient({ baseURL: mock.openaiBaseURL, log: () => undefined }).chat({ messages: MESSAGES });
    expect(mock.requests[0].authorization).toMatch(/^Bearer \S+$/);
  });

  it("rejects a malformed URL with a message naming LLM_BASE_URL and an example", () => {
    expect(() => resolveEndpoint("localhost:11434")).toThrow(LlmConfigError);
    expect(() => resolveEndpoint("not a url")).toThrow(/LLM_BASE_URL.*http:\/\/localhost:11434\/v1/);
  });

  it("treats an unset base URL as Groq", () => {
    expect(resolveEndpoint(undefined)).toMatchObject({ sdkBaseURL: "https://api.groq.com", isGroq: true, rewrite: null });
  });
});

describe("createLlmClient", () => {
  it("returns null with a one-line notice when neither GROQ_API_KEY nor LLM_BASE_URL is set", () => {
    const notices: string[] = [];
    expect(createLlmClient({ log: (l) => notices.push(l) })).toBeNull();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("fallback");
  });

  it("returns a client when only LLM_BASE_URL is set (local server)", () => {
    vi.stubEnv("LLM_BASE_URL", mock.openaiBaseURL);
    expect(createLlmClient({ log: () => undefined })).not.toBeNull();
  });

  it("refuses to build a Groq client without a key", () => {
    expect(() => new GroqChatClient({})).toThrow(LlmConfigError);
  });
});

describe("rate-limit headers", () => {
  it("parses Groq's durations", () => {
    expect(parseDuration("2m59.56s")).toBeCloseTo(179_560);
    expect(parseDuration("7.66s")).toBeCloseTo(7660);
    expect(parseDuration("120ms")).toBe(120);
    expect(parseDuration("1h2m")).toBe(3_720_000);
    expect(parseDuration("3")).toBe(3000);
    expect(parseDuration("soon")).toBeUndefined();
  });

  it("prefers retry-after-ms, then retry-after, then the reset of the budget that is empty", () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(retryDelayFromHeaders(h({ "retry-after-ms": "250", "retry-after": "9" }), 0)).toBe(250);
    expect(retryDelayFromHeaders(h({ "retry-after": "2" }), 0)).toBe(2000);
    expect(retryDelayFromHeaders(h({ "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "30s", "x-ratelimit-reset-tokens": "1s" }), 0)).toBe(30_000);
    expect(retryDelayFromHeaders(h({ "x-ratelimit-remaining-tokens": "12", "x-ratelimit-reset-tokens": "1.5s", "x-ratelimit-reset-requests": "30s" }), 0)).toBe(1500);
    expect(retryDelayFromHeaders(h({}), 0)).toBeUndefined();
  });
});
