// Precomputes the top picks (with reasons) for the series of the catalogue under the default
// filters, for the static site. LLM answers come from the cache when present, so an
// interrupted run resumes where it stopped and a rebuild repeats no call; pacing to the
// free tier happens in the client's rate limiter, and a daily allowance kept on disk
// (ledger.ts) bounds what all of a day's runs ask for. The LLM_PRECOMPUTE_LIMIT most popular
// series always get picks (fallback picks when the LLM cannot answer); the rest of the
// catalogue follows in popularity order with LLM picks only, so successive rebuilds cover the
// whole catalogue. Without an LLM the picks are fallback picks.
import type { LlmClient } from "../../lib/llm-types.ts";
import { LlmRateLimitError } from "../../lib/llm-errors.ts";
import { formatWait, systemClock, type Clock } from "../llm/pacing.ts";
import { rerank } from "../llm/rerank.ts";
import type { RerankInput, RerankResult } from "../../lib/rerank-types.ts";
import type { Engine } from "../engine.ts";
import type { PickRow } from "./store.ts";
import { numberSetting } from "../shared/config.ts";
import { DailyLedger, dailyLimitsFromSettings, type DailyLimits } from "./ledger.ts";

export { PICKS_FILE, PICK_COLUMNS, readPicksParquet, writePicksParquet, type PickRow } from "./store.ts";

/** Builds the rerank input for one series (shortlist under the default filters); null skips it. */
export type ShortlistFor = (seriesId: number) => Promise<RerankInput | null>;

export interface PrecomputeOptions {
  /** Series that always get picks, by the LLM or else the fallback ranker. */
  seriesIds: readonly number[];
  /** Further series, in order, that get picks only from the LLM (cached, or asked within today's allowance). */
  moreSeriesIds?: readonly number[];
  /** Today's allowance for all runs; default the LLM_PRECOMPUTE_*_PER_DAY settings (kept under cacheDir); null: none. */
  dailyLimits?: DailyLimits | null;
  shortlistFor: ShortlistFor;
  client: LlmClient | null;
  /** Cache root for LLM answers; null disables the cache (tests only: resuming needs it). */
  cacheDir: string | null;
  log?: (line: string) => void;
  clock?: Clock;
  /** Progress line every this many series (and at the end). */
  progressEvery?: number;
}

export interface PrecomputeStats {
  series: number;
  skipped: number;
  llm: number;
  fallback: number;
  /** Chats sent to the LLM (a repair is a second chat; retries inside the client count once). */
  calls: number;
  cacheHits: number;
  wallMs: number;
  /** Set when the LLM was switched off for the rest of the run (bad key, quota spent, server gone). */
  llmStopped?: string;
  /** Series among seriesIds and moreSeriesIds whose picks come from the LLM, of all of them. */
  coverage: { llm: number; of: number };
  /** Today's precompute usage after this run (all runs of the day), when a ledger is kept. */
  today?: { requests: number; tokens: number };
}

/** Failures that will fail the same way for every remaining series: stop calling. */
const STOPPING_KINDS = new Set(["auth", "rate_limit", "config"]);
const MAX_CONSECUTIVE_FAILURES = 3;

/** Counts chats; once stopped, refuses without touching the network so only cached answers are used. */
class MeteredClient implements LlmClient {
  calls = 0;
  stopped: string | undefined;
  constructor(
    private readonly inner: LlmClient,
    private readonly ledger: DailyLedger | null = null,
  ) {}
  get model() {
    return this.inner.model;
  }
  get structuredOutput() {
    return this.inner.structuredOutput;
  }
  async chat(...args: Parameters<LlmClient["chat"]>) {
    if (this.stopped) throw new LlmRateLimitError(`LLM switched off for this run (${this.stopped})`);
    const spent = this.ledger?.spent();
    if (spent) throw new LlmRateLimitError(spent);
    this.calls++;
    try {
      const result = await this.inner.chat(...args);
      const [request] = args;
      const estimate = Math.ceil(request.messages.reduce((n, m) => n + m.content.length, 0) / 4) + Math.ceil(result.content.length / 4);
      await this.ledger?.record(result.usage?.total_tokens ?? estimate);
      return result;
    } catch (error) {
      // A rate-limit error without an HTTP status is our own limiter refusing: nothing was sent.
      if (error instanceof LlmRateLimitError && error.status === undefined) this.calls--;
      throw error;
    }
  }
}

function kindOf(result: RerankResult): string | undefined {
  return result.fallbackReason?.split(":")[0];
}

export function rowsFor(seriesId: number, input: RerankInput, result: RerankResult, runStartedAt: string): PickRow[] {
  const similarity = new Map(input.candidates.map((c) => [c.id, c.similarity]));
  return result.picks.map((pick) => ({
    series_id: seriesId,
    rank: pick.rank,
    movie_id: pick.id,
    reason: pick.reason,
    similarity: similarity.get(pick.id) ?? null,
    source: result.source,
    model: result.model,
    generated_at: result.generated_at ?? runStartedAt,
  }));
}

