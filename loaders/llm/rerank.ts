// LLM rerank with explanations, grounded in the candidate list, with a deterministic fallback.
// Node only (disk cache); the browser uses lib/fallback.ts directly.
//
// Flow: cache hit -> answer; else one call; an unusable answer gets exactly one repair call
// with the problem stated; any LLM failure (auth, rate limit, timeout, bad output...) falls
// back to the deterministic ranker with a one-line notice. Only LLM answers are cached.
import { cacheDir as defaultCacheDir } from "../shared/config.ts";
import { fallbackRank } from "../../lib/fallback.ts";
import { readCached, writeCached, cacheKey } from "./cache.ts";
import { LlmError, LlmOutputError, LlmTimeoutError } from "../../lib/llm-errors.ts";
import { createLlmClient, endpointOf, isReasoningModel, type ChatRequest, type ChatResult, type LlmClient } from "./client.ts";
import { DEFAULT_BUDGET, PROMPT_VERSION, buildRerankPrompt, repairMessages, responseFormatFor, type PromptBudget } from "../../lib/prompt.ts";
import { validatePicks } from "../../lib/rerank-output.ts";
import type { RerankInput, RerankResult } from "../../lib/rerank-types.ts";

export type {
  RerankCandidate,
  RerankDropped,
  RerankInput,
  RerankPick,
  RerankResult,
  RerankSeries,
} from "../../lib/rerank-types.ts";
export { PROMPT_VERSION } from "../../lib/prompt.ts";

export interface RerankOptions {
  /** undefined: the client configured by the environment (shared, so pacing is shared); null: fallback only. */
  client?: LlmClient | null;
  /** Cache root (answers go to <cacheDir>/llm/); default MARQUEE_CACHE_DIR or data/cache; null: no cache. */
  cacheDir?: string | null;
  budget?: PromptBudget;
  /**
   * Longest the rerank may spend on the LLM, every call and wait included; past it the
   * fallback answers. Interactive commands set it (LLM_TIMEOUT_MS plus a margin); batch jobs
   * leave it unbounded so they wait out rate limits.
   */
  deadlineMs?: number;
  /** One line per notice; default stderr. */
  log?: (line: string) => void;
}

let environmentClient: LlmClient | null | undefined;

function sharedClient(): LlmClient | null {
  if (environmentClient === undefined) environmentClient = createLlmClient();
  return environmentClient;
}

const stderrLog = (line: string) => process.stderr.write(`${line}\n`);

function chatRequest(client: LlmClient, messages: ChatRequest["messages"], limit: number): ChatRequest {
  const reasoning = isReasoningModel(client.model);
  return {
    messages,
    responseFormat: responseFormatFor(client.structuredOutput),
    temperature: 0.2,
    // About 60 tokens a reason plus JSON; reasoning models think first, within the same budget.
    maxTokens: 300 + limit * 100 + (reasoning ? 1024 : 0),
    expectedCompletionTokens: limit * 60 + (reasoning ? 400 : 0),
  };
}

function describeProblem(error: LlmOutputError, answer: ChatResult): string {
  return answer.finishReason === "length" ? `${error.message} (the answer was cut off at the token limit; write shorter reasons)` : error.message;
}

/** Per-call options that keep every call within what is left of the rerank's deadline. */
function withinDeadline(endsAt: number): { totalBudgetMs?: number } {
  if (!Number.isFinite(endsAt)) return {};
  const left = Math.round(endsAt - performance.now());
  if (left <= 0) throw new LlmTimeoutError("the rerank's time is up before the next call (LLM_TIMEOUT_MS)");
  return { totalBudgetMs: left };
}

async function askModel(client: LlmClient, input: RerankInput, budget: PromptBudget, endsAt: number, log: (line: string) => void): Promise<RerankResult> {
  const prompt = buildRerankPrompt(input, budget);
  const request = chatRequest(client, prompt.messages, prompt.limit);
  const first = await client.chat(request, withinDeadline(endsAt));
  let answer = first;
  let validated;
  try {
    validated = validatePicks(first.content, input.candidates, prompt.limit);
  } catch (error) {
    if (!(error instanceof LlmOutputError)) throw error;
    const problem = describeProblem(error, first);
    log(`[rerank] unusable answer from ${client.model} (${problem}); asking once for a repair`);
    answer = await client.chat({ ...request, messages: [...prompt.messages, ...repairMessages(first.content, problem, prompt.limit)] }, withinDeadline(endsAt));
    validated = validatePicks(answer.content, input.candidates, prompt.limit);
  }
  return {
    picks: validated.picks,
    model: answer.model || client.model,
    source: "llm",
    dropped: validated.dropped,
    generated_at: new Date().toISOString(),
  };
}

/**
 * Reranks the shortlist with the LLM and explains each pick; falls back to the deterministic
 * ranker (source "fallback", model null, fallbackReason set) when no LLM is configured or it fails.
 */
export async function rerank(input: RerankInput, options: RerankOptions = {}): Promise<RerankResult> {
  const log = options.log ?? stderrLog;
  if (input.candidates.length === 0 || input.limit <= 0) return fallbackRank(input);
  const client = options.client === undefined ? sharedClient() : options.client;
  if (!client) return fallbackRank(input, "no LLM configured (GROQ_API_KEY and LLM_BASE_URL unset)");
  const dir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const budget = options.budget ?? DEFAULT_BUDGET;
  // The endpoint is part of the key: two servers may serve different models under one name.
  const endpoint = endpointOf(client);
  const key = cacheKey(client.model, PROMPT_VERSION, input, { budget, structuredOutput: client.structuredOutput, endpoint });
  if (dir) {
    const hit = await readCached(dir, key);
    if (hit) return hit.result;
  }
  let result: RerankResult;
  try {
    const endsAt = options.deadlineMs === undefined ? Infinity : performance.now() + options.deadlineMs;
    result = await askModel(client, input, budget, endsAt, log);
  } catch (error) {
    if (!(error instanceof LlmError)) throw error;
    const why = `${error.kind}: ${error.message}`;
    log(`[rerank] LLM unavailable (${why}); using the fallback ranker`);
    return fallbackRank(input, why);
  }
  if (dir) {
    try {
      await writeCached(dir, { key, model: client.model, endpoint, prompt_version: PROMPT_VERSION, created_at: result.generated_at!, result });
    } catch (error) {
      log(`[rerank] could not cache the answer under ${dir}/llm: ${(error as Error).message}`);
    }
  }
  return result;
}
