// Chart functions: data and {width} in, an SVG (or figure) out. Pure, so they render the
// same in the page (inside resize()) and in Node tests (with a linkedom document). Beside
// each chart, its text alternative from the same data (`chartText`, `textAlternative`): a
// one-line summary and the figures as a table, outside resize() since they do not depend on width.
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

/** The p-quantile of ascending values, interpolated as d3.quantile (and so Plot's box plot) does. */
function quantile(sorted: readonly number[], p: number): number {
  const at = (sorted.length - 1) * p;
  const low = Math.floor(at);
  return low + 1 < sorted.length ? sorted[low] + (sorted[low + 1] - sorted[low]) * (at - low) : sorted[low];
}

function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/**
 * A chart's text alternative: the one-line summary (also the chart's aria-description) and
 * the data it draws as a table, so a screen-reader user, or anyone who prefers figures to
 * shapes, gets what the chart shows.
 */
export interface ChartText {
  summary: string;
  /** The table's caption. */
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}

const fixed = (n: number, digits = 1) => Number(n.toFixed(digits));
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

function genreMedians(movies: readonly TitleLike[]) {
  const byGenre = new Map<string, number[]>();
  for (const { genre, row } of explodeGenres(movies.filter((m) => m.popularity > 0))) {
    const values = byGenre.get(genre) ?? [];
    values.push(row.popularity);
    byGenre.set(genre, values);
  }
  return [...byGenre]
    .map(([genre, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { genre, sorted, median: quantile(sorted, 0.5) };
    })
    .sort((a, b) => b.median - a.median || a.genre.localeCompare(b.genre));
}

function genreShareRows(movies: readonly TitleLike[], series: readonly TitleLike[]) {
  const count = (rows: readonly TitleLike[], kind: string, map: (g: readonly string[]) => readonly string[]) => {
    const counts = new Map<string, number>();
    for (const row of rows) for (const g of map(row.genre_names)) counts.set(g, (counts.get(g) ?? 0) + 1);
    return [...counts].map(([genre, n]) => ({ genre, kind, count: n, share: rows.length ? n / rows.length : 0 }));
  };
  return [...count(movies, "Movies", (g) => g), ...count(series, "Series", tvGenresToMovieGenres)];
}

function languageCounts(movies: readonly TitleLike[], series: readonly TitleLike[], top: number) {
  const tally = (rows: readonly TitleLike[]) => {
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.language, (counts.get(row.language) ?? 0) + 1);
    return counts;
  };
  const movieCounts = tally(movies);
  const seriesCounts = tally(series);
  const total = (code: string) => (movieCounts.get(code) ?? 0) + (seriesCounts.get(code) ?? 0);
  return [...new Set([...movieCounts.keys(), ...seriesCounts.keys()])]
    .sort((a, b) => total(b) - total(a) || a.localeCompare(b))
    .slice(0, top)
    .map((code) => ({ code, name: languageName(code), movies: movieCounts.get(code) ?? 0, series: seriesCounts.get(code) ?? 0 }));
}

/** Movies the rating chart can place: some popularity (log scale) and some votes. */
function ratedMovies<T extends TitleLike>(movies: readonly T[]): T[] {
  return movies.filter((m) => m.popularity > 0 && m.vote_count > 0);
}

