// The page's LLM client (lib/llm-browser.ts) under the shared selection flow (lib/llm-selection.ts), run in Node against the mock.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FetchChatClient, chatCompletionsUrl } from "../../lib/llm-browser.ts";
import { llmSelection } from "../../lib/llm-selection.ts";
import { fallbackRank } from "../../lib/fallback.ts";
import { LlmConfigError } from "../../lib/llm-errors.ts";
import { buildTitleIndex } from "../../lib/proposals.ts";
import { CANDIDATES, rerankInput } from "../helpers/rerank-fixture.ts";
import { echoFirstCandidates, isProposalRequest, startMockLlm, type MockLlm } from "../helpers/mock-llm.ts";

const VISITOR_KEY = "gsk_visitor_key_browser_test_0123456789";
let mock: MockLlm;
beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.requests.length = 0;
  mock.setDefault(echoFirstCandidates());
});

const client = (over: Partial<ConstructorParameters<typeof FetchChatClient>[0]> = {}) =>
  new FetchChatClient({ baseUrl: mock.openaiBaseURL, apiKey: VISITOR_KEY, model: "llama3.1:8b", timeoutMs: 2000, ...over });

describe("chatCompletionsUrl", () => {
  it("appends /chat/completions, and /v1 to a bare origin", () => {
    expect(chatCompletionsUrl("https://api.groq.com/openai/v1/")).toBe("https://api.groq.com/openai/v1/chat/completions");
    expect(chatCompletionsUrl("http://localhost:11434")).toBe("http://localhost:11434/v1/chat/completions");
  });
  it("refuses what is not an http(s) URL, and credentials in it", () => {
    expect(() => chatCompletionsUrl("localhost:11434")).toThrow(LlmConfigError);
    expect(() => chatCompletionsUrl("file:///etc/passwd")).toThrow(/https:\/\//);
    expect(() => chatCompletionsUrl("https://me:pw@api.groq.com/openai/v1")).toThrow(/user name or password/);
  });
});

describe("llmSelection with the visitor's key", () => {
  it("sends the key only as a Bearer token, JSON mode for a llama model, and answers with fused LLM picks", async () => {
    const index = buildTitleIndex(CANDIDATES.map((c) => ({ ...c, genre_names: c.genres, language: "en", age_appropriate: true })));
    const result = await llmSelection(client(), rerankInput(), { deadlineMs: 3000, pool: { index } });
    expect(result.source).toBe("llm");
    expect(result.model).toBe("llama3.1:8b");
    expect(result.picks).toHaveLength(3);
    expect(mock.requests).toHaveLength(2);
    expect(isProposalRequest(mock.requests[0])).toBe(true);
    expect(mock.requests.every((r) => r.authorization === `Bearer ${VISITOR_KEY}` && r.body.response_format?.type === "json_object")).toBe(true);
    expect(JSON.stringify(mock.requests.map((r) => r.body))).not.toContain(VISITOR_KEY);
  });

  it.each([
    ["a 500", { status: 500, body: { error: { message: "boom" } } }, /^server: /],
    ["a 401 that quotes the key", { status: 401, body: { error: { message: `bad key ${VISITOR_KEY}` } } }, /^auth: .*check the key/],
    ["a 429", { status: 429, headers: { "retry-after": "30" }, body: { error: { message: "slow down" } } }, /^rate_limit: /],
    ["an answer past the deadline", { content: "{}", delayMs: 1500 }, /^timeout: /],
  ])("falls back to the deterministic picks on %s", async (_name, response, reason) => {
    mock.setDefault(() => response);
    const result = await llmSelection(client(), rerankInput(), { deadlineMs: 800 });
    expect(result.source).toBe("fallback");
    expect(result.fallbackReason).toMatch(reason);
    expect(result.fallbackReason).not.toContain(VISITOR_KEY);
    expect(result.picks).toEqual(fallbackRank(rerankInput()).picks);
  });

  it("falls back on malformed JSON after one repair", async () => {
    mock.setDefault(() => ({ content: "picks: 101, 102" }));
    const result = await llmSelection(client(), rerankInput(), { deadlineMs: 3000 });
    expect(mock.requests).toHaveLength(2);
    expect(result.source).toBe("fallback");
    expect(result.fallbackReason).toMatch(/^bad_output: /);
  });

  it("falls back with a connection error when nothing listens", async () => {
    const result = await llmSelection(client({ baseUrl: "http://127.0.0.1:9/v1" }), rerankInput(), { deadlineMs: 2000 });
    expect(result.fallbackReason).toMatch(/^connection: cannot reach 127\.0\.0\.1:9/);
  });
});
