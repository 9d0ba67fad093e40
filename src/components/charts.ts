// Chart functions: data and {width} in, an SVG (or figure) out. Pure, so they render the
// same in the page (inside resize()) and in Node tests (with a linkedom document).
import * as Plot from "@observablehq/plot";
import { languageName, tvGenresToMovieGenres } from "./lib.bundle.js";

export interface ChartOptions {
  width: number;
  height?: number;
  /** For rendering outside a browser (tests); defaults to the global document. */
  document?: Document;
}

export interface TitleLike {
  genre_names: readonly string[];
  popularity: number;
  vote_average: number;
  vote_count: number;
  language: string;
  year: number | null;
}

export interface MovieLike extends TitleLike {
  title: string;
}

export const KIND_COLORS = { domain: ["Movies", "Series"], range: ["#4269d0", "#ff725c"] };

/**
 * Narrowest chart we draw. `resize` can report a few dozen pixels while a card is still being
 * laid out (seen at 375 px), and bars inside a 110 px label margin would get negative widths.
 */
export const MIN_CHART_WIDTH = 280;

function base(options: ChartOptions) {
  return { width: Math.max(MIN_CHART_WIDTH, options.width), ...(options.document ? { document: options.document } : {}) };
}

/**
 * Accessibility: every chart's <svg> carries a name and a one-line summary (Plot's plot-level
 * `ariaLabel`/`ariaDescription`), and its marks are hidden from assistive technology with
 * Plot's `ariaHidden` mark option. Plot names each mark's <g> after its type ("dot", "tip"),
 * which is noise to a screen reader and an ARIA error on a <g> without a role (axe:
 * aria-prohibited-attr). Axes stay exposed: their tick labels are text.
 */
const HIDDEN = { ariaHidden: "true" };

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The one-line summaries the charts carry as their aria-description (exported for tests). */
export const chartSummary = {
  results(points: readonly ResultPoint[]): string {
    const shown = points.filter((p) => p.picked).length;
    const best = [...points].sort((a, b) => b.similarity - a.similarity)[0];
    return points.length === 0
      ? "No candidates to plot."
      : `${plural(points.length, "shortlisted movie")}, ${shown} of them shown below (stars). Most similar: ${best.title}${best.year ? ` (${best.year})` : ""}, similarity ${best.similarity.toFixed(2)}.`;
  },
};

export interface ResultPoint {
  title: string;
  year: number | null;
  similarity: number;
  popularity: number;
  vote_average: number;
  /** The first genre the movie shares with the chosen series, or "No shared genre". */
  sharedGenre: string;
  /** Whether the movie is one of the cards shown (the rest are other shortlisted candidates). */
  picked: boolean;
}

/** Similarity to the chosen series against popularity (log), coloured by shared genre. */
export function resultsChart(points: readonly ResultPoint[], options: ChartOptions) {
  return Plot.plot({
    ...base(options),
    ariaLabel: "Similarity to your series against popularity, one point per candidate movie",
    ariaDescription: chartSummary.results(points),
    height: options.height ?? 320,
    marginLeft: 48,
    grid: true,
    x: { label: "Similarity to your series →", nice: true },
    y: { type: "log", label: "↑ Popularity (TMDB, log scale)" },
    color: { legend: true, label: "Shared genre" },
    symbol: { legend: true, domain: ["Shown below", "Other candidates"], range: ["star", "circle"] },
    marks: [
      Plot.dot(points, {
        x: "similarity",
        y: (d: ResultPoint) => Math.max(0.1, d.popularity),
        fill: "sharedGenre",
        symbol: (d: ResultPoint) => (d.picked ? "Shown below" : "Other candidates"),
        r: (d: ResultPoint) => (d.picked ? 7 : 4),
        fillOpacity: (d: ResultPoint) => (d.picked ? 1 : 0.55),
        stroke: "var(--theme-background)",
        strokeWidth: 0.5,
        channels: { Title: "title", Year: "year", Rating: "vote_average" },
        ...HIDDEN,
        tip: { ...HIDDEN, format: { x: ".2f", y: ".1f", r: false, fillOpacity: false, symbol: false } },
      }),
    ],
  });
}

function explodeGenres<T extends TitleLike>(rows: readonly T[], genresOf: (row: T) => readonly string[] = (r) => r.genre_names) {
  const out: { genre: string; row: T }[] = [];
  for (const row of rows) for (const genre of genresOf(row)) out.push({ genre, row });
  return out;
}

