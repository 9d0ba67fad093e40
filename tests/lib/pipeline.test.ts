// The one ranking pipeline: fusion of the retrievals, and several series sharing one list.
import { describe, expect, it } from "vitest";
import { bm25Search, buildBm25Index } from "../../lib/bm25.ts";
import { shareByWeight } from "../../lib/pipeline.ts";

describe("shareByWeight", () => {
  const ranking = (seriesId: number, ids: number[]) => ({ seriesId, ranked: ids.map((id, i) => ({ id, score: 1 - i / 100, cosine: 0 })) });

  it("gives each series places in proportion to its weight, taking turns from the top", () => {
    const placed = shareByWeight([ranking(1, [10, 11, 12, 13, 14, 15]), ranking(2, [20, 21, 22, 23])], [2, 1], 6);
    expect(placed.map((p) => p.id)).toEqual([10, 11, 20, 12, 13, 21]);
    expect(placed.filter((p) => p.seriesIndex === 0)).toHaveLength(4);
  });

  it("places a movie both series want once, for the series that reaches it first", () => {
    const placed = shareByWeight([ranking(1, [10, 30, 11]), ranking(2, [30, 20])], [1, 1], 4);
    expect(placed.map((p) => p.id)).toEqual([10, 30, 11, 20]);
    expect(placed.find((p) => p.id === 30)!.seriesIndex).toBe(1);
  });

  it("fills the list from the other series when one runs out, and skips a series of weight 0", () => {
    expect(shareByWeight([ranking(1, [10]), ranking(2, [20, 21, 22])], [1, 1], 4).map((p) => p.id)).toEqual([10, 20, 21, 22]);
    expect(shareByWeight([ranking(1, [10]), ranking(2, [20])], [0, 1], 2).map((p) => p.id)).toEqual([20]);
  });
});

describe("BM25 retrieval", () => {
  const index = buildBm25Index([
    { id: 1, title: "Chemistry of Crime", overview: "A chemistry teacher cooks methamphetamine in the desert." },
    { id: 2, title: "Desert Wind", overview: "Two travellers cross the desert." },
    { id: 3, title: "Love in Paris", overview: "A chef falls in love in Paris." },
  ]);

  it("ranks the document sharing the most and rarest words first, and only allowed ones", () => {
    const hits = bm25Search(index, { title: "Breaking Bad", overview: "A chemistry teacher turns to cooking methamphetamine." }, 10);
    expect(hits[0].id).toBe(1);
    expect(hits.map((h) => h.id)).not.toContain(3);
    expect(bm25Search(index, { title: "x", overview: "desert chemistry" }, 10, new Set([2])).map((h) => h.id)).toEqual([2]);
  });

  it("weighs a shared title word above the same word in an overview", () => {
    const hits = bm25Search(index, { title: "Desert", overview: "" }, 10);
    expect(hits[0].id).toBe(2);
  });
});
