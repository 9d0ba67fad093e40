// The Recommend page's state lives in the URL: a link or a reload must give the same inputs.
import { describe, expect, it } from "vitest";
import * as url from "../../lib/url-state.ts";

const vocabulary = () => ({
  genres: ["Drama", "Comedy", "Science Fiction"],
  languages: ["en", "fr"],
  seriesIds: new Set([1, 2, 3]),
  movieIds: new Set([10, 11]),
});

describe("URL state", () => {
  it("reads back exactly the state it wrote", () => {
    const state = {
      seriesIds: [2, 1],
      filters: {
        genres: ["Drama", "Science Fiction"],
        genreMode: "all" as const,
        languages: ["fr"],
        minPopularity: 12.5,
        minVotes: 300,
        yearFrom: 1990,
        yearTo: 2010,
        ageAppropriateOnly: false,
        excludeIds: [11],
      },
    };
    const parsed = url.stateFromSearch(url.stateToSearch(state), vocabulary());
    expect(parsed).toEqual({ state, ignored: [] });
  });

  it("writes nothing for the defaults, so an untouched page has a clean address", () => {
    expect(url.stateToSearch({ seriesIds: [], filters: { ageAppropriateOnly: true } })).toBe("");
  });

  it("defaults to age-appropriate titles when the link says nothing", () => {
    expect(url.stateFromSearch("series=1", vocabulary()).state.filters).toEqual({ ageAppropriateOnly: true });
  });

  it("drops and reports series, genres, languages and titles this catalogue lacks", () => {
    const parsed = url.stateFromSearch("series=1&series=99&genre=Drama&genre=Polka&lang=xx&exclude=12", vocabulary());
    expect(parsed.state).toEqual({ seriesIds: [1], filters: { genres: ["Drama"], ageAppropriateOnly: true } });
    expect(parsed.ignored).toEqual(["series 99", 'genre "Polka"', 'language "xx"', "1 unknown excluded title(s)"]);
  });

  it("matches genre and language names regardless of case", () => {
    const parsed = url.stateFromSearch("genre=drama&lang=EN", vocabulary());
    expect(parsed.state.filters).toMatchObject({ genres: ["Drama"], languages: ["en"] });
  });

  it("ignores an empty year range instead of showing no results", () => {
    const parsed = url.stateFromSearch("from=2010&to=1990", vocabulary());
    expect(parsed.state.filters.yearFrom).toBeUndefined();
    expect(parsed.state.filters.yearTo).toBeUndefined();
    expect(parsed.ignored).toEqual(["the empty year range 2010–1990"]);
  });
});
