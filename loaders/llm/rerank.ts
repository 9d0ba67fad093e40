// The LLM for a selection with its disk cache (Node): lib/llm-selection.ts's flow (proposals,
// rerank of a seeded shuffle, fusion with the deterministic order, one deadline), the same the
// page runs with a visitor's key, plus answers cached under <cacheDir>/llm/ as the model gave
// them, so rebuilds and resumed precomputes repeat no call and a new fusion weight needs none.
// Any LLM failure falls back to the deterministic ranker with a one-line notice.
import { cacheDir as defaultCacheDir, numberSetting } from "../shared/config.ts";
import { fallbackRank } from "../../lib/fallback.ts";
import { readCached, readCachedProposals, writeCached, cacheKey } from "./cache.ts";
import { DEFAULT_LLM_FUSION_WEIGHT } from "../../lib/llm-fusion.ts";
import { llmSelection, type ProposalPool, type SelectionCache } from "../../lib/llm-selection.ts";
import { createLlmClient, endpointOf, type LlmClient } from "./client.ts";
import { DEFAULT_BUDGET, PROMPT_VERSION, type PromptBudget } from "../../lib/prompt.ts";
import { PROPOSAL_PROMPT_VERSION } from "../../lib/proposals.ts";
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
export type { ProposalPool } from "../../lib/llm-selection.ts";

export interface RerankOptions {
  /** undefined: the client configured by the environment (shared, so pacing is shared); null: fallback only. */
  client?: LlmClient | null;
  /** Cache root (answers go to <cacheDir>/llm/); default MARQUEE_CACHE_DIR or data/cache; null: no cache. */
  cacheDir?: string | null;
  budget?: PromptBudget;
  /**
   * Longest the selection may spend on the LLM, every call and wait included; past it the
   * fallback answers. Interactive commands set it (LLM_TIMEOUT_MS plus a margin); batch jobs
   * leave it unbounded so they wait out rate limits.
   */
  deadlineMs?: number;
  /** One line per notice; default stderr. */
  log?: (line: string) => void;
  /** Where the model's proposals are resolved; without it no proposal call is made. */
  proposals?: ProposalPool | null;
  /** Weight of the model's order against the deterministic ranker's; default LLM_FUSION_WEIGHT, else 0.5. */
  fusionWeight?: number;
}

let environmentClient: LlmClient | null | undefined;

function sharedClient(): LlmClient | null {
  if (environmentClient === undefined) environmentClient = createLlmClient();
  return environmentClient;
}

const stderrLog = (line: string) => process.stderr.write(`${line}\n`);

/** LLM_FUSION_WEIGHT, checked: a number of at least 0. */
export function fusionWeightSetting(): number {
  return numberSetting("LLM_FUSION_WEIGHT", DEFAULT_LLM_FUSION_WEIGHT);
}

/**
 * Both answers of a selection on disk, keyed by everything that shapes them: the model, the
 * prompt version, the budget, the output mode and the endpoint (two servers may serve different
 * models under one name), and the input. A failed write costs only the cache, with a notice.
 */
function diskCache(dir: string, client: LlmClient, budget: PromptBudget, log: (line: string) => void): SelectionCache {
  const endpoint = endpointOf(client);
  const settings = { budget, structuredOutput: client.structuredOutput, endpoint };
  const proposalKey = (input: RerankInput) => cacheKey(client.model, PROPOSAL_PROMPT_VERSION, { series: input.series, filters: input.filters }, settings);
  const picksKey = (input: RerankInput) => cacheKey(client.model, PROMPT_VERSION, input, settings);
  const write = async (what: string, entry: Parameters<typeof writeCached>[1]) => {
    try {
      await writeCached(dir, entry);
    } catch (error) {
      log(`[rerank] could not cache the ${what} under ${dir}/llm: ${(error as Error).message}`);
    }
  };
  return {
    readProposals: async (input) => (await readCachedProposals(dir, proposalKey(input)))?.proposals ?? null,
    writeProposals: (input, proposals) =>
      write("proposals", { key: proposalKey(input), model: client.model, endpoint, prompt_version: PROPOSAL_PROMPT_VERSION, created_at: new Date().toISOString(), proposals }),
    readPicks: async (input) => (await readCached(dir, picksKey(input)))?.result ?? null,
    writePicks: (input, result) =>
      write("answer", { key: picksKey(input), model: client.model, endpoint, prompt_version: PROMPT_VERSION, created_at: result.generated_at ?? new Date().toISOString(), result }),
  };
}

/**
 * Proposes, reranks and explains a selection with the LLM; falls back to the deterministic
 * ranker (source "fallback", model null, fallbackReason set) when no LLM is configured or it fails.
 * Picks may name resolved proposals that were not among the input's candidates: `added` has them.
 */
export async function rerank(input: RerankInput, options: RerankOptions = {}): Promise<RerankResult> {
  const log = options.log ?? stderrLog;
  if (input.candidates.length === 0 || input.limit <= 0) return fallbackRank(input);
  const client = options.client === undefined ? sharedClient() : options.client;
  if (!client) return fallbackRank(input, "no LLM configured (GROQ_API_KEY and LLM_BASE_URL unset)");
  const dir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const budget = options.budget ?? DEFAULT_BUDGET;
  return llmSelection(client, input, {
    deadlineMs: options.deadlineMs,
    fusionWeight: options.fusionWeight ?? fusionWeightSetting(),
    pool: options.proposals,
    budget,
    cache: dir ? diskCache(dir, client, budget, log) : null,
    log: (line) => log(`[rerank] ${line}`),
  });
}