/** Box plot of movie popularity per genre, log scale, genres by median. */
export function popularityByGenreChart(movies: readonly TitleLike[], options: ChartOptions) {
  const rows = explodeGenres(movies.filter((m) => m.popularity > 0)).map(({ genre, row }) => ({ genre, popularity: row.popularity }));
  const genres = new Set(rows.map((r) => r.genre)).size;
  const byGenre = new Map<string, number[]>();
  for (const r of rows) byGenre.set(r.genre, [...(byGenre.get(r.genre) ?? []), r.popularity]);
  const medians = [...byGenre].map(([genre, values]) => ({ genre, median: median(values) })).sort((a, b) => b.median - a.median);
  return Plot.plot({
    ...base(options),
    ariaLabel: "Movie popularity by genre, box plot",
    ariaDescription: medians.length
      ? `${plural(genres, "genre")}; median popularity is highest for ${medians[0].genre} (${medians[0].median.toFixed(1)}) and lowest for ${medians[medians.length - 1].genre} (${medians[medians.length - 1].median.toFixed(1)}).`
      : "No movies with a popularity to plot.",
    height: options.height ?? Math.max(160, 28 * genres + 50),
    marginLeft: 110,
    x: { type: "log", label: "Popularity (TMDB, log scale) →", grid: true },
    y: { label: null },
    marks: [Plot.boxX(rows, { x: "popularity", y: "genre", sort: { y: "x", reverse: true }, fill: KIND_COLORS.range[0], ...HIDDEN })],
  });
}

/**
 * Share of movies and of series in each movie genre. Series genres are mapped onto movie
 * genres first (Sci-Fi & Fantasy counts as Science Fiction and Fantasy), as the recommender does.
 */
export function genreSharesChart(movies: readonly TitleLike[], series: readonly TitleLike[], options: ChartOptions) {
  const count = (rows: readonly TitleLike[], kind: string, map: (g: readonly string[]) => readonly string[]) => {
    const counts = new Map<string, number>();
    for (const row of rows) for (const g of map(row.genre_names)) counts.set(g, (counts.get(g) ?? 0) + 1);
    return [...counts].map(([genre, n]) => ({ genre, kind, count: n, share: rows.length ? n / rows.length : 0 }));
  };
  const rows = [...count(movies, "Movies", (g) => g), ...count(series, "Series", tvGenresToMovieGenres)];
  const genres = new Set(rows.map((r) => r.genre)).size;
  const top = (kind: string) => rows.filter((r) => r.kind === kind).sort((a, b) => b.share - a.share)[0];
  const describe = (kind: string) => {
    const t = top(kind);
    return t ? `${kind.toLowerCase()}: ${t.genre} (${(t.share * 100).toFixed(0)}%)` : `no ${kind.toLowerCase()}`;
  };
  return Plot.plot({
    ...base(options),
    ariaLabel: "Share of movies and of series in each genre",
    ariaDescription: `${plural(genres, "genre")}. Most common genre for ${describe("Movies")}; for ${describe("Series")}.`,
    height: options.height ?? Math.max(160, 24 * genres + 60),
    marginLeft: 110,
    x: { label: "Share of titles with the genre →", percent: true, grid: true },
    y: { label: null },
    color: { ...KIND_COLORS, legend: true },
    marks: [
      Plot.ruleY(rows, Plot.groupY({ x1: "min", x2: "max" }, { y: "genre", x: "share", strokeOpacity: 0.4, ...HIDDEN })),
      Plot.dot(rows, {
        x: "share",
        y: "genre",
        fill: "kind",
        r: 5,
        sort: { y: "x", reverse: true },
        channels: { Titles: "count" },
        ...HIDDEN,
        tip: { ...HIDDEN, format: { x: (d: number) => `${(d * 100).toFixed(1)}%` } },
      }),
    ],
  });
}

