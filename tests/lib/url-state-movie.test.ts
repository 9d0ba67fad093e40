// "More like this" links: the start movie travels in the address as movie=<id>.
import { describe, expect, it } from "vitest";
import { stateFromSearch, stateToSearch } from "../../lib/url-state.ts";

const vocabulary = { genres: ["Drama"], languages: ["en"], seriesIds: new Set([1, 2]), movieIds: new Set([10, 11]) };

describe("the start movie in the URL", () => {
  it("reads back the movie it wrote, alone or beside series", () => {
    for (const state of [{ seriesIds: [], movie: 10, filters: { ageAppropriateOnly: true } }, { seriesIds: [2], movie: 11, filters: { ageAppropriateOnly: true } }]) {
      expect(stateFromSearch(stateToSearch(state), vocabulary)).toEqual({ state, ignored: [] });
    }
    expect(stateToSearch({ seriesIds: [], movie: 10, filters: { ageAppropriateOnly: true } })).toBe("movie=10");
  });

  it("drops and reports a movie this catalogue lacks, and keeps only the first known of several", () => {
    expect(stateFromSearch("movie=99", vocabulary)).toEqual({ state: { seriesIds: [], filters: { ageAppropriateOnly: true } }, ignored: ["movie 99"] });
    const several = stateFromSearch("movie=abc&movie=99&movie=11&movie=10", vocabulary);
    expect(several.state.movie).toBe(11);
    expect(several.ignored).toEqual(["movie 99", "movie 10 (one start movie at a time)"]);
  });

  it("writes no movie parameter when there is none", () => {
    expect(stateToSearch({ seriesIds: [1], filters: { ageAppropriateOnly: true } })).toBe("series=1");
  });
});
