// Property tests of the URL-state parser: a link is whatever a visitor pasted, so no input
// may throw, and what comes out is always a state the page can run. Bounded in time.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FILTER_PARAMS } from "../../lib/filters.ts";
import { FAVOURITE_PARAM, SERIES_PARAM, URL_LIMITS, stateFromSearch, stateToSearch, type RecommendState } from "../../lib/url-state.ts";

const vocabulary = {
  genres: ["Drama", "Comedy", "Science Fiction", "Crime"],
  languages: ["en", "fr", "ko"],
  seriesIds: new Set([1, 2, 3, 40, 500]),
  movieIds: new Set([10, 11, 12, 13]),
};

const KEYS = [SERIES_PARAM, FAVOURITE_PARAM, ...Object.values(FILTER_PARAMS), "other"];
// Values near what the page writes, plus hostile ones.
const value = fc.oneof(
  fc.string(),
  fc.fullUnicodeString({ maxLength: 30 }),
  fc.integer({ min: -5, max: 600 }).map(String),
  fc.double().map(String),
  fc.constantFrom("Drama", "drama", "Science Fiction", "en", "FR", "all", "any", "1e309", "NaN", "-0", " 2 ", "0x10", "\u0000", "%ZZ", "1990", "2020"),
);
const query = fc
  .array(fc.tuple(fc.constantFrom(...KEYS), value), { maxLength: 40 })
  .map((pairs) => new URLSearchParams(pairs).toString());
const rawQuery = fc.oneof(query, fc.string({ maxLength: 200 }), fc.fullUnicodeString({ maxLength: 200 }));

function assertRunnable({ state, ignored }: ReturnType<typeof stateFromSearch>) {
  const { seriesIds, filters } = state;
  expect(seriesIds.length).toBeLessThanOrEqual(URL_LIMITS.series);
  expect(new Set(seriesIds).size).toBe(seriesIds.length);
  for (const id of seriesIds) expect(vocabulary.seriesIds.has(id)).toBe(true);
  for (const id of state.favourites ?? []) expect(seriesIds).toContain(id);
  for (const g of filters.genres ?? []) expect(vocabulary.genres).toContain(g);
  for (const l of filters.languages ?? []) expect(vocabulary.languages).toContain(l);
  if (filters.genreMode !== undefined) {
    expect(["any", "all"]).toContain(filters.genreMode);
    expect(filters.genres?.length).toBeGreaterThan(0);
  }
  for (const key of ["minPopularity", "minVotes", "yearFrom", "yearTo"] as const) {
    if (filters[key] !== undefined) expect(Number.isFinite(filters[key])).toBe(true);
  }
  if (filters.yearFrom !== undefined && filters.yearTo !== undefined) expect(filters.yearFrom).toBeLessThanOrEqual(filters.yearTo);
  for (const id of filters.excludeIds ?? []) expect(vocabulary.movieIds.has(id)).toBe(true);
  expect(typeof filters.ageAppropriateOnly).toBe("boolean");
  for (const line of ignored) expect(line.length).toBeLessThan(URL_LIMITS.textChars + 40);
}

describe("URL state under arbitrary input", () => {
  it("never throws and always yields a state the page can run", () => {
    fc.assert(
      fc.property(rawQuery, (search) => {
        assertRunnable(stateFromSearch(search, vocabulary));
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 10_000 },
    );
  });

  it("reads back a state it wrote, once normalised by a first read", () => {
    fc.assert(
      fc.property(query, (search) => {
        const first = stateFromSearch(search, vocabulary).state;
        const again = stateFromSearch(stateToSearch(first), vocabulary);
        expect(again.state).toEqual(first);
        expect(again.ignored).toEqual([]);
      }),
      { numRuns: 1000, interruptAfterTimeLimit: 10_000 },
    );
  });

  it("cuts a link with thousands of series or exclusions down to the limits, and says so", () => {
    const many = new URLSearchParams();
    for (let i = 0; i < 10_000; i++) many.append(SERIES_PARAM, String((i % 5 === 0 ? 1 : 0) + (i % 3)));
    for (let i = 0; i < 10_000; i++) many.append(FILTER_PARAMS.excludeIds, String(10 + (i % 4)));
    const parsed = stateFromSearch(many.toString(), vocabulary);
    assertRunnable(parsed);
    expect(parsed.state.filters.excludeIds).toEqual([10, 11, 12, 13]);
  });

  it("keeps only the first series when a link names more than the limit", () => {
    const ids = Array.from({ length: URL_LIMITS.series + 5 }, (_, i) => i + 1);
    const big = { ...vocabulary, seriesIds: new Set(ids) };
    const state: RecommendState = { seriesIds: ids, filters: { ageAppropriateOnly: true } };
    const parsed = stateFromSearch(stateToSearch(state), big);
    expect(parsed.state.seriesIds).toEqual(ids.slice(0, URL_LIMITS.series));
    expect(parsed.ignored).toEqual([`5 series past the first ${URL_LIMITS.series}`]);
  });
});
