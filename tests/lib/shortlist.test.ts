import { describe, expect, it } from "vitest";
import { buildLexicalIndex, lexicalBoosts, lexicalScores, scaledBoosts, sharedTitlePhrases, titleTokens } from "../../lib/lexical.ts";
import { ShortlistError, queryVector, shortlist } from "../../lib/shortlist.ts";
import { quantizeInt8, type VectorSet } from "../../lib/vectors.ts";
import { randomUnitVector, seededRandom, syntheticVectorSet, vectorSetOf } from "../fixtures/synthetic-vectors.ts";

/** Reference ranking by full sort, to check the heap against. */
function bruteForce(set: VectorSet, query: Float32Array, allowed?: Set<number>): { id: number; similarity: number }[] {
  const out: { id: number; similarity: number }[] = [];
  set.ids.forEach((id, row) => {
    if (allowed && !allowed.has(id)) return;
    let s = 0;
    for (let i = 0; i < set.dims; i++) s += query[i] * set.data[row * set.dims + i];
    out.push({ id, similarity: s });
  });
  return out.sort((a, b) => b.similarity - a.similarity || a.id - b.id);
}

describe("queryVector", () => {
  it("returns a single series' vector normalised", () => {
    const q = queryVector([{ vector: [3, 4] }]);
    expect(q[0]).toBeCloseTo(0.6);
    expect(q[1]).toBeCloseTo(0.8);
  });

  it("takes the weighted mean of normalised vectors and renormalises it", () => {
    // [10, 0] counts as [1, 0]: length must not act as a hidden weight.
    const q = queryVector([{ vector: [10, 0], weight: 3 }, { vector: [0, 1], weight: 1 }]);
    expect(q[0] / q[1]).toBeCloseTo(3);
    expect(Math.hypot(q[0], q[1])).toBeCloseTo(1);
  });

  it("treats a missing weight as 1", () => {
    const q = queryVector([{ vector: [1, 0] }, { vector: [0, 1] }]);
    expect(q[0]).toBeCloseTo(q[1]);
  });

  it("refuses an empty list, zero total weight, negative weights and mixed dimensions", () => {
    expect(() => queryVector([])).toThrow(ShortlistError);
    expect(() => queryVector([{ vector: [1, 0], weight: 0 }])).toThrow(/positive weight/);
    expect(() => queryVector([{ vector: [1, 0], weight: -1 }])).toThrow(/weight 0/);
    expect(() => queryVector([{ vector: [1, 0] }, { vector: [1, 0, 0] }])).toThrow(/3 dimensions, expected 2/);
  });
});

describe("shortlist", () => {
  const set = syntheticVectorSet(3000, 32, 7);
  const query = randomUnitVector(32, seededRandom(99));

  it("returns the same top k as a full sort, best first", () => {
    const got = shortlist({ query, movies: set, k: 30 });
    const want = bruteForce(set, query).slice(0, 30);
    expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
    got.forEach((h, i) => expect(h.similarity).toBeCloseTo(want[i].similarity, 5));
  });

  it("returns only allowed ids, from a Set or an array", () => {
    const allowed = new Set(set.ids.filter((id) => id % 5 < 2));
    const want = bruteForce(set, query, allowed).slice(0, 20).map((h) => h.id);
    expect(shortlist({ query, movies: set, allowedIds: allowed, k: 20 }).map((h) => h.id)).toEqual(want);
    expect(shortlist({ query, movies: set, allowedIds: [...allowed], k: 20 }).map((h) => h.id)).toEqual(want);
  });

  it("ignores allowed ids that have no vector and returns nothing for an empty filter", () => {
    expect(shortlist({ query, movies: set, allowedIds: [999_999, set.ids[4]], k: 5 }).map((h) => h.id)).toEqual([set.ids[4]]);
    expect(shortlist({ query, movies: set, allowedIds: [], k: 5 })).toEqual([]);
  });

  it("returns every allowed movie when k exceeds them", () => {
    expect(shortlist({ query, movies: set, allowedIds: [1, 2, 3], k: 10 })).toHaveLength(3);
  });

  it("breaks ties by vector order so results are stable", () => {
    const twins = vectorSetOf([[5, [1, 0]], [3, [1, 0]], [9, [0, 1]]]);
    expect(shortlist({ query: [1, 0], movies: twins, k: 2 }).map((h) => h.id)).toEqual([5, 3]);
  });

  it("refuses a query from another embedder's dimension", () => {
    expect(() => shortlist({ query: new Float32Array(16), movies: set })).toThrow(/same embedder/);
  });

  it("ranks int8 vectors almost exactly like float vectors", () => {
    const int8 = quantizeInt8(set);
    const got = shortlist({ query, movies: int8, k: 20 });
    const want = bruteForce(set, query).slice(0, 20);
    const overlap = got.filter((h) => want.some((w) => w.id === h.id)).length;
    expect(overlap).toBeGreaterThanOrEqual(18);
    for (const hit of got) {
      const exact = want.find((w) => w.id === hit.id) ?? bruteForce(set, query).find((w) => w.id === hit.id)!;
      expect(Math.abs(hit.similarity - exact.similarity)).toBeLessThan(0.02);
    }
  });

  it("lets a boost lift a movie while reporting its plain cosine", () => {
    const small = vectorSetOf([[1, [1, 0]], [2, [0.9, 0.1]], [3, [0, 1]]]);
    const hits = shortlist({ query: [1, 0], movies: small, k: 2, boosts: new Map([[3, 2]]) });
    expect(hits.map((h) => h.id)).toEqual([3, 1]);
    expect(hits[0].similarity).toBeCloseTo(0);
    expect(hits[0].score).toBeCloseTo(2);
  });
});