/** Each chart's summary and table, from the same data the chart draws (exported for the pages and tests). */
export const chartText = {
  /** The rating chart has one dot per movie, thousands of them: a summary, no table. */
  votes(movies: readonly MovieLike[]): ChartText {
    const rows = ratedMovies(movies);
    const best = [...rows].sort((a, b) => b.vote_average - a.vote_average || b.vote_count - a.vote_count)[0];
    return {
      summary: best
        ? `${plural(rows.length, "rated movie")}; the highest rated is ${best.title}${best.year ? ` (${best.year})` : ""} at ${best.vote_average.toFixed(1)}, median popularity ${median(rows.map((m) => m.popularity)).toFixed(1)}.`
        : "No rated movies to plot.",
      caption: "",
      columns: [],
      rows: [],
    };
  },

  results(points: readonly ResultPoint[]): ChartText {
    const shown = points.filter((p) => p.picked).length;
    const sorted = [...points].sort((a, b) => b.similarity - a.similarity);
    const best = sorted[0];
    return {
      summary:
        points.length === 0
          ? "No candidates to plot."
          : `${plural(points.length, "shortlisted movie")}, ${shown} of them shown below (stars). Most similar: ${best.title}${best.year ? ` (${best.year})` : ""}, similarity ${best.similarity.toFixed(2)}.`,
      caption: "Shortlisted movies by similarity to your series",
      columns: ["Movie", "Year", "Similarity", "Popularity", "Shared genre", "Shown"],
      rows: sorted.map((p) => [p.title, p.year ?? "–", p.similarity.toFixed(2), fixed(p.popularity), p.sharedGenre, p.picked ? "yes" : "no"]),
    };
  },

  popularityByGenre(movies: readonly TitleLike[]): ChartText {
    const medians = genreMedians(movies);
    const last = medians[medians.length - 1];
    return {
      summary: medians.length
        ? `${plural(medians.length, "genre")}; median popularity is highest for ${medians[0].genre} (${medians[0].median.toFixed(1)}) and lowest for ${last.genre} (${last.median.toFixed(1)}).`
        : "No movies with a popularity to plot.",
      caption: "Movie popularity by genre (TMDB popularity)",
      columns: ["Genre", "Movies", "Lowest", "Lower quartile", "Median", "Upper quartile", "Highest"],
      rows: medians.map(({ genre, sorted }) => [
        genre,
        sorted.length,
        fixed(sorted[0]),
        fixed(quantile(sorted, 0.25)),
        fixed(quantile(sorted, 0.5)),
        fixed(quantile(sorted, 0.75)),
        fixed(sorted[sorted.length - 1]),
      ]),
    };
  },

  genreShares(movies: readonly TitleLike[], series: readonly TitleLike[]): ChartText {
    const rows = genreShareRows(movies, series);
    const genres = [...new Set(rows.map((r) => r.genre))];
    const share = (genre: string, kind: string) => rows.find((r) => r.genre === genre && r.kind === kind)?.share ?? 0;
    const describe = (kind: string) => {
      const t = rows.filter((r) => r.kind === kind).sort((a, b) => b.share - a.share)[0];
      return t ? `${kind.toLowerCase()}: ${t.genre} (${(t.share * 100).toFixed(0)}%)` : `no ${kind.toLowerCase()}`;
    };
    return {
      summary: `${plural(genres.length, "genre")}. Most common genre for ${describe("Movies")}; for ${describe("Series")}.`,
      caption: "Share of movies and of series in each genre",
      columns: ["Genre", "Movies", "Series"],
      rows: genres
        .sort((a, b) => share(b, "Movies") - share(a, "Movies") || a.localeCompare(b))
        .map((genre) => [genre, percent(share(genre, "Movies")), percent(share(genre, "Series"))]),
    };
  },

  languages(movies: readonly TitleLike[], series: readonly TitleLike[], top = 12): ChartText {
    const languages = languageCounts(movies, series, top);
    const described = languages.slice(0, 3).map((l) => `${l.name} (${plural(l.movies, "movie")}, ${plural(l.series, "series", "series")})`);
    return {
      summary: described.length ? `Most common: ${described.join("; ")}.` : "No titles to plot.",
      caption: `Titles per original language, the ${languages.length} most common`,
      columns: ["Language", "Movies", "Series"],
      rows: languages.map((l) => [l.name, l.movies, l.series]),
    };
  },

  releaseYears(movies: readonly TitleLike[], series: readonly TitleLike[]): ChartText {
    const dated = (rows: readonly TitleLike[]) => rows.map((r) => r.year).filter((y): y is number => y !== null);
    const movieYears = dated(movies);
    const seriesYears = dated(series);
    const years = [...movieYears, ...seriesYears];
    const decades = [...new Set(years.map((y) => Math.floor(y / 10) * 10))].sort((a, b) => a - b);
    const inDecade = (list: number[], decade: number) => list.filter((y) => y >= decade && y < decade + 10).length;
    return {
      summary: years.length
        ? `${plural(movieYears.length, "movie")} and ${plural(seriesYears.length, "series", "series")} released from ${years.reduce((a, b) => Math.min(a, b))} to ${years.reduce((a, b) => Math.max(a, b))}.`
        : "No titles with a release year.",
      caption: "Titles per decade of release (movies) or first air date (series)",
      columns: ["Decade", "Movies", "Series"],
      rows: decades.map((d) => [`${d}s`, inDecade(movieYears, d), inDecade(seriesYears, d)]),
    };
  },
};

