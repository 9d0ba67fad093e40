// Pieces of the Explore page that are not charts.
import { h } from "./dom.js";
import { languageName } from "./lib.bundle.js";

export interface LanguageOption {
  code: string | null;
  label: string;
}

/** "All languages", then the catalogue's languages by movie count. */
export function languageOptions(movies: readonly { language: string }[]): LanguageOption[] {
  const counts = new Map<string, number>();
  for (const m of movies) counts.set(m.language, (counts.get(m.language) ?? 0) + 1);
  return [
    { code: null, label: "All languages" },
    ...[...counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([code, n]) => ({ code, label: `${languageName(code)} (${n.toLocaleString("en")})` })),
  ];
}

function figure(label: string, value: string, note?: string): HTMLElement {
  return h("div", { class: "card" }, h("h2", {}, label), h("span", { class: "big" }, value), note ? h("p", { class: "figure-note" }, note) : null);
}

/** The headline numbers above the charts. */
export function figures(
  movies: readonly { vote_average: number; popularity: number }[],
  series: readonly unknown[],
  totalMovies: number,
): HTMLElement {
  const median = (values: number[]) => {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const format = (n: number, digits = 1) => (Number.isFinite(n) ? n.toLocaleString("en", { maximumFractionDigits: digits }) : "–");
  return h(
    "div",
    { class: "figures" },
    figure("Movies shown", movies.length.toLocaleString("en"), `of ${totalMovies.toLocaleString("en")} in the catalogue`),
    figure("Series shown", series.length.toLocaleString("en")),
    figure("Median rating", format(median(movies.map((m) => m.vote_average))), "TMDB vote average, out of 10"),
    figure("Median popularity", format(median(movies.map((m) => m.popularity)))),
  );
}

/**
 * Inputs.range labels its number box only; the slider beside it gets the same name here,
 * so screen readers announce both.
 */
export function labelled<T extends HTMLElement>(input: T): T {
  const text = input.querySelector("label")?.textContent?.trim();
  if (text) {
    for (const control of input.querySelectorAll<HTMLInputElement>("input, select")) {
      if (!control.labels?.length && !control.getAttribute("aria-label")) control.setAttribute("aria-label", text);
    }
  }
  return input;
}
