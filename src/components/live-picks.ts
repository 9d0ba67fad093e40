// Live language-model picks on the Recommend page, for any selection. Once the deterministic
// results are on screen: if this server answers POST /api/picks (GET /api/picks says live), it
// ranks with its own key; else, if the visitor gave a key (llm-settings.ts), the page asks that
// provider directly, running lib/'s proposal, rerank, validation and fusion steps. On any error
// the deterministic results stay, with a one-line notice.
import { h } from "./dom.js";
import type { ResultItem } from "./cards.js";
import type { LlmSettingsElement } from "./llm-settings.js";
import type { Recommendation } from "./recommend.js";
import { resultsView } from "./results.js";
import type { LoadedSiteData, SiteMovie, SiteSeries, SiteVectors } from "./site-data.js";
import {
  FAVOURITE_WEIGHT,
  FetchChatClient,
  RESULT_LIMIT,
  SHORTLIST_SIZE,
  buildTitleIndex,
  createRankingContext,
  filterIds,
  llmSelection,
  normaliseFilters,
  rankingInput,
  sharedGenres,
  type RankingContext,
  type RecommendState,
  type RerankCandidate,
  type TitleIndex,
} from "./lib.bundle.js";

export const API_PICKS_URL = "/api/picks";
/** Longest the page waits for the server's or the provider's picks, every call included. */
export const LIVE_DEADLINE_MS = 25_000;
const PROBE_TIMEOUT_MS = 3_000;

export type LiveHook = (rec: Recommendation, state: RecommendState, slot: HTMLElement, isCurrent: () => boolean) => void;

export interface LivePicksOptions {
  data: LoadedSiteData;
  settings: LlmSettingsElement;
  /** The server endpoint; default /api/picks on this site. */
  apiUrl?: string;
}

interface ServerProbe {
  live: boolean;
  model?: string;
}

interface LiveOutcome {
  items: ResultItem[];
  model: string;
  /** Set when the fallback answered instead of the model. */
  notice?: string;
}

/** Whether this server answers live picks; any failure (a static host's 404, no server) means no. */
async function probe(url: string): Promise<ServerProbe> {
  try {
    const response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!response.ok || !(response.headers.get("content-type") ?? "").includes("json")) return { live: false };
    const body = (await response.json()) as { live?: unknown; model?: unknown };
    return body.live === true ? { live: true, model: typeof body.model === "string" ? body.model : "the server's model" } : { live: false };
  } catch {
    return { live: false };
  }
}

function weightsOf(state: RecommendState): number[] {
  return state.seriesIds.map((id) => (state.favourites?.includes(id) ? FAVOURITE_WEIGHT : 1));
}

function item(movie: SiteMovie, rank: number, reason: string, series: readonly SiteSeries[], becauseIds: readonly number[], similarity: number | null, data: LoadedSiteData): ResultItem {
  return {
    movie,
    rank,
    similarity,
    sharedGenres: sharedGenres(series.flatMap((s) => s.genre_names), movie.genre_names),
    reason,
    // "Because you like ..." only tells something when several series share the list.
    because: series.length > 1 ? becauseIds.map((id) => data.seriesById.get(id)?.name ?? "").filter(Boolean) : [],
  };
}

/** Why the fallback answered, in a few words for the notice (never the provider's own text). */
function shortReason(fallbackReason: string | undefined): string {
  const kind = fallbackReason?.split(":")[0];
  return (
    { timeout: "it took too long", rate_limit: "it is rate-limited", auth: "the key was refused", connection: "it could not be reached", server: "it failed", request: "it refused the request (check the model)", bad_output: "its answer was unusable", config: "the settings are incomplete" }[kind ?? ""] ??
    "it did not answer"
  );
}

