import { describe, expect, it } from "vitest";
import { DEFAULT_LLM_FUSION_WEIGHT, FusionError, fusePicks, fusedScores, seededShuffle, selectionSeed, shuffledForPrompt } from "../../lib/llm-fusion.ts";
import type { RerankCandidate, RerankPick } from "../../lib/rerank-types.ts";
import { CHEMISTRY_SERIES, candidate, rerankInput } from "../helpers/rerank-fixture.ts";

/** 30 pipeline candidates, best first (descending scores as the pipeline gives them). */
const LIST: RerankCandidate[] = Array.from({ length: 30 }, (_, i) => candidate(500 + i, { score: 1 - i / 100, because: [CHEMISTRY_SERIES.id] }));
const input = rerankInput({ candidates: LIST, limit: 10 });
const picksOf = (ids: number[]): RerankPick[] => ids.map((id, i) => ({ id, rank: i + 1, reason: `Model reason ${id}.` }));

describe("the shuffled order shown to the model", () => {
  it("is the same for the same selection and a permutation of the candidates", () => {
    const a = shuffledForPrompt(input).candidates.map((c) => c.id);
    const b = shuffledForPrompt({ ...input, candidates: [...LIST].reverse() }).candidates.map((c) => c.id);
    expect(a).toEqual(b);
    expect([...a].sort()).toEqual(LIST.map((c) => c.id).sort());
    expect(a).not.toEqual(LIST.map((c) => c.id));
  });

  it("changes with the selection", () => {
    expect(selectionSeed(input)).not.toBe(selectionSeed({ ...input, filters: { genres: ["Crime"] } }));
    expect(seededShuffle([1, 2, 3, 4, 5, 6, 7, 8], 1)).not.toEqual(seededShuffle([1, 2, 3, 4, 5, 6, 7, 8], 2));
  });

  it("puts the pipeline's first candidate first for only about 1 in 30 selections", () => {
    let first = 0;
    for (let s = 0; s < 300; s++) if (shuffledForPrompt({ ...input, filters: { minVotes: s } }).candidates[0].id === LIST[0].id) first++;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(30);
  });
});

describe("fusion with the deterministic order", () => {
  it("cannot lift a weak candidate to first place, whatever the model puts first", () => {
    const weight = DEFAULT_LLM_FUSION_WEIGHT;
    const top12 = LIST.slice(0, 12).map((c) => c.id);
    for (let weak = 12; weak < LIST.length; weak++) {
      // The worst cases: the model puts the weak one first and then either nothing or the
      // rest of the bottom of the list, leaving every strong candidate out.
      for (const rest of [[], LIST.slice(12).map((c) => c.id).filter((id) => id !== LIST[weak].id)]) {
        const picks = fusePicks(input, picksOf([LIST[weak].id, ...rest]), [], { weight, limit: 10 });
        expect(picks[0].id, `deterministic rank ${weak + 1}`).not.toBe(LIST[weak].id);
        expect(top12).toContain(picks[0].id);
      }
    }
  });

  it("lets the model reorder near-ties at the top", () => {
    const picks = fusePicks(input, picksOf([LIST[2].id, LIST[0].id, LIST[1].id]), [], { weight: DEFAULT_LLM_FUSION_WEIGHT, limit: 3 });
    expect(picks.map((p) => p.id)).toEqual([LIST[0].id, LIST[2].id, LIST[1].id]);
    const strong = fusePicks(input, picksOf([LIST[2].id]), [], { weight: DEFAULT_LLM_FUSION_WEIGHT, limit: 1 });
    expect(strong[0].id).toBe(LIST[2].id);
  });

  it("brings a movie the model both proposes and ranks first to the top from the end of the list", () => {
    const last = LIST[LIST.length - 1].id;
    const picks = fusePicks(input, picksOf([last, LIST[5].id]), [last], { weight: DEFAULT_LLM_FUSION_WEIGHT, limit: 5 });
    expect(picks[0].id).toBe(last);
  });

  it("keeps the model's reasons and gives data-based reasons to the picks the model left out", () => {
    const picks = fusePicks(input, picksOf([LIST[1].id]), [], { weight: DEFAULT_LLM_FUSION_WEIGHT, limit: 3 });
    expect(picks.map((p) => p.rank)).toEqual([1, 2, 3]);
    expect(picks.find((p) => p.id === LIST[1].id)!.reason).toBe(`Model reason ${LIST[1].id}.`);
    for (const p of picks.filter((p) => p.id !== LIST[1].id)) {
      expect(p.reason).not.toMatch(/Model reason/);
      expect(p.reason.length).toBeGreaterThan(10);
    }
  });

  it("with weight 0 is the deterministic order; ignores ids that are not candidates", () => {
    const picks = fusePicks(input, picksOf([999, LIST[9].id]), [999], { weight: 0, limit: 4 });
    expect(picks.map((p) => p.id)).toEqual(LIST.slice(0, 4).map((c) => c.id));
    expect(fusedScores(LIST, [999], [], { weight: 1 }).has(999)).toBe(false);
  });

  it("refuses a negative or non-numeric weight", () => {
    expect(() => fusePicks(input, [], [], { weight: -1, limit: 3 })).toThrow(FusionError);
    expect(() => fusePicks(input, [], [], { weight: Number.NaN, limit: 3 })).toThrow(/at least 0/);
  });
});