export async function precomputePicks(options: PrecomputeOptions): Promise<{ rows: PickRow[]; stats: PrecomputeStats }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = options.clock ?? systemClock;
  const every = options.progressEvery ?? 10;
  const started = clock.now();
  const runStartedAt = new Date().toISOString();
  const limits = options.dailyLimits === undefined ? dailyLimitsFromSettings() : options.dailyLimits;
  const ledger = options.client && options.cacheDir && limits ? await DailyLedger.open(options.cacheDir, limits) : null;
  const metered = options.client ? new MeteredClient(options.client, ledger) : null;
  const stats: PrecomputeStats = { series: 0, skipped: 0, llm: 0, fallback: 0, calls: 0, cacheHits: 0, wallMs: 0, coverage: { llm: 0, of: 0 } };
  const rows: PickRow[] = [];
  const always = options.seriesIds.length;
  const order = [...options.seriesIds, ...(options.moreSeriesIds ?? [])];
  const total = order.length;
  if (!metered) log("[picks] no LLM configured (GROQ_API_KEY / LLM_BASE_URL): writing fallback picks with data-based reasons");
  let consecutiveFailures = 0;
  // Each series' notices are held back once the LLM is off, so a spent quota is one line, not 300.
  const rerankLog = (line: string) => {
    if (!metered?.stopped) log(line);
  };

  for (const [index, seriesId] of order.entries()) {
    const optional = index >= always;
    // Past the series that always get picks, and with no LLM left, only cached answers remain:
    // without a client there are none, so the rest of the catalogue is not even shortlisted.
    if (optional && !metered) break;
    const input = await options.shortlistFor(seriesId);
    if (!input || input.candidates.length === 0) {
      stats.skipped++;
    } else {
      const callsBefore = metered?.calls ?? 0;
      const result = await rerank(input, { client: metered, cacheDir: options.cacheDir, log: rerankLog });
      const called = (metered?.calls ?? 0) > callsBefore;
      stats.coverage.of++;
      if (optional && result.source !== "llm") {
        // Beyond the always-covered series a fallback answer adds nothing the page cannot rank live.
      } else stats.series++;
      if (result.source === "llm") {
        stats.coverage.llm++;
        stats.llm++;
        if (!called) stats.cacheHits++;
        consecutiveFailures = 0;
      } else {
        stats.fallback++;
        if (called) consecutiveFailures++;
        const kind = kindOf(result);
        if (metered && !metered.stopped && (STOPPING_KINDS.has(kind ?? "") || consecutiveFailures >= MAX_CONSECUTIVE_FAILURES)) {
          metered.stopped = result.fallbackReason ?? "repeated failures";
          stats.llmStopped = metered.stopped;
          log(`[picks] LLM off for the rest of this run (${metered.stopped}); cached answers still used, the rest get fallback picks. Rerun later to fill them in.`);
        }
      }
      if (!optional || result.source === "llm") rows.push(...rowsFor(seriesId, input, result, runStartedAt));
    }
    stats.calls = metered?.calls ?? 0;
    const done = index + 1;
    if (done % every === 0 || done === total) {
      const elapsed = clock.now() - started;
      const eta = done < total ? `, ETA ${formatWait((elapsed / done) * (total - done))}` : "";
      log(`[picks] ${done}/${total} series, ${stats.calls} calls, ${stats.cacheHits} cache hits, ${stats.fallback} fallback, ${formatWait(elapsed)} elapsed${eta}`);
    }
  }
  stats.wallMs = clock.now() - started;
  if (ledger) stats.today = { requests: ledger.requests, tokens: ledger.tokens };
  if (total > always) log(`[picks] LLM picks for ${stats.coverage.llm} of ${stats.coverage.of} series${stats.today ? `; today's precompute usage ${stats.today.requests} requests, ${stats.today.tokens} tokens` : ""}`);
  return { rows, stats };
}

export interface EngineShortlistOptions {
  /** Candidates per series handed to the reranker (the shortlist size). */
  k?: number;
  /** Picks kept per series. */
  limit?: number;
}

/** The rerank input for one series under the default filters: the engine's shortlist (lib/pipeline.ts). */
export function engineShortlister(engine: Engine, options: EngineShortlistOptions = {}): ShortlistFor {
  const seriesIds = new Set(engine.catalog.series.map((s) => s.id));
  return async (seriesId) => {
    if (!seriesIds.has(seriesId)) return null;
    return (await engine.shortlist({ series: [seriesId], k: options.k, limit: options.limit })).input;
  };
}

/**
 * What a build precomputes: the LLM_PRECOMPUTE_LIMIT (default 300) most popular series always,
 * then, unless LLM_PRECOMPUTE_ALL=0, the rest of the catalogue in popularity order for the LLM.
 */
export function precomputePlan(engine: Engine, limit = numberSetting("LLM_PRECOMPUTE_LIMIT", 300)): { seriesIds: number[]; moreSeriesIds: number[] } {
  const all = mostPopularSeries(engine, engine.catalog.series.length);
  const whole = numberSetting("LLM_PRECOMPUTE_ALL", 1) !== 0;
  return { seriesIds: all.slice(0, limit), moreSeriesIds: whole ? all.slice(limit) : [] };
}

/** The `count` most popular series of the engine's catalogue (ties by id). */
export function mostPopularSeries(engine: Engine, count: number): number[] {
  return [...engine.catalog.series]
    .sort((a, b) => b.popularity - a.popularity || a.id - b.id)
    .slice(0, count)
    .map((s) => s.id);
}