export function livePicks(options: LivePicksOptions): LiveHook {
  const { data, settings } = options;
  const apiUrl = options.apiUrl ?? API_PICKS_URL;
  const server = probe(apiUrl).then((result) => {
    if (result.live) settings.showServerModel(result.model!);
    return result;
  });
  let contexts: { vectors: SiteVectors; context: RankingContext } | null = null;
  let titles: TitleIndex<SiteMovie> | null = null;
  let last: Parameters<LiveHook> | null = null;
  let run = 0;

  async function fromServer(state: RecommendState, series: SiteSeries[], signal: AbortSignal): Promise<LiveOutcome> {
    const response = await fetch(apiUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ series: state.seriesIds, weights: weightsOf(state), filters: normaliseFilters(state.filters), limit: RESULT_LIMIT }),
      signal,
    });
    const body = (await response.json()) as { source?: string; model?: string | null; picks?: { id: number; reason: string; because?: number[] }[]; notice?: string; error?: string };
    if (!response.ok || !Array.isArray(body.picks)) throw new Error(body.error ?? `the server answered HTTP ${response.status}`);
    const items: ResultItem[] = [];
    for (const pick of body.picks) {
      const movie = data.movieById.get(pick.id);
      if (movie && typeof pick.reason === "string") items.push(item(movie, items.length + 1, pick.reason, series, pick.because ?? [], null, data));
    }
    if (body.source !== "llm") return { items, model: "", notice: body.notice ?? "The server's language model did not answer; showing the built-in ranking." };
    return { items, model: body.model ?? "the server's model" };
  }

  async function fromProvider(state: RecommendState, series: SiteSeries[]): Promise<LiveOutcome> {
    const chosen = settings.value!;
    const ranking = await data.ranking();
    if (!ranking.vectors) throw new Error("this build has no story vectors");
    if (contexts?.vectors !== ranking.vectors) contexts = { vectors: ranking.vectors, context: createRankingContext(data.movies, ranking.vectors) };
    titles ??= buildTitleIndex(data.movies);
    const input = rankingInput(contexts.context, {
      series: series.map((s) => ({ series: s, weight: state.favourites?.includes(s.id) ? FAVOURITE_WEIGHT : 1 })),
      allowedIds: filterIds(data.movies, state.filters),
      filters: state.filters,
      limit: RESULT_LIMIT,
      k: SHORTLIST_SIZE,
    });
    const client = new FetchChatClient({ ...chosen, timeoutMs: LIVE_DEADLINE_MS });
    const result = await llmSelection(client, input, { deadlineMs: LIVE_DEADLINE_MS, pool: { index: titles } });
    if (result.source !== "llm") return { items: [], model: chosen.model, notice: `${chosen.model} was not used: ${shortReason(result.fallbackReason)}; showing the built-in ranking.` };
    const byId = new Map<number, RerankCandidate>([...input.candidates, ...(result.added ?? [])].map((c) => [c.id, c]));
    const items: ResultItem[] = [];
    for (const pick of result.picks) {
      const movie = data.movieById.get(pick.id);
      const candidate = byId.get(pick.id);
      if (movie && candidate) items.push(item(movie, items.length + 1, pick.reason, series, candidate.because ?? [], candidate.proposal && !input.candidates.some((c) => c.id === pick.id) ? null : candidate.similarity, data));
    }
    return { items, model: result.model ?? chosen.model };
  }

  function line(slot: HTMLElement, className: string, text: string): void {
    const section = slot.querySelector("section[data-results]");
    section?.querySelector(".live-llm-line")?.remove();
    section?.prepend(h("p", { class: `live-llm-line ${className}`, role: "status" }, text));
  }

  async function apply(rec: Recommendation, state: RecommendState, slot: HTMLElement, isCurrent: () => boolean): Promise<void> {
    last = [rec, state, slot, isCurrent];
    const mine = ++run;
    const current = () => mine === run && isCurrent();
    // An empty result has nothing to rank; precomputed LLM picks are already the model's.
    if (rec.kind === "empty" || state.seriesIds.length === 0 || (rec.kind === "picks" && rec.source === "llm")) return;
    const viaServer = settings.value === null && (await server).live;
    if (!viaServer && settings.value === null) return;
    if (!current()) return;
    const series = state.seriesIds.map((id) => data.seriesById.get(id)).filter((s): s is SiteSeries => s !== undefined);
    const asking = viaServer ? "the language model on this server" : settings.value!.model;
    line(slot, "live-llm-pending", `Asking ${asking} for picks…`);
    let outcome: LiveOutcome;
    try {
      outcome = viaServer ? await fromServer(state, series, AbortSignal.timeout(LIVE_DEADLINE_MS)) : await fromProvider(state, series);
    } catch (error) {
      if (current()) line(slot, "live-llm-notice", `The language model did not answer (${error instanceof Error ? error.message : String(error)}); showing the built-in ranking.`);
      return;
    }
    if (!current()) return;
    if (outcome.notice || outcome.items.length === 0) {
      line(slot, "live-llm-notice", outcome.notice ?? "The language model returned no usable picks; showing the built-in ranking.");
      return;
    }
    const live: Recommendation = { ...rec, kind: "picks", items: outcome.items, source: "llm", model: outcome.model, generatedAt: null };
    const view = resultsView(live, { series });
    view.dataset.live = viaServer ? "server" : "visitor";
    view.querySelector(".provenance")?.replaceWith(
      h(
        "p",
        { class: "provenance llm live-llm" },
        h("span", { class: "badge" }, "Language model"),
        " Ranked by ",
        h("strong", {}, outcome.model),
        viaServer ? " on this server" : " with your key",
        ", from the movies that pass your filters; the built-in ranking is weighed in, so the model reorders but cannot push a weak match to the top.",
      ),
    );
    slot.replaceChildren(view);
  }

  // New settings re-rank what is on screen; forgotten ones bring the built-in ranking back.
  settings.addEventListener("change", () => {
    if (!last || !last[3]()) return;
    const [rec, state, slot] = last;
    if (settings.value === null && slot.querySelector("section[data-live]")) {
      run++;
      const series = state.seriesIds.map((id) => data.seriesById.get(id)).filter((s): s is SiteSeries => s !== undefined);
      slot.replaceChildren(resultsView(rec, { series }));
    }
    void apply(...last);
  });

  return (rec, state, slot, isCurrent) => void apply(rec, state, slot, isCurrent);
}
