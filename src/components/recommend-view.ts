// The Recommend page's output: results, quick start and chart, kept in step with the
// controls. Input events are handled here directly rather than through the reactive
// runtime, which waits for animation frames between cells: an input change reaches new
// results in one pass (the benchmark's input-change figure), and a late answer for an
// older input never overwrites a newer one.
import { card, h } from "./dom.js";
import { resultsChart } from "./charts.js";
import type { ControlsElement } from "./controls.js";
import type { MovieDatabase } from "./database.js";
import { quickStart } from "./quick-start.js";
import { computeRecommendation, type FilterEngine } from "./recommend.js";
import { resultsView } from "./results.js";
import type { LoadedSiteData } from "./site-data.js";
import type { RecommendState } from "./lib.bundle.js";

export interface RecommendViewOptions {
  data: LoadedSiteData;
  controls: ControlsElement;
  /** DuckDB-WASM; until it resolves the page filters the decoded rows itself. */
  database: Promise<MovieDatabase>;
  /** Framework's resize(), so the chart follows the card's width. */
  resize: (render: (width: number) => Node) => Node;
  /** Called with every state shown (the page mirrors it into the URL). */
  onState?: (state: RecommendState) => void;
}

export function recommendView(options: RecommendViewOptions): HTMLElement {
  const { data, controls } = options;
  const root = h("div", { class: "recommend-output" });
  const start = h("div", { class: "quick-start-slot" });
  const results = h("div", { class: "results-slot" });
  const chart = h("div", { class: "chart-slot" });
  root.append(start, results, chart);

  let engine: FilterEngine = { kind: "js" };
  let latest = 0;

  async function update() {
    const run = ++latest;
    const state = controls.value;
    options.onState?.(state);
    const outcome = await computeRecommendation(data, state, engine);
    if (run !== latest) return;
    const chosen = state.seriesIds.map((id) => data.seriesById.get(id)).filter((s) => s !== undefined);
    start.replaceChildren(...(state.seriesIds.length ? [] : [quickStart(data, controls)]));
    results.replaceChildren(resultsView(outcome.rec, { series: chosen, elapsedMs: outcome.elapsedMs }));
    chart.replaceChildren(
      ...(outcome.rec.points.length
        ? [card("How the candidates compare", "Story similarity against popularity; stars are the movies shown above", options.resize((width) => resultsChart(outcome.rec.points, { width })))]
        : []),
    );
  }

  function failed(error: unknown) {
    results.replaceChildren(
      h("div", { class: "empty-state", role: "alert" }, h("p", {}, `Something went wrong while ranking: ${error instanceof Error ? error.message : String(error)}. Change an input to try again.`)),
    );
  }

  const refresh = () => void update().catch(failed);
  controls.addEventListener("input", refresh);
  options.database.then(
    (db) => {
      engine = { kind: "duckdb", db };
      refresh();
    },
    (error) => {
      engine = { kind: "failed", error };
      refresh();
    },
  );
  refresh();
  return root;
}
