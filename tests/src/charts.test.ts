// Chart functions render with Plot outside a browser (linkedom) and draw what the data says.
import { parseHTML } from "linkedom";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleBrowserLib } from "../../loaders/site/build-hooks.ts";

let charts: typeof import("../../src/components/charts.ts");
const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>");

beforeAll(async () => {
  await bundleBrowserLib("src");
  charts = await import("../../src/components/charts.ts");
});

const movies = [
  { title: "Alpha", year: 1999, genre_names: ["Drama", "Crime"], popularity: 12, vote_average: 7.1, vote_count: 900, language: "en" },
  { title: "Beta", year: 2005, genre_names: ["Comedy"], popularity: 150, vote_average: 6.2, vote_count: 3000, language: "fr" },
  { title: "Gamma", year: 2005, genre_names: ["Drama"], popularity: 3, vote_average: 8.0, vote_count: 40, language: "en" },
  { title: "Unrated", year: null, genre_names: ["Drama"], popularity: 0, vote_average: 0, vote_count: 0, language: "ja" },
];
const series = [
  { title: "Show", year: 2011, genre_names: ["Sci-Fi & Fantasy", "Drama"], popularity: 80, vote_average: 8.4, vote_count: 20000, language: "en" },
];

function texts(node: Element): string[] {
  return [...node.querySelectorAll("text, span")].map((t) => t.textContent ?? "");
}

