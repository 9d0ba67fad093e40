// The Recommend page's output: results, quick start and chart, kept in step with the
// controls. Input events are handled here directly rather than through the reactive
// runtime, which waits for animation frames between cells: an input change reaches new
// results in one pass (the benchmark's input-change figure), and a late answer for an
// older input never overwrites a newer one.
import { card, h } from "./dom.js";
import type { ControlsElement } from "./controls.js";
import { quickStart } from "./quick-start.js";
import { computeRecommendation, needsRanking, type Recommendation } from "./recommend.js";
import { announce, liveRegion } from "./live-region.js";
import { resultsAnnouncement, resultsView } from "./results.js";
import type { LoadedSiteData, SiteSeries } from "./site-data.js";
import type { RecommendState } from "./lib.bundle.js";
import { MORE_LIKE_THIS_EVENT } from "./card-actions.js";
import { fanFeedback, fanStore } from "./fan-state.js";
import { hiddenList } from "./hidden-list.js";
import { historyImport } from "./history-import.js";
import { notOnMyServices, providerSettings } from "./providers.js";

export interface RecommendViewOptions {
  data: LoadedSiteData;
  controls: ControlsElement;
  /** Framework's resize(), so the chart follows the card's width. */
  resize: (render: (width: number) => Node) => Node;
  /** Called with every state shown (the page mirrors it into the URL). */
  onState?: (state: RecommendState) => void;
  /** Live language-model picks (live-picks.ts), run once the deterministic results are shown. */
  live?: (rec: Recommendation, state: RecommendState, slot: HTMLElement, isCurrent: () => boolean) => void;
  /** The "more like this" movie from the link (?movie=<id>). */
  movie?: number;
  /** Regions the catalogue has watch providers for (meta.json); none hides the feature. */
  providerRegions?: string[];
  /** Called once the page is idle after results were shown (the page keeps them for a repeat visit, results-snapshot.ts). */
  onShown?: (rec: Recommendation, series: SiteSeries[], shapedBy: { likes: string[]; dislikes: string[] }) => void;
}

/**
 * Up to this many movies the page fetches every movie's texts ahead (about 2.5 MB at 20,000),
 * so a change fetches nothing; past it, a change fetches its 30 candidates' records (one
 * request) instead of a visitor downloading megabytes they may never need (4.4 MB at 100k).
 */
export const PREFETCH_TEXTS_MAX_MOVIES = 20_000;

/** Runs `work` when the page is idle (soon, where there is no requestIdleCallback). */
function idle(work: () => void): void {
  const request = (globalThis as { requestIdleCallback?: (run: () => void) => void }).requestIdleCallback;
  if (request) request(work);
  else setTimeout(work, 200);
}