/** Titles per original language (movies and series stacked), the `top` languages by title count. */
export function languagesChart(movies: readonly TitleLike[], series: readonly TitleLike[], options: ChartOptions & { top?: number }) {
  const top = options.top ?? 12;
  const tally = (rows: readonly TitleLike[]) => {
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.language, (counts.get(row.language) ?? 0) + 1);
    return counts;
  };
  const movieCounts = tally(movies);
  const seriesCounts = tally(series);
  const languages = [...new Set([...movieCounts.keys(), ...seriesCounts.keys()])]
    .sort((a, b) => (movieCounts.get(b) ?? 0) + (seriesCounts.get(b) ?? 0) - ((movieCounts.get(a) ?? 0) + (seriesCounts.get(a) ?? 0)) || a.localeCompare(b))
    .slice(0, top);
  const rows = languages.flatMap((code) => [
    { language: languageName(code), kind: "Movies", count: movieCounts.get(code) ?? 0 },
    { language: languageName(code), kind: "Series", count: seriesCounts.get(code) ?? 0 },
  ]);
  const described = languages
    .slice(0, 3)
    .map((code) => `${languageName(code)} (${plural(movieCounts.get(code) ?? 0, "movie")}, ${plural(seriesCounts.get(code) ?? 0, "series", "series")})`);
  return Plot.plot({
    ...base(options),
    ariaLabel: `Titles per original language, the ${languages.length} most common`,
    ariaDescription: described.length ? `Most common: ${described.join("; ")}.` : "No titles to plot.",
    height: options.height ?? 24 * languages.length + 60,
    marginLeft: 100,
    x: { label: "Titles →", grid: true },
    y: { label: null, domain: languages.map((code) => languageName(code)) },
    color: { ...KIND_COLORS, legend: true },
    marks: [Plot.barX(rows, { x: "count", y: "language", fill: "kind", ...HIDDEN, tip: HIDDEN }), Plot.ruleX([0], HIDDEN)],
  });
}

/** Titles per release (or first air) year, movies and series stacked. */
export function releaseYearsChart(movies: readonly TitleLike[], series: readonly TitleLike[], options: ChartOptions) {
  const rows = [
    ...movies.filter((m) => m.year !== null).map((m) => ({ year: m.year as number, kind: "Movies" })),
    ...series.filter((s) => s.year !== null).map((s) => ({ year: s.year as number, kind: "Series" })),
  ];
  const years = rows.map((r) => r.year);
  const count = (kind: string) => rows.filter((r) => r.kind === kind).length;
  return Plot.plot({
    ...base(options),
    ariaLabel: "Titles per release year, movies and series stacked",
    ariaDescription: years.length
      ? `${plural(count("Movies"), "movie")} and ${plural(count("Series"), "series", "series")} released from ${Math.min(...years)} to ${Math.max(...years)}.`
      : "No titles with a release year.",
    height: options.height ?? 240,
    x: { label: "Year →", tickFormat: "d" },
    y: { label: "↑ Titles", grid: true },
    color: { ...KIND_COLORS, legend: true },
    marks: [
      Plot.rectY(rows, Plot.binX<Plot.RectYOptions>({ y: "count" }, { x: { value: "year", interval: 1 }, fill: "kind", ...HIDDEN, tip: HIDDEN })),
      Plot.ruleY([0], HIDDEN),
    ],
  });
}

/** Vote average against popularity (log) for movies, with a tooltip per title. */
export function voteVsPopularityChart(movies: readonly MovieLike[], options: ChartOptions) {
  const rows = movies.filter((m) => m.popularity > 0 && m.vote_count > 0);
  const best = [...rows].sort((a, b) => b.vote_average - a.vote_average || b.vote_count - a.vote_count)[0];
  return Plot.plot({
    ...base(options),
    ariaLabel: "Vote average against popularity, one dot per rated movie",
    ariaDescription: best
      ? `${plural(rows.length, "rated movie")}; the highest rated is ${best.title}${best.year ? ` (${best.year})` : ""} at ${best.vote_average.toFixed(1)}, median popularity ${median(rows.map((m) => m.popularity)).toFixed(1)}.`
      : "No rated movies to plot.",
    height: options.height ?? 360,
    grid: true,
    x: { type: "log", label: "Popularity (TMDB, log scale) →" },
    y: { label: "↑ Vote average", domain: [0, 10] },
    r: { range: [1, 6], label: "Votes" },
    marks: [
      Plot.dot(rows, {
        x: "popularity",
        y: "vote_average",
        r: "vote_count",
        fill: KIND_COLORS.range[0],
        fillOpacity: 0.35,
        channels: { Title: "title", Year: "year", Votes: "vote_count" },
        ...HIDDEN,
        tip: { ...HIDDEN, format: { x: ".1f", y: ".1f", r: false } },
      }),
    ],
  });
}
