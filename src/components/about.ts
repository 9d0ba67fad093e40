// The About page's data and model summaries, built from data/site/meta.json.
import { h } from "./dom.js";

interface SiteMetaLike {
  catalog: {
    source: "tmdb" | "import" | "demo";
    fetched_at: string;
    counts: { movies: number; series: number };
    dropped?: Record<string, number>;
    notes?: string[];
    overview_language?: string;
  };
  embedder: { id: string; dims: number } | null;
  vectors: { movies: number; series: number };
  picks: { series: number; llm_series?: number; rows: number; sources: Record<string, number>; models: string[]; generated_at: string | null };
  built_at: string;
}

const SOURCES = {
  tmdb: "fetched from the TMDB API",
  import: "imported from TMDB export files",
  demo: "the demo catalogue that ships with Marquee",
};

function when(iso: string | null | undefined): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return "an unknown date";
  return new Date(iso).toLocaleString("en", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }) + " UTC";
}

function row(label: string, value: string | Node): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value));
}

export function aboutData(meta: SiteMetaLike): HTMLElement {
  const c = meta.catalog;
  const dropped = Object.entries(c.dropped ?? {}).filter(([, n]) => n > 0);
  return h(
    "div",
    {},
    c.source === "demo"
      ? h(
          "div",
          { class: "note", role: "note" },
          h("p", {}, "This is the demo catalogue: the titles are real, but the overviews were written for Marquee and the popularity and vote figures are illustrative, not TMDB's. Set TMDB credentials and rebuild to use live TMDB data."),
        )
      : null,
    h(
      "table",
      { class: "about-table" },
      h(
        "tbody",
        {},
        row("Source", SOURCES[c.source] ?? c.source),
        row(c.source === "demo" ? "Written" : "Fetched", when(c.fetched_at)),
        row("Movies", c.counts.movies.toLocaleString("en")),
        row("TV series", c.counts.series.toLocaleString("en")),
        c.overview_language ? row("Overview language", c.overview_language) : null,
        dropped.length ? row("Left out", dropped.map(([reason, n]) => `${n.toLocaleString("en")} ${reason.replaceAll("_", " ")}`).join("; ")) : null,
        row("Site built", when(meta.built_at)),
      ),
    ),
    (c.notes ?? []).length ? h("ul", { class: "notes" }, (c.notes ?? []).map((n) => h("li", {}, n))) : null,
  );
}

/** How much of the catalogue has LLM picks; each rebuild adds the next series within the day's LLM allowance. */
export function coverage(llmSeries: number, allSeries: number): string {
  const share = allSeries > 0 ? Math.min(100, (100 * llmSeries) / allSeries) : 0;
  const percent = share > 0 && share < 1 ? "under 1" : String(Math.floor(share));
  const rest =
    llmSeries >= allSeries
      ? "Every series in the catalogue has them."
      : "Each rebuild adds the next most popular series, as far as the day's language-model allowance goes; the others are ranked live.";
  return `${llmSeries.toLocaleString("en")} of ${allSeries.toLocaleString("en")} series (${percent}%) have picks chosen by the language model. ${rest}`;
}

export function aboutModels(meta: SiteMetaLike): HTMLElement {
  const p = meta.picks;
  const llm = p.sources.llm ?? 0;
  const fallback = p.sources.fallback ?? 0;
  const models = p.models.length ? p.models.join(", ") : "a language model";
  const series = `${p.series.toLocaleString("en")} series have precomputed picks`;
  const picks =
    p.rows === 0
      ? "No picks were precomputed for this build; every recommendation is ranked live in your browser."
      : llm === 0
        ? `${series}, ranked by the deterministic ranker with reasons written from the data (no language model was configured when the site was built).`
        : `${series}: ${llm.toLocaleString("en")} picks chosen and explained by ${models}${fallback ? `, ${fallback.toLocaleString("en")} by the deterministic ranker where the model did not answer` : ""}. Generated up to ${when(p.generated_at)}.`;
  return h(
    "table",
    { class: "about-table" },
    h(
      "tbody",
      {},
      row("Story vectors", meta.embedder ? `${meta.embedder.id}, ${meta.embedder.dims} dimensions, shipped as 8-bit integers` : "none in this build"),
      row("Vectors shipped", `${meta.vectors.movies.toLocaleString("en")} movies, ${meta.vectors.series.toLocaleString("en")} series`),
      row("Language model picks", picks),
      llm > 0 && p.llm_series !== undefined ? row("Coverage", coverage(p.llm_series, meta.catalog.counts.series)) : null,
      row("Live ranking", "In your browser: cosine similarity of the story vectors, shared genres, popularity and rating; reasons written from the data."),
    ),
  );
}
