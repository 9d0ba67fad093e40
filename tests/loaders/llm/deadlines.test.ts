// Deadlines of the LLM client: LLM_TIMEOUT_MS bounds the whole exchange (connect, headers and
// body), and an overall budget bounds a chat() call with its retries and waits, so an
// interactive command falls back in seconds instead of hanging on a slow or throttling server.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { LlmRateLimitError, LlmTimeoutError } from "../../../lib/llm-errors.ts";
import type { LlmClientOptions } from "../../../loaders/llm/client.ts";
import { rerank } from "../../../loaders/llm/rerank.ts";
import { rerankInput } from "../../helpers/rerank-fixture.ts";
import { echoFirstCandidates, startMockLlm, type MockLlm, mockGroqClient } from "../../helpers/mock-llm.ts";

const FAKE_KEY = "gsk_FAKEKEY_deadline_test_0123456789abcdef";
const MESSAGES = [{ role: "user" as const, content: "Say hi as JSON." }];
/** Slack for the event loop and the connection teardown on a loaded CI machine. */
const MARGIN_MS = 1500;

let mock: MockLlm;
let lines: string[];

beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.requests.length = 0;
  mock.setDefault(echoFirstCandidates());
  lines = [];
  for (const name of ["GROQ_API_KEY", "LLM_BASE_URL", "LLM_MODEL", "LLM_TIMEOUT_MS", "LLM_MAX_RETRIES", "LLM_STRUCTURED_OUTPUT"]) vi.stubEnv(name, "");
});
afterEach(() => vi.unstubAllEnvs());

function client(options: LlmClientOptions = {}) {
  return mockGroqClient(mock, FAKE_KEY, (line) => lines.push(line), { limits: {}, timeoutMs: undefined, ...options });
}

async function timed<T>(work: Promise<T>): Promise<{ value: T | unknown; ms: number }> {
  const started = performance.now();
  const value = await work.catch((e: unknown) => e);
  return { value, ms: performance.now() - started };
}

describe("LLM_TIMEOUT_MS covers the whole exchange", () => {
  it("fails a 200 whose body drips one byte a second within LLM_TIMEOUT_MS, naming the setting and the endpoint", async () => {
    vi.stubEnv("LLM_TIMEOUT_MS", "1000");
    mock.script({ content: '{"ok":true}', dripBodyMs: 1000 });
    const { value: error, ms } = await timed(client().chat({ messages: MESSAGES }));
    expect(error).toBeInstanceOf(LlmTimeoutError);
    const message = (error as Error).message;
    expect(message).toContain("LLM_TIMEOUT_MS");
    expect(message).toContain("1000 ms");
    expect(message).toContain(mock.groqBaseURL.replace(/^http:\/\//, ""));
    expect(message).not.toContain(FAKE_KEY);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(1000 + MARGIN_MS);
    // A timeout is not retried: the next try would stall the same way.
    expect(mock.requests).toHaveLength(1);
  });

  it("does the same through the OpenAI-compatible route (the URL-rewriting fetch)", async () => {
    mock.script({ content: '{"ok":true}', dripBodyMs: 200 });
    const { value: error, ms } = await timed(client({ baseURL: mock.openaiBaseURL, timeoutMs: 1000 }).chat({ messages: MESSAGES }));
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(ms).toBeLessThan(1000 + MARGIN_MS);
    expect(mock.requests[0].path).toBe("/v1/chat/completions");
  });

  it("times out an error body that drips too (a 429 is read before it is retried)", async () => {
    mock.script({ status: 429, body: { error: { message: "slow down" } }, dripBodyMs: 200 });
    const { value: error, ms } = await timed(client({ timeoutMs: 1000 }).chat({ messages: MESSAGES }));
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(ms).toBeLessThan(1000 + MARGIN_MS);
  });

  it("still answers a body that drips fast enough to finish in time", async () => {
    mock.script({ body: '{"model":"m","choices":[{"message":{"content":"{}"}}]}', dripBodyMs: 5 });
    const result = await client({ timeoutMs: 5000 }).chat({ messages: MESSAGES });
    expect(result.content).toBe("{}");
  });

  it("lets the rerank fall back within LLM_TIMEOUT_MS when the body drips", async () => {
    mock.script({ content: '{"picks":[]}', dripBodyMs: 1000 });
    const { value: result, ms } = await timed(
      rerank(rerankInput(), { client: client({ timeoutMs: 1000 }), cacheDir: null, log: (line) => lines.push(line) }),
    );
    expect(result).toMatchObject({ source: "fallback", model: null });
    expect((result as { fallbackReason: string }).fallbackReason).toMatch(/^timeout: .*LLM_TIMEOUT_MS/);
    expect(ms).toBeLessThan(1000 + MARGIN_MS);
    expect(lines.some((l) => l.startsWith("[rerank] LLM unavailable (timeout"))).toBe(true);
  });
});

describe("the overall budget of a chat() call", () => {
  it("fails at once with LlmRateLimitError when a Retry-After of 60 s would pass a 3 s budget", async () => {
    mock.script({ status: 429, headers: { "retry-after": "60" }, body: { error: { message: "rate limit" } } });
    const { value: error, ms } = await timed(client({ timeoutMs: 2000, totalBudgetMs: 3000 }).chat({ messages: MESSAGES }));
    expect(error).toBeInstanceOf(LlmRateLimitError);
    expect((error as LlmRateLimitError).retryAfterMs).toBe(60_000);
    expect((error as Error).message).toMatch(/budget/);
    expect(ms).toBeLessThan(1000);
    expect(mock.requests).toHaveLength(1);
  });

  it("accepts the budget per call too", async () => {
    mock.script({ status: 429, headers: { "retry-after": "60" }, body: { error: { message: "rate limit" } } });
    const { value: error, ms } = await timed(client({ timeoutMs: 2000 }).chat({ messages: MESSAGES }, { totalBudgetMs: 3000 }));
    expect(error).toBeInstanceOf(LlmRateLimitError);
    expect(ms).toBeLessThan(1000);
  });

  it("still retries when the wait fits in the budget", async () => {
    mock.script({ status: 429, headers: { "retry-after-ms": "150" }, body: { error: { message: "rate limit" } } });
    const result = await client({ timeoutMs: 2000, totalBudgetMs: 3000 }).chat({ messages: MESSAGES });
    expect(result.content).toContain("picks");
    expect(mock.requests).toHaveLength(2);
  });

  it("cuts the last attempt short at the end of the budget", async () => {
    mock.script({ content: "{}", dripBodyMs: 200 });
    const { value: error, ms } = await timed(client({ timeoutMs: 10_000, totalBudgetMs: 1000 }).chat({ messages: MESSAGES }));
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect((error as Error).message).toMatch(/budget/);
    expect(ms).toBeLessThan(1000 + MARGIN_MS);
  });

  it("keeps the default unbounded: a long server wait is still honoured up to maxRetryWaitMs", async () => {
    mock.script({ status: 429, headers: { "retry-after": "1" }, body: { error: { message: "rate limit" } } });
    const { value: result, ms } = await timed(client({ timeoutMs: 2000 }).chat({ messages: MESSAGES }));
    expect(result).toMatchObject({ content: expect.stringContaining("picks") });
    expect(ms).toBeGreaterThanOrEqual(950);
  });
});
