// TopN keeps the N best ranking keys; its last() is the bar a source must beat to be read further.
import { describe, expect, it } from "vitest";
import { TopN, ranksBefore, type RankKey } from "../../../loaders/tmdb/top-n.ts";

function seeded(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe("ranksBefore", () => {
  it("ranks higher popularity first and breaks ties by the earlier sighting", () => {
    expect(ranksBefore({ popularity: 5, seq: 9 }, { popularity: 4, seq: 0 })).toBe(true);
    expect(ranksBefore({ popularity: 5, seq: 1 }, { popularity: 5, seq: 2 })).toBe(true);
    expect(ranksBefore({ popularity: 5, seq: 2 }, { popularity: 5, seq: 1 })).toBe(false);
    expect(ranksBefore({ popularity: 5, seq: 1 }, { popularity: 5, seq: 1 })).toBe(false);
  });
});

describe("TopN", () => {
  it("has no threshold until N keys were added", () => {
    const top = new TopN(3);
    top.add({ popularity: 1, seq: 0 });
    top.add({ popularity: 2, seq: 1 });
    expect(top.full).toBe(false);
    expect(top.last).toBeUndefined();
    top.add({ popularity: 3, seq: 2 });
    expect(top.full).toBe(true);
    expect(top.last).toEqual({ popularity: 1, seq: 0 });
  });

  it("reports the N-th best key of any sequence, as a full sort would", () => {
    const random = seeded(7);
    for (const size of [1, 5, 50]) {
      const top = new TopN(size);
      const keys: RankKey[] = [];
      for (let seq = 0; seq < 500; seq++) {
        // Few distinct popularities, so ties (broken by seq) are common.
        const key = { popularity: Math.floor(random() * 40), seq };
        keys.push(key);
        top.add(key);
        const sorted = [...keys].sort((a, b) => b.popularity - a.popularity || a.seq - b.seq);
        expect(top.last).toEqual(sorted.length >= size ? sorted[size - 1] : undefined);
      }
    }
  });

  it("refuses a size that is not a positive whole number", () => {
    expect(() => new TopN(0)).toThrow(/positive whole number, got 0/);
    expect(() => new TopN(2.5)).toThrow(RangeError);
  });
});
