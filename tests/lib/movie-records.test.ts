// The cards' texts by byte range: where each record sits, which ranges fetch a set of them,
// and a record from another build refused by name.
import { describe, expect, it } from "vitest";
import { parseMovieRecord, recordOffsets, recordRanges } from "../../lib/movie-records.ts";

const record = (id: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, overview: "A story.", keywords: ["heist"], collection: null, companies: [], directors: ["Ann Lee"], writers: [], cast: [], providers: null, keyword_df: [12], ...extra });

describe("movie records", () => {
  it("lay out each record after the previous one", () => {
    expect([...recordOffsets([5, 0, 7])]).toEqual([0, 5, 5, 12]);
  });

  it("fetch close records in one range and far ones apart, each row once, in file order", () => {
    const offsets = recordOffsets(Array.from({ length: 100 }, () => 1000));
    const ranges = recordRanges([50, 3, 2, 3, 90], offsets, 2000);
    expect(ranges).toEqual([
      { start: 2000, end: 4000, rows: [2, 3] },
      { start: 50_000, end: 51_000, rows: [50] },
      { start: 90_000, end: 91_000, rows: [90] },
    ]);
    // With a wider gap the first two ranges merge: one round trip for a few KB more.
    expect(recordRanges([2, 50], offsets, 50_000)).toEqual([{ start: 2000, end: 51_000, rows: [2, 50] }]);
    expect(() => recordRanges([100], offsets)).toThrow(/no record for row 100: the file has 100/);
  });

  it("read a record of the right movie, and refuse one of another movie, another build or no JSON", () => {
    expect(parseMovieRecord(record(7), 7).directors).toEqual(["Ann Lee"]);
    expect(() => parseMovieRecord(record(8), 7)).toThrow(/movie 7's place is 8; rebuild the site/);
    expect(() => parseMovieRecord(record(7, { keyword_df: [] }), 7)).toThrow(/no keyword counts/);
    expect(() => parseMovieRecord(record(7, { cast: "Ann" }), 7)).toThrow(/lacks its overview or a metadata list/);
    expect(() => parseMovieRecord("{", 7)).toThrow(/not JSON/);
  });
});
