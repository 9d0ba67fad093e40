// The results block of the Recommend page: where the picks come from, then the cards (or
// what to change when there are none). Tests and the benchmark read its data- attributes.
import { resultCards } from "./cards.js";
import { append, h } from "./dom.js";
import type { Recommendation } from "./recommend.js";
import type { SiteSeries } from "./site-data.js";

let version = 0;

function names(series: readonly SiteSeries[]): string {
  const list = series.map((s) => s.name);
  if (list.length <= 1) return list.join("");
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

function day(iso: string | null): string | null {
  if (!iso || Number.isNaN(Date.parse(iso))) return null;
  return new Date(iso).toLocaleDateString("en", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
}

/** One sentence on who chose these movies and how, so precomputed and live results differ visibly. */
export function provenance(rec: Recommendation): HTMLElement {
  if (rec.kind === "picks" && rec.source === "llm") {
    const when = day(rec.generatedAt);
    return h(
      "p",
      { class: "provenance llm" },
      h("span", { class: "badge" }, "Language model"),
      " Chosen and explained by ",
      h("strong", {}, rec.model ?? "a language model"),
      when ? ` on ${when}` : "",
      ", from a shortlist of movies with similar stories. Change a filter or add a series to rank live in your browser instead.",
    );
  }
  if (rec.kind === "picks") {
    return h(
      "p",
      { class: "provenance precomputed" },
      h("span", { class: "badge" }, "Precomputed"),
      " Ranked when the site was built, with reasons written from the data (no language model was configured). Change a filter or add a series to rank live.",
    );
  }
  return h(
    "p",
    { class: "provenance live" },
    h("span", { class: "badge" }, "Live ranking"),
    " Filtered and ranked in your browser by story similarity, shared genres, popularity and rating, as the command line ranks; reasons are written from the data, not by a language model.",
  );
}

export interface ResultsViewOptions {
  series: readonly SiteSeries[];
  /** The "more like this" movie the list starts from, and how to leave it. */
  movie?: { title: string; leave: () => void };
  /** Titles of the liked and disliked movies that shaped the list (fan-state.ts). */
  shapedBy?: { likes: string[]; dislikes: string[] };
  /** Milliseconds the computation took, shown for the curious. */
  elapsedMs?: number;
}

export function resultsView(rec: Recommendation, options: ResultsViewOptions): HTMLElement {
  version += 1;
  const root = h("section", {
    class: "results",
    "data-results": "",
    "data-version": version,
    "data-kind": rec.kind,
    "data-engine": rec.engine,
    "data-count": rec.items.length,
    "data-rendered-at": performance.now().toFixed(1),
    "data-elapsed": options.elapsedMs?.toFixed(1),
  });
  if (rec.kind === "empty") {
    root.append(h("div", { class: "empty-state" }, h("p", {}, rec.message ?? "No results."), rec.notes.map((n) => h("p", { class: "result-note" }, n))));
    return root;
  }
  const heading = options.movie
    ? `More like ${options.movie.title}${options.series.length ? `, for fans of ${names(options.series)}` : ""}`
    : options.series.length
      ? `Because you like ${names(options.series)}`
      : "Picks";
  const shaped = options.shapedBy && (options.shapedBy.likes.length || options.shapedBy.dislikes.length) ? options.shapedBy : null;
  const matching =
    rec.matching === null ? null : `${rec.matching.toLocaleString("en")} movie${rec.matching === 1 ? "" : "s"} pass your filters; the best ${rec.items.length} are shown.`;
  const timing = options.elapsedMs === undefined ? null : ` (${Math.max(1, Math.round(options.elapsedMs))} ms)`;
  append(root, [
    h("h2", {}, heading),
    options.movie ? h("button", { type: "button", class: "card-action", "data-leave-movie": "", onclick: options.movie.leave }, "Back to your series") : null,
    shaped
      ? h(
          "p",
          { class: "shaped-by", "data-shaped-by": "" },
          [shaped.likes.length ? `Shaped by what you liked: ${shaped.likes.join(", ")}.` : "", shaped.dislikes.length ? ` Moved away from what you disliked: ${shaped.dislikes.join(", ")}.` : ""].join("").trim(),
          " Undo any of it under Liked and Hidden.",
        )
      : null,
    provenance(rec),
    matching ? h("p", { class: "matching" }, matching, timing) : null,
    rec.notes.map((n) => h("p", { class: "result-note" }, n)),
    resultCards(rec.items),
  ]);
  return root;
}

/**
 * What the page's live region says when new results are shown (this block is replaced as a
 * whole, so it is no live region itself): "Showing 10 movies for Breaking Bad and Fargo."
 */
export function resultsAnnouncement(rec: Recommendation, series: readonly SiteSeries[]): string {
  if (rec.kind === "empty") return rec.message ?? "No results.";
  const movies = `${rec.items.length} movie${rec.items.length === 1 ? "" : "s"}`;
  return series.length ? `Showing ${movies} for ${names(series)}.` : `Showing ${movies}.`;
}
