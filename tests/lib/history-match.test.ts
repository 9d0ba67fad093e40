// Matching imported history to the demo catalogue: TMDB id first, else folded title and a
// year within one; several equal candidates are offered, never guessed.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { historyOutcome, matchHistory, parseHistoryFile, type HistoryFile, type MatchableTitle } from "../../lib/index.ts";

interface DemoTitle { id: number; title?: string; name?: string; release_date?: string | null; first_air_date?: string | null; popularity: number }
const demo = (file: string): MatchableTitle[] =>
  (JSON.parse(readFileSync(path.resolve("data/demo", file), "utf8")) as DemoTitle[]).map((t) => {
    const date = t.release_date ?? t.first_air_date;
    return { id: t.id, title: (t.title ?? t.name)!, year: date ? Number(date.slice(0, 4)) : null, popularity: t.popularity };
  });
const catalogue = { movies: demo("movies.json"), series: demo("series.json") };
const fixture = (name: string): HistoryFile => parseHistoryFile(name, readFileSync(path.resolve("tests/fixtures/history", name), "utf8"));
const report = (...names: string[]) => matchHistory(names.map(fixture), catalogue);

describe("matchHistory", () => {
  it("matches Letterboxd films by folded title and year: accents, a year off by one, and the right one of two same-named films", () => {
    const r = report("letterboxd-watched.csv");
    expect(Object.fromEntries(r.matched.map((m) => [m.entry.title, m.id]))).toEqual({
      Fargo: 275,
      "The Godfather": 238,
      Alien: 348,
      Amelie: 194, // Amélie
      "Blade Runner": 78, // 1982 in TMDB, 1983 in the file
      "All Quiet on the Western Front": 49046, // the 2022 film, not the 1930 one (143)
      "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb": 935,
    });
    expect(r.notFound.map((e) => e.title)).toEqual(["A Film Nobody Catalogued"]);
    expect(r.ambiguous).toEqual([]);
  });

  it("does not take a year two off for the same film", () => {
    const file: HistoryFile = { fileName: "x.csv", format: "letterboxd", skipped: 0, entries: [{ kind: "movie", title: "Blade Runner", year: 1984 }] };
    expect(matchHistory([file], catalogue).notFound).toHaveLength(1);
  });

  it("trusts Trakt's TMDB id over a title that differs, and falls back to the title without an id", () => {
    const r = report("trakt-watched-movies.json");
    expect(r.matched.map((m) => [m.id, m.by])).toEqual([
      [603, "tmdb"],
      [862, "tmdb"], // "Toy Story (Special Edition)" would not match by title
      [129, "title"],
    ]);
    expect(r.notFound.map((e) => e.tmdbId)).toEqual([999999]);
  });

  it("finds Netflix's series from episode rows, and offers both films for a title two films share", () => {
    const r = report("NetflixViewingHistory.csv");
    expect(r.matched.filter((m) => m.entry.kind === "series").map((m) => m.id).sort((a, b) => a - b)).toEqual([1396, 66732, 71446, 93405]);
    expect(r.ambiguous.map((a) => [a.entry.title, a.choices.map((c) => c.id).sort((x, y) => x - y)])).toEqual([["All Quiet on the Western Front", [143, 49046]]]);
    expect(r.notFound.map((e) => e.title)).toEqual(["The Unlisted Documentary", "Some Unlisted Show"]);
  });

  it("reports a title found in several files once, with its highest rating", () => {
    const r = report("letterboxd-watched.csv", "letterboxd-ratings.csv");
    const godfather = r.matched.filter((m) => m.id === 238);
    expect(godfather).toHaveLength(1);
    expect(godfather[0].entry.rating).toBe(10);
    expect(r.files.map((f) => [f.fileName, f.entries])).toEqual([
      ["letterboxd-watched.csv", 8],
      ["letterboxd-ratings.csv", 3],
    ]);
  });
});

describe("historyOutcome", () => {
  it("excludes every movie seen, offers the highly rated ones as likes and the series as loved", () => {
    const outcome = historyOutcome(report("imdb-ratings.csv", "trakt-watched-shows.json"));
    expect(outcome.seenMovieIds.sort((a, b) => a - b)).toEqual([289, 346, 3114]);
    expect(outcome.likedMovieIds.sort((a, b) => a - b)).toEqual([289, 346]); // 9 and 8 of 10; The Searchers got 6
    expect(outcome.seriesIds.sort((a, b) => a - b)).toEqual([1396, 1438, 70523]);
  });

  it("adds what the visitor chose for an ambiguous row", () => {
    const r = report("NetflixViewingHistory.csv");
    const outcome = historyOutcome(r, new Map([[r.ambiguous[0], 143]]));
    expect(outcome.seenMovieIds).toContain(143);
    expect(outcome.seenMovieIds).not.toContain(49046);
  });
});
