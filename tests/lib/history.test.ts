// History exports read in the browser: each format's fixture (written by us, in the shape the
// services export), and the clear refusals that keep a broken file from half-applying.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HistoryFormatError, MAX_HISTORY_CHARS, netflixSeriesNames, parseHistoryFile, parseHistoryFiles } from "../../lib/index.ts";

const FIXTURES = path.resolve("tests/fixtures/history");
const read = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
const parse = (name: string) => parseHistoryFile(name, read(name));

describe("Letterboxd", () => {
  it("reads watched.csv as films with their years, quoted titles with commas and colons intact", () => {
    const file = parse("letterboxd-watched.csv");
    expect(file.format).toBe("letterboxd");
    expect(file.entries).toHaveLength(8);
    expect(file.entries[0]).toEqual({ kind: "movie", title: "Fargo", year: 1996 });
    expect(file.entries.map((e) => e.title)).toContain("Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb");
  });

  it("doubles ratings.csv's 0.5–5 stars onto the 0–10 scale", () => {
    const ratings = Object.fromEntries(parse("letterboxd-ratings.csv").entries.map((e) => [e.title, e.rating]));
    expect(ratings).toEqual({ "The Godfather": 10, Alien: 9, "All Quiet on the Western Front": 6 });
  });

  it("reads diary.csv, whose extra columns (Rewatch, Tags, Watched Date) change nothing", () => {
    expect(parse("letterboxd-diary.csv").entries).toEqual([
      { kind: "movie", title: "Jaws", year: 1975, rating: 8 },
      { kind: "movie", title: "Rocky", year: 1976, rating: 7 },
    ]);
  });
});

describe("Trakt", () => {
  it("keeps the TMDB id of each watched movie, and a null id as no id", () => {
    const entries = parse("trakt-watched-movies.json").entries;
    expect(entries.map((e) => e.tmdbId)).toEqual([603, 862, undefined, 999999]);
    expect(entries[2]).toEqual({ kind: "movie", title: "Spirited Away", year: 2001 });
  });

  it("reads shows as series and ratings on Trakt's 1–10 scale", () => {
    expect(parse("trakt-watched-shows.json").entries.map((e) => [e.kind, e.tmdbId])).toEqual([
      ["series", 1396],
      ["series", 70523],
      ["series", 888888],
    ]);
    expect(parse("trakt-ratings-movies.json").entries.map((e) => e.rating)).toEqual([9, 4]);
  });

  it("keeps one entry per show in a history file that repeats it for every episode", () => {
    const episode = (n: number) => ({ type: "episode", episode: { number: n }, show: { title: "Dark", year: 2017, ids: { tmdb: 70523 } } });
    const file = parseHistoryFile("history.json", JSON.stringify([episode(1), episode(2), episode(3)]));
    expect(file.entries).toEqual([{ kind: "series", title: "Dark", year: 2017, tmdbId: 70523 }]);
    expect(file.skipped).toBe(2);
  });
});

describe("IMDb", () => {
  it("reads ratings.csv: movies and series by Title Type, episodes left out and counted", () => {
    const file = parse("imdb-ratings.csv");
    expect(file.format).toBe("imdb");
    expect(file.skipped).toBe(1);
    expect(file.entries.map((e) => [e.kind, e.title, e.year, e.rating])).toEqual([
      ["movie", "Casablanca", 1942, 9],
      ["movie", "Seven Samurai", 1954, 8],
      ["series", "The Wire", 2002, 10],
      ["movie", "The Searchers", 1956, 6],
      ["movie", "A Title IMDb Alone Knows", 2019, 7],
    ]);
  });

  it("reads a list export, whose rows carry no rating, in the current lowercase title types", () => {
    expect(parse("imdb-list.csv").entries).toEqual([
      { kind: "movie", title: "The Godfather", year: 1972 },
      { kind: "series", title: "Stranger Things", year: 2016 },
      { kind: "movie", title: "All Quiet on the Western Front", year: 1930 },
    ]);
  });
});

describe("Netflix", () => {
  it("turns episode rows into one series each and keeps film rows as films", () => {
    const file = parse("NetflixViewingHistory.csv");
    expect(file.format).toBe("netflix");
    const series = file.entries.filter((e) => e.kind === "series").map((e) => e.title);
    expect(series).toEqual(["Stranger Things: Stranger Things 4", "Stranger Things: Stranger Things 3", "Breaking Bad", "Money Heist", "Squid Game", "Some Unlisted Show"]);
    expect(file.entries.filter((e) => e.kind === "movie").map((e) => e.title)).toEqual(["Black Mirror: Bandersnatch", "Roma", "All Quiet on the Western Front", "The Unlisted Documentary"]);
  });

  it("offers the shorter names of a series whose season has its own name", () => {
    expect(netflixSeriesNames("Stranger Things: Stranger Things 4: Chapter One: The Hellfire Club")).toEqual(["Stranger Things: Stranger Things 4", "Stranger Things"]);
    expect(netflixSeriesNames("Breaking Bad: Season 1: Pilot")).toEqual(["Breaking Bad"]);
    expect(netflixSeriesNames("Black Mirror: Bandersnatch")).toBeNull();
    expect(netflixSeriesNames("Roma")).toBeNull();
  });
});

describe("malformed files", () => {
  const refusal = (name: string, text = read(name)) => {
    try {
      parseHistoryFile(name, text);
    } catch (error) {
      expect(error).toBeInstanceOf(HistoryFormatError);
      return (error as Error).message;
    }
    throw new Error(`${name} was accepted`);
  };

  it("names the file and says which exports it could have been", () => {
    const message = refusal("not-an-export.csv");
    expect(message).toMatch(/^not-an-export\.csv: is not a history export/);
    expect(message).toContain('"Name,Price,Quantity"');
    expect(message).toMatch(/Letterboxd.*IMDb.*Netflix.*Trakt/);
  });

  it("refuses a truncated Trakt file as invalid JSON", () => {
    expect(refusal("trakt-truncated.json")).toMatch(/^trakt-truncated\.json: is not valid JSON/);
  });

  it("refuses a CSV with an unclosed quote, naming the line", () => {
    expect(refusal("letterboxd-unclosed-quote.csv")).toMatch(/^letterboxd-unclosed-quote\.csv: is not valid CSV near line \d/);
  });

  it("refuses a rating outside the format's scale, naming the row and the value", () => {
    expect(refusal("letterboxd-bad-rating.csv")).toBe('letterboxd-bad-rating.csv: row 3 has the rating "eleven", not 0.5 to 5 stars');
  });

  it("refuses an empty file, a JSON object that is not a list, and an item with neither movie nor show", () => {
    expect(refusal("empty.csv", "\uFEFF \n")).toBe("empty.csv: is empty");
    expect(refusal("export.json", '{"movies": []}')).toMatch(/not a list of items/);
    expect(refusal("export.json", '[{"movie": {"title": "Heat"}}, {"plays": 3}]')).toBe('export.json: item 2 has neither a "movie" nor a "show"');
  });

  it("refuses a file far larger than any export before parsing it", () => {
    expect(refusal("huge.json", `[${" ".repeat(MAX_HISTORY_CHARS)}]`)).toMatch(/^huge\.json: is 20,000,002 characters long, more than the 20,000,000/);
  });

  it("applies nothing when one file of several is broken: the whole import fails on it", () => {
    const files = ["letterboxd-watched.csv", "trakt-truncated.json", "imdb-ratings.csv"].map((name) => ({ name, text: read(name) }));
    expect(() => parseHistoryFiles(files)).toThrow(/^trakt-truncated\.json:/);
  });
});