/**
 * The text alternative under a chart: its summary as a visible line and its data as a table
 * behind a disclosure (closed by default, so the page stays short).
 */
export function textAlternative(text: ChartText, doc: Document = document): HTMLElement {
  const make = <K extends keyof HTMLElementTagNameMap>(tag: K, className: string | null, ...children: (Node | string)[]) => {
    const element = doc.createElement(tag);
    if (className) element.className = className;
    // Text from the catalogue (titles, genres) goes in as text nodes, never as markup.
    for (const child of children) element.append(typeof child === "string" ? doc.createTextNode(child) : child);
    return element;
  };
  const header = make("tr", null, ...text.columns.map((c) => {
    const th = make("th", null, c);
    th.setAttribute("scope", "col");
    return th;
  }));
  const body = text.rows.map((row) =>
    make("tr", null, ...row.map((cell, i) => {
      if (i > 0) return make("td", typeof cell === "number" ? "number" : null, String(cell));
      const th = make("th", null, String(cell));
      th.setAttribute("scope", "row");
      return th;
    })),
  );
  const table = make("table", "chart-table", make("caption", null, text.caption), make("thead", null, header), make("tbody", null, ...body));
  // A table wider than a phone's card scrolls sideways inside this box, which therefore takes
  // focus (arrow keys scroll it) and is named after the table (axe: scrollable-region-focusable).
  const scroll = make("div", "chart-table-scroll", table);
  scroll.setAttribute("tabindex", "0");
  scroll.setAttribute("role", "region");
  scroll.setAttribute("aria-label", text.caption);
  return make(
    "div",
    "chart-text",
    make("p", "chart-summary", text.summary),
    text.rows.length ? make("details", "chart-data", make("summary", null, "The data as a table"), scroll) : "",
  );
}

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
    ariaDescription: chartText.results(points).summary,
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
  return Plot.plot({
    ...base(options),
    ariaLabel: "Movie popularity by genre, box plot",
    ariaDescription: chartText.popularityByGenre(movies).summary,
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
  const rows = genreShareRows(movies, series);
  const genres = new Set(rows.map((r) => r.genre)).size;
  return Plot.plot({
    ...base(options),
    ariaLabel: "Share of movies and of series in each genre",
    ariaDescription: chartText.genreShares(movies, series).summary,
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
  const languages = languageCounts(movies, series, top);
  const rows = languages.flatMap((l) => [
    { language: l.name, kind: "Movies", count: l.movies },
    { language: l.name, kind: "Series", count: l.series },
  ]);
  return Plot.plot({
    ...base(options),
    ariaLabel: `Titles per original language, the ${languages.length} most common`,
    ariaDescription: chartText.languages(movies, series, top).summary,
    height: options.height ?? 24 * languages.length + 60,
    marginLeft: 100,
    x: { label: "Titles →", grid: true },
    y: { label: null, domain: languages.map((l) => l.name) },
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
  return Plot.plot({
    ...base(options),
    ariaLabel: "Titles per release year, movies and series stacked",
    ariaDescription: chartText.releaseYears(movies, series).summary,
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
  const rows = ratedMovies(movies);
  return Plot.plot({
    ...base(options),
    ariaLabel: "Vote average against popularity, one dot per rated movie",
    ariaDescription: chartText.votes(movies).summary,
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