describe("shortlist with MMR", () => {
  // Three near-copies close to the query, and a distinct movie slightly further away.
  const clustered = vectorSetOf([
    [1, [1, 0.05, 0]],
    [2, [1, 0.06, 0.001]],
    [3, [1, 0.04, 0.002]],
    [4, [0.8, 0, 0.6]],
  ]);
  const query = queryVector([{ vector: [1, 0, 0.1] }]);

  it("without MMR takes the near-copies first", () => {
    expect(shortlist({ query, movies: clustered, k: 2 }).map((h) => h.id)).not.toContain(4);
  });

  it("with MMR brings in the distinct movie second", () => {
    const ids = shortlist({ query, movies: clustered, k: 2, mmr: { lambda: 0.5 } }).map((h) => h.id);
    expect(ids[1]).toBe(4);
  });

  it("with lambda 1 keeps the plain relevance order", () => {
    const plain = shortlist({ query, movies: clustered, k: 4 }).map((h) => h.id);
    expect(shortlist({ query, movies: clustered, k: 4, mmr: { lambda: 1 } }).map((h) => h.id)).toEqual(plain);
  });

  it("works on int8 vectors", () => {
    const ids = shortlist({ query, movies: quantizeInt8(clustered), k: 2, mmr: { lambda: 0.5 } }).map((h) => h.id);
    expect(ids[1]).toBe(4);
  });
});

describe("lexical title overlap", () => {
  const index = buildLexicalIndex([
    { id: 1, title: "Fargo" },
    { id: 2, title: "Star Trek Into Darkness" },
    { id: 3, title: "Star Wars" },
    { id: 4, title: "Downton Abbey: A New Era" },
    { id: 5, title: "The Night of the Hunter" },
    { id: 6, title: "Night at the Museum" },
    { id: 7, title: "Amélie" },
  ]);

  it("tokenises without case, accents, possessives or filler words", () => {
    expect(titleTokens("The Handmaid's Tale")).toEqual(["handmaid", "tale"]);
    expect(titleTokens("AMÉLIE: Part II")).toEqual(["amelie"]);
  });

  it("scores an identical franchise name 1", () => {
    expect(lexicalScores(index, ["Fargo"]).get(1)).toBeCloseTo(1);
    expect(lexicalScores(index, ["Downton Abbey"]).get(4)).toBeCloseTo(1);
  });

  it("weighs the rare shared word above the common one", () => {
    const scores = lexicalScores(index, ["Star Trek: The Next Generation"]);
    expect(scores.get(2)!).toBeGreaterThan(scores.get(3)!);
  });

  it("leaves out movies that share no word", () => {
    const scores = lexicalScores(index, ["Fargo"]);
    expect([...scores.keys()]).toEqual([1]);
  });

  it("keeps the best score over several series and scales boosts by the weight", () => {
    const boosts = lexicalBoosts(index, ["Star Trek", "Fargo"], 0.1);
    expect(boosts.get(1)).toBeCloseTo(0.1);
    expect(boosts.get(2)).toBeCloseTo(0.1);
    expect(lexicalBoosts(index, ["Fargo"], 0).size).toBe(0);
  });

  it("scales precomputed scores exactly as lexicalBoosts does", () => {
    expect(scaledBoosts(lexicalScores(index, ["Star Trek", "Fargo"]), 0.1)).toEqual(lexicalBoosts(index, ["Star Trek", "Fargo"], 0.1));
  });
});

describe("shared title phrases", () => {
  it("returns the shared words as the title writes them, filler between them included", () => {
    expect(sharedTitlePhrases("The Lord of the Rings: The Rings of Power", "The Lord of the Rings: The Two Towers")).toEqual(["Lord of the Rings"]);
    expect(sharedTitlePhrases("Star Trek: Discovery", "Star Trek Into Darkness")).toEqual(["Star Trek"]);
  });

  it("matches across case, accents and possessives", () => {
    expect(sharedTitlePhrases("AMELIE", "Le Fabuleux Destin d'Amélie Poulain")).toEqual(["Amélie"]);
    expect(sharedTitlePhrases("GREY’S ANATOMY", "Grey's Anatomy: The Movie")).toEqual(["Grey's Anatomy"]);
  });

  it("lists shared words separately when the series name does not have them in that order, and ignores shared filler", () => {
    expect(sharedTitlePhrases("Night of the Hunter", "The Hunter in the Night")).toEqual(["Hunter", "Night"]);
    expect(sharedTitlePhrases("The Office", "The Night of the Hunter")).toEqual([]);
  });
});