export function recommendView(options: RecommendViewOptions): HTMLElement {
  const { data, controls } = options;
  const root = h("div", { class: "recommend-output" });
  const start = h("div", { class: "quick-start-slot" });
  const results = h("div", { class: "results-slot" });
  const chart = h("div", { class: "chart-slot" });
  // The visitor's own tools: where to watch, history import, what they hid or liked (fan-state.ts).
  const regions = options.providerRegions ?? [];
  const titleOf = (id: number) => data.movieById.get(id)?.title ?? null;
  const fans = h(
    "div",
    { class: "fan-tools" },
    providerSettings(regions, () => data.texts().then(() => data.movies)),
    historyImport(() => ({ movies: data.movies, series: data.series.map((s) => ({ id: s.id, title: s.name, year: s.year, popularity: s.popularity })) })),
    hiddenList(titleOf),
  );
  root.append(liveRegion(), fans, start, results, chart);
  let movie = options.movie;

  let latest = 0;
  // Results are announced after a visitor's change, not on load.
  let changedByVisitor = false;

  async function update() {
    const run = ++latest;
    const state: RecommendState = { ...controls.value, ...(movie !== undefined ? { movie } : {}) };
    options.onState?.(state);
    const marks = fanStore().get();
    const feedback = fanFeedback(marks);
    const services = notOnMyServices(data.movies, marks, regions);
    if (services.length) feedback.exclude = [...feedback.exclude, ...services];
    // Live ranking first needs the texts and vectors (fetched once); say so instead of a blank slot.
    if (needsRanking(data, state) && !results.querySelector("section[data-results]")) {
      results.replaceChildren(h("p", { class: "results-loading", role: "status" }, "Loading the story data to rank movies for your series…"));
    }
    const outcome = await computeRecommendation(data, state, feedback);
    if (run !== latest) return;
    afterFirstResults(outcome.rec.kind === "ranked");
    const chosen = state.seriesIds.map((id) => data.seriesById.get(id)).filter((s) => s !== undefined);
    // A quick-start button that goes away with the list must not drop focus to the page.
    const focusWasInStart = start.contains(document.activeElement);
    start.replaceChildren(...(state.seriesIds.length ? [] : [quickStart(data, controls)]));
    const startTitle = movie === undefined ? undefined : titleOf(movie);
    const leave = () => {
      movie = undefined;
      changedByVisitor = true;
      refresh();
    };
    const named = (ids: number[]) => ids.map(titleOf).filter((t): t is string => t !== null);
    const shapedBy = { likes: named(marks.likes), dislikes: named(marks.dislikes) };
    results.replaceChildren(
      resultsView(outcome.rec, {
        series: chosen,
        elapsedMs: outcome.elapsedMs,
        ...(startTitle ? { movie: { title: startTitle, leave } } : {}),
        shapedBy,
      }),
    );
    if (options.onShown && !startTitle) {
      const shown = outcome.rec;
      idle(() => {
        if (run === latest) options.onShown!(shown, chosen, shapedBy);
      });
    }
    if (outcome.ranking) results.querySelector<HTMLElement>("section[data-results]")?.setAttribute("data-ranking", outcome.ranking);
    options.live?.(outcome.rec, state, results, () => run === latest);
    if (focusWasInStart && !start.contains(document.activeElement)) focusResults();
    if (changedByVisitor) announce(resultsAnnouncement(outcome.rec, chosen), "results");
    changedByVisitor = false;
    const points = outcome.rec.points;
    if (!points.length) chart.replaceChildren();
    else drawChart(points, () => run === latest).catch(() => chart.replaceChildren(h("p", { class: "result-note" }, "The chart could not be loaded. Reload the page to try again.")));
  }

  // Plot, and d3 with it, is most of the page's JavaScript: it loads after the first results,
  // for the chart below them, instead of delaying every first view.
  let charts: Promise<typeof import("./charts.js")> | null = null;
  async function drawChart(points: Recommendation["points"], isCurrent: () => boolean) {
    charts ??= import("./charts.js");
    const { chartText, resultsChart, textAlternative } = await charts.catch((error) => {
      charts = null;
      throw error;
    });
    if (!isCurrent()) return;
    chart.replaceChildren(
      card(
        "How the candidates compare",
        "Story similarity against popularity; stars are the movies shown above",
        options.resize((width) => resultsChart(points, { width })),
        textAlternative(chartText.results(points)),
      ),
    );
  }

  /** Moves focus to the new results' heading (focusable by script only). */
  function focusResults() {
    const heading = results.querySelector<HTMLElement>("h2, .empty-state");
    if (!heading) return;
    heading.tabIndex = -1;
    heading.focus();
  }

  function failed(error: unknown) {
    results.replaceChildren(
      h("div", { class: "empty-state", role: "alert" }, h("p", {}, `Something went wrong while ranking: ${error instanceof Error ? error.message : String(error)}. Change an input to try again.`)),
    );
  }

  const refresh = () => void update().catch(failed);
  controls.addEventListener("input", () => {
    changedByVisitor = true;
    refresh();
  });
  // The first view needs neither every text nor the vectors: the signal lists and the cards'
  // own texts rank it. Once it is shown, the rest of the first-view data (picks.arrow, when a
  // live link left it for later) loads while the page is idle, and after live-ranked results
  // every movie's text too, so the next change fetches nothing; the vectors only when a
  // ranking needs them (feedback, a start movie, a filter too narrow for the lists).
  const prefetchTexts = () => {
    if (data.movies.length <= PREFETCH_TEXTS_MAX_MOVIES) void data.texts().catch(() => undefined);
  };
  let idleStarted = false;
  function afterFirstResults(ranked: boolean) {
    if (idleStarted) return;
    idleStarted = true;
    idle(() => {
      void data.loadPicks().catch(() => undefined);
      if (ranked) prefetchTexts();
    });
  }
  // A visitor reaching for the controls is about to need every text: start now, not at idle.
  const prefetch = () => prefetchTexts();
  controls.addEventListener("pointerdown", prefetch, { once: true });
  controls.addEventListener("focusin", prefetch, { once: true });
  // A mark (seen, like, ...) or a restore reshapes the list at once.
  fanStore().subscribe(() => {
    changedByVisitor = true;
    refresh();
  });
  root.addEventListener(MORE_LIKE_THIS_EVENT, (event) => {
    movie = (event as CustomEvent<number>).detail;
    changedByVisitor = true;
    refresh();
    results.scrollIntoView?.({ block: "start" });
  });
  // The cards' providers are in the movies' texts: show them once they arrive.
  if (regions.length) void data.texts().then(refresh, () => undefined);
  refresh();
  return root;
}
