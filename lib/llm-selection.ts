// The LLM for one selection, the same flow in Node (loaders/llm/rerank.ts, with its disk
// cache) and on the page (live-picks.ts, with the visitor's key), under one deadline:
// 1. proposals, when a catalogue is given to resolve them in: the model names films from its
//    own knowledge; lib/proposals.ts resolves them to catalogue ids under the filters and they
//    join the candidates. An unusable proposal answer only costs the proposals.
// 2. the rerank of the candidates in a seeded shuffle; an unusable answer gets exactly one
//    repair call with the problem stated.
// 3. fusion of the model's order (and its proposals) with the deterministic ranker's.
// Any other LLM failure (auth, rate limit, timeout, server...) gives the deterministic ranker's
// picks with `fallbackReason`. Pure and browser-safe: I/O comes in through the client and the cache.
import { fallbackRank } from "./fallback.ts";
import { DEFAULT_LLM_FUSION_WEIGHT, fusePicks, shuffledForPrompt } from "./llm-fusion.ts";
import { LlmError, LlmOutputError, LlmTimeoutError } from "./llm-errors.ts";
import { proposalChatRequest, rerankChatRequest } from "./llm-requests.ts";
import type { ChatCallOptions, ChatResult, LlmClient } from "./llm-types.ts";
import { DEFAULT_BUDGET, buildRerankPrompt, repairMessages, type PromptBudget } from "./prompt.ts";
import { buildProposalPrompt, resolveProposals, validateProposals, withProposals, type Proposal, type ProposalCandidateMovie, type ProposalCounts, type TitleIndex } from "./proposals.ts";
import { validatePicks } from "./rerank-output.ts";
import type { RerankInput, RerankResult } from "./rerank-types.ts";

/** Where a selection's proposals are resolved (buildTitleIndex over the catalogue), and a proposed movie's cosine for its card. */
export interface ProposalPool {
  index: TitleIndex<ProposalCandidateMovie>;
  similarityOf?: (id: number) => number;
}

/**
 * Stored answers as the model gave them (before fusion, so a new fusion weight needs no new
 * call). Reads return null on a miss; only usable answers are written.
 */
export interface SelectionCache {
  readProposals(input: RerankInput): Promise<Proposal[] | null>;
  writeProposals(input: RerankInput, proposals: Proposal[]): Promise<void>;
  /** `input` is the candidates the model ranks (proposals joined), in the deterministic order. */
  readPicks(input: RerankInput): Promise<RerankResult | null>;
  writePicks(input: RerankInput, result: RerankResult): Promise<void>;
}

export interface SelectionOptions {
  /** One deadline for every call of the selection; unbounded when absent (batch jobs wait out rate limits). */
  deadlineMs?: number;
  /** Weight of the model's order in the fusion; default DEFAULT_LLM_FUSION_WEIGHT. */
  fusionWeight?: number;
  /** Resolves the model's proposals; without it only the rerank is asked. */
  pool?: ProposalPool | null;
  budget?: PromptBudget;
  cache?: SelectionCache | null;
  log?: (line: string) => void;
}

function describeProblem(error: LlmOutputError, answer: ChatResult): string {
  return answer.finishReason === "length" ? `${error.message} (the answer was cut off at the token limit; write shorter reasons)` : error.message;
}

export async function llmSelection(client: LlmClient, input: RerankInput, options: SelectionOptions = {}): Promise<RerankResult> {
  const log = options.log ?? (() => undefined);
  if (input.candidates.length === 0 || input.limit <= 0) return fallbackRank(input);
  const budget = options.budget ?? DEFAULT_BUDGET;
  const cache = options.cache ?? null;
  const endsAt = options.deadlineMs === undefined ? Infinity : performance.now() + options.deadlineMs;
  const left = (): ChatCallOptions => {
    if (!Number.isFinite(endsAt)) return {};
    const ms = Math.round(endsAt - performance.now());
    if (ms <= 0) throw new LlmTimeoutError(`the selection's ${options.deadlineMs} ms were up before the next call`);
    return { totalBudgetMs: ms };
  };

  async function proposals(): Promise<Proposal[]> {
    const hit = await cache?.readProposals(input);
    if (hit) return hit;
    const answer = await client.chat(proposalChatRequest(client.model, client.structuredOutput, buildProposalPrompt(input.series, input.filters)), left());
    let found: Proposal[];
    try {
      found = validateProposals(answer.content);
    } catch (error) {
      if (!(error instanceof LlmOutputError)) throw error;
      log(`unusable proposals from ${client.model} (${error.message}); ranking the shortlist alone`);
      return [];
    }
    await cache?.writeProposals(input, found);
    return found;
  }

  async function modelPicks(working: RerankInput): Promise<RerankResult> {
    const hit = await cache?.readPicks(working);
    if (hit) return hit;
    const shown = shuffledForPrompt(working);
    const prompt = buildRerankPrompt(shown, budget);
    const request = rerankChatRequest(client.model, client.structuredOutput, prompt.messages, prompt.limit);
    const first = await client.chat(request, left());
    let answer = first;
    let validated;
    try {
      validated = validatePicks(first.content, shown.candidates, prompt.limit);
    } catch (error) {
      if (!(error instanceof LlmOutputError)) throw error;
      const problem = describeProblem(error, first);
      log(`unusable answer from ${client.model} (${problem}); asking once for a repair`);
      answer = await client.chat({ ...request, messages: [...prompt.messages, ...repairMessages(first.content, problem, prompt.limit)] }, left());
      validated = validatePicks(answer.content, shown.candidates, prompt.limit);
    }
    const result: RerankResult = { picks: validated.picks, model: answer.model || client.model, source: "llm", dropped: validated.dropped, generated_at: new Date().toISOString() };
    await cache?.writePicks(working, result);
    return result;
  }

  try {
    let working = input;
    let proposalOrder: number[] = [];
    let added: RerankResult["added"] = [];
    let counts: ProposalCounts | undefined;
    if (options.pool) {
      const resolution = resolveProposals(await proposals(), options.pool.index, input.filters);
      counts = resolution.counts;
      const joined = withProposals(input.candidates, resolution.resolved, input.series, options.pool.similarityOf);
      working = { ...input, candidates: joined.candidates };
      proposalOrder = joined.proposalOrder;
      added = joined.added;
    }
    const model = await modelPicks(working);
    const picks = fusePicks(working, model.picks, proposalOrder, { weight: options.fusionWeight ?? DEFAULT_LLM_FUSION_WEIGHT, limit: input.limit });
    const kept = new Set(picks.map((p) => p.id));
    const usedAdded = added.filter((c) => kept.has(c.id));
    return { ...model, picks, ...(usedAdded.length ? { added: usedAdded } : {}), ...(counts ? { proposals: counts } : {}) };
  } catch (error) {
    if (!(error instanceof LlmError)) throw error;
    const why = `${error.kind}: ${error.message}`;
    log(`LLM unavailable (${why}); using the fallback ranker`);
    return fallbackRank(input, why);
  }
}