describe("site charts", () => {
  it("never draws a bar with a negative width, however narrow the card reports itself", () => {
    for (const width of [0, 40, 120]) {
      const figure = charts.languagesChart(movies, series, { width, document: document as unknown as Document });
      const widths = [...figure.querySelectorAll("g[aria-label='bar'] rect")].map((r) => Number(r.getAttribute("width")));
      expect(widths.length).toBeGreaterThan(0);
      expect(widths.every((w) => w >= 0)).toBe(true);
    }
  });

  it("draws one dot per shortlisted movie, with the shown ones marked, at the given width", () => {
    const points = [
      { title: "Alpha", year: 1999, similarity: 0.8, popularity: 12, vote_average: 7, sharedGenre: "Drama", picked: true },
      { title: "Beta", year: 2005, similarity: 0.4, popularity: 150, vote_average: 6, sharedGenre: "No shared genre", picked: false },
    ];
    const figure = charts.resultsChart(points, { width: 500, document: document as unknown as Document });
    // With legends Plot returns a figure; the chart is the svg holding the marks.
    const svg = [...figure.querySelectorAll("svg")].find((s) => s.querySelector("g[aria-label='dot']"))!;
    expect(svg.getAttribute("width")).toBe("500");
    expect(svg.querySelectorAll("g[aria-label='dot'] path, g[aria-label='dot'] circle").length).toBe(2);
    expect(texts(figure)).toEqual(expect.arrayContaining(["Drama", "No shared genre"]));
  });

  it("leaves titles without popularity out of the log-scale popularity box plot", () => {
    const svg = charts.popularityByGenreChart(movies, { width: 400, document: document as unknown as Document });
    const labels = texts(svg as unknown as Element);
    expect(labels).toEqual(expect.arrayContaining(["Drama", "Crime", "Comedy"]));
  });

  it("compares genre shares with series genres mapped onto movie genres", () => {
    const figure = charts.genreSharesChart(movies, series, { width: 400, document: document as unknown as Document });
    const labels = texts(figure);
    // Sci-Fi & Fantasy becomes Science Fiction and Fantasy.
    expect(labels).toEqual(expect.arrayContaining(["Science Fiction", "Fantasy", "Drama", "Movies", "Series"]));
    expect(labels).not.toContain("Sci-Fi & Fantasy");
  });

  it("names languages in English on the languages chart", () => {
    const labels = texts(charts.languagesChart(movies, series, { width: 400, document: document as unknown as Document }));
    expect(labels).toEqual(expect.arrayContaining(["English", "French", "Japanese"]));
  });

  it("bins release years by kind and skips titles without one", () => {
    const figure = charts.releaseYearsChart(movies, series, { width: 400, document: document as unknown as Document });
    // Movies in 1999 and 2005 (two share that bin), the series in 2011; the undated movie is out.
    expect(figure.querySelectorAll("g[aria-label='rect'] rect").length).toBe(3);
  });

  it("plots only rated movies with popularity on the rating chart", () => {
    const svg = charts.voteVsPopularityChart(movies, { width: 400, document: document as unknown as Document });
    expect(svg.querySelectorAll("g[aria-label='dot'] circle").length).toBe(3);
  });

  it("gives every chart a name and a one-line summary, and hides Plot's mark groups from screen readers", () => {
    const doc = document as unknown as Document;
    const points = [
      { title: "Alpha", year: 1999, similarity: 0.8, popularity: 12, vote_average: 7, sharedGenre: "Drama", picked: true },
      { title: "Beta", year: 2005, similarity: 0.4, popularity: 150, vote_average: 6, sharedGenre: "No shared genre", picked: false },
    ];
    const rendered = {
      results: charts.resultsChart(points, { width: 500, document: doc }),
      popularity: charts.popularityByGenreChart(movies, { width: 500, document: doc }),
      shares: charts.genreSharesChart(movies, series, { width: 500, document: doc }),
      languages: charts.languagesChart(movies, series, { width: 500, document: doc }),
      years: charts.releaseYearsChart(movies, series, { width: 500, document: doc }),
      votes: charts.voteVsPopularityChart(movies, { width: 500, document: doc }),
    };
    for (const [name, figure] of Object.entries(rendered)) {
      const svg = [...figure.querySelectorAll("svg"), ...(figure.tagName.toLowerCase() === "svg" ? [figure] : [])].find((s) => s.querySelector("g[aria-label]"))!;
      expect(svg.getAttribute("aria-label"), name).toMatch(/\w/);
      expect(svg.getAttribute("aria-description"), name).toMatch(/\w.*\.$/);
      // A <g> with an aria-label and no role is an ARIA error unless hidden; axes keep their text.
      const exposed = [...svg.querySelectorAll("g[aria-label]:not([role]):not([aria-hidden='true'])")].filter((g) => !/axis/.test(g.getAttribute("aria-label") ?? ""));
      expect(exposed.map((g) => g.getAttribute("aria-label")), name).toEqual([]);
    }
    expect(rendered.results.querySelector("svg[aria-description]")?.getAttribute("aria-description")).toBe(
      "2 shortlisted movies, 1 of them shown below (stars). Most similar: Alpha (1999), similarity 0.80.",
    );
    expect(rendered.languages.querySelector("svg[aria-description]")?.getAttribute("aria-description")).toBe(
      "Most common: English (2 movies, 1 series); French (1 movie, 0 series); Japanese (1 movie, 0 series).",
    );
  });

  it("gives each chart a text alternative: its summary and the data it draws, as a table", () => {
    const points = [
      { title: "Beta", year: 2005, similarity: 0.4, popularity: 150, vote_average: 6, sharedGenre: "No shared genre", picked: false },
      { title: "Alpha", year: null, similarity: 0.8, popularity: 12.34, vote_average: 7, sharedGenre: "Drama", picked: true },
    ];
    const results = charts.chartText.results(points);
    expect(results.rows).toEqual([
      ["Alpha", "–", "0.80", 12.3, "Drama", "yes"],
      ["Beta", 2005, "0.40", 150, "No shared genre", "no"],
    ]);
    expect(results.columns).toHaveLength(results.rows[0].length);

    // Drama's popularities are 12 and 3 (the unrated movie has none): quartiles as Plot's box
    // plot draws them (linear interpolation: 3 + 9 × 0.25 = 5.25, 3 + 9 × 0.75 = 9.75).
    expect(charts.chartText.popularityByGenre(movies).rows).toEqual([
      ["Comedy", 1, 150, 150, 150, 150, 150],
      ["Crime", 1, 12, 12, 12, 12, 12],
      ["Drama", 2, 3, 5.3, 7.5, 9.8, 12],
    ]);
    // Shares of all movies (4) and all series (1); the series' Sci-Fi & Fantasy is mapped.
    expect(charts.chartText.genreShares(movies, series).rows).toEqual([
      ["Drama", "75.0%", "100.0%"],
      ["Comedy", "25.0%", "0.0%"],
      ["Crime", "25.0%", "0.0%"],
      ["Fantasy", "0.0%", "100.0%"],
      ["Science Fiction", "0.0%", "100.0%"],
    ]);
    expect(charts.chartText.languages(movies, series).rows).toEqual([
      ["English", 2, 1],
      ["French", 1, 0],
      ["Japanese", 1, 0],
    ]);
    expect(charts.chartText.languages(movies, series, 1).rows).toEqual([["English", 2, 1]]);
    expect(charts.chartText.releaseYears(movies, series).rows).toEqual([
      ["1990s", 1, 0],
      ["2000s", 2, 0],
      ["2010s", 0, 1],
    ]);

    // The rating chart: a sentence, no table (one row per movie would be the whole catalogue).
    expect(charts.chartText.votes(movies)).toMatchObject({ summary: "3 rated movies; the highest rated is Gamma (2005) at 8.0, median popularity 12.0.", rows: [] });

    // The chart's aria-description is the same sentence the page shows under it.
    const doc = document as unknown as Document;
    const svg = charts.popularityByGenreChart(movies, { width: 400, document: doc }) as unknown as Element;
    expect(svg.getAttribute("aria-description")).toBe(charts.chartText.popularityByGenre(movies).summary);
  });

  it("renders the text alternative as a summary line and a captioned table behind a disclosure, titles as text", () => {
    const doc = document as unknown as Document;
    const points = [{ title: "<b>Bold</b> & Co", year: 2001, similarity: 0.5, popularity: 1, vote_average: 5, sharedGenre: "Drama", picked: true }];
    const text = charts.chartText.results(points);
    const element = charts.textAlternative(text, doc) as unknown as Element;
    expect(element.querySelector("p.chart-summary")?.textContent).toBe(text.summary);
    const details = element.querySelector("details.chart-data")!;
    expect(details.hasAttribute("open")).toBe(false);
    expect(details.querySelector("summary")?.textContent).toBe("The data as a table");
    // Its scrolling box can take focus, so a keyboard can scroll a table wider than the card.
    const scroll = details.querySelector(".chart-table-scroll")!;
    expect([scroll.getAttribute("tabindex"), scroll.getAttribute("role"), scroll.getAttribute("aria-label")]).toEqual(["0", "region", text.caption]);
    const table = details.querySelector("table")!;
    expect(table.querySelector("caption")?.textContent).toBe(text.caption);
    expect([...table.querySelectorAll("thead th[scope='col']")].map((th) => th.textContent)).toEqual(text.columns);
    const row = table.querySelector("tbody tr")!;
    expect(row.querySelector("th[scope='row']")?.textContent).toBe("<b>Bold</b> & Co");
    expect(table.querySelector("b")).toBeNull();
    expect([...row.querySelectorAll("td")].map((td) => td.textContent)).toEqual(["2001", "0.50", "1", "Drama", "yes"]);
    // Nothing to tabulate: the summary alone.
    const none = charts.textAlternative(charts.chartText.results([]), doc) as unknown as Element;
    expect(none.querySelector("p")?.textContent).toBe("No candidates to plot.");
    expect(none.querySelector("details")).toBeNull();
  });
});
