import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fallbackRank } from "../../lib/fallback.ts";
import type { RerankSeries } from "../../lib/rerank-types.ts";
import { CANDIDATES, CHEMISTRY_SERIES, candidate, rerankInput } from "../helpers/rerank-fixture.ts";

describe("fallbackRank", () => {
  it("labels its answer as the fallback with no model", () => {
    const result = fallbackRank(rerankInput(), "no key");
    expect(result.source).toBe("fallback");
    expect(result.model).toBeNull();
    expect(result.fallbackReason).toBe("no key");
  });

  it("is deterministic: the same picks whatever the candidates' order", () => {
    const a = fallbackRank(rerankInput({ limit: 5 }));
    const b = fallbackRank(rerankInput({ limit: 5, candidates: [...CANDIDATES].reverse() }));
    expect(b).toEqual(a);
  });

  it("ranks a closer story first when everything else is equal", () => {
    const result = fallbackRank(rerankInput({ candidates: [candidate(1, { similarity: 0.2 }), candidate(2, { similarity: 0.6 })], limit: 2 }));
    expect(result.picks.map((p) => p.id)).toEqual([2, 1]);
  });

  it("prefers the candidate sharing the series' genres at equal similarity", () => {
    const result = fallbackRank(
      rerankInput({
        candidates: [
          candidate(1, { genres: ["Romance"], shared_genres: [], similarity: 0.4 }),
          candidate(2, { genres: ["Crime", "Drama"], shared_genres: ["Crime", "Drama"], similarity: 0.4 }),
        ],
        limit: 2,
      }),
    );
    expect(result.picks[0].id).toBe(2);
  });

  it("does not let a high rating from a handful of votes beat a well-rated, well-known film", () => {
    const result = fallbackRank(
      rerankInput({
        candidates: [candidate(1, { vote_average: 9.8, vote_count: 4, popularity: 20 }), candidate(2, { vote_average: 8.1, vote_count: 20_000, popularity: 20 })],
        limit: 2,
      }),
    );
    expect(result.picks[0].id).toBe(2);
  });

  it("returns at most `limit` picks ranked from 1", () => {
    const result = fallbackRank(rerankInput({ limit: 2 }));
    expect(result.picks.map((p) => p.rank)).toEqual([1, 2]);
  });

  it("returns no picks for no candidates", () => {
    expect(fallbackRank(rerankInput({ candidates: [] })).picks).toEqual([]);
  });
});

describe("fallbackRank with the title-overlap signal", () => {
  const franchise = candidate(1, { title: "El Camino: A Breaking Bad Movie", similarity: 0.58, title_overlap: 1 });
  const unrelated = candidate(2, { title: "Quiet Harbour", similarity: 0.6, title_overlap: 0 });
  const filler = [candidate(3, { similarity: 0.4 }), candidate(4, { similarity: 0.2 })];

  it("ranks a franchise-titled candidate above an unrelated one of slightly higher similarity", () => {
    const result = fallbackRank(rerankInput({ candidates: [unrelated, franchise, ...filler], limit: 2 }));
    expect(result.picks.map((p) => p.id)).toEqual([1, 2]);
  });

  it("ranks by similarity as before when no candidate carries the signal", () => {
    const { title_overlap: _a, ...plainFranchise } = franchise;
    const { title_overlap: _b, ...plainUnrelated } = unrelated;
    const result = fallbackRank(rerankInput({ candidates: [plainUnrelated, plainFranchise, ...filler], limit: 2 }));
    expect(result.picks.map((p) => p.id)).toEqual([2, 1]);
  });

  it("does not let title overlap lift a far-off story over a close one", () => {
    const farFranchise = { ...franchise, similarity: 0.25 };
    const result = fallbackRank(rerankInput({ candidates: [unrelated, farFranchise, ...filler], limit: 4 }));
    expect(result.picks.map((p) => p.id).indexOf(1)).toBeGreaterThan(result.picks.map((p) => p.id).indexOf(3));
  });
});

describe("fallback reasons", () => {
  const reasonFor = (id: number, input = rerankInput({ limit: 5 })) => fallbackRank(input).picks.find((p) => p.id === id)!.reason;
  const GENRE_WORDS = /\b(action|adventure|animation|comedy|crime|documentary|drama|family|fantasy|history|horror|music|mystery|romance|science fiction|thriller|war|western)\b/i;

  it("names the series and the distinctive words and phrases both overviews use", () => {
    const reason = reasonFor(101);
    expect(reason).toMatch(/^Like Breaking Bad, its story turns on /);
    expect(reason).toContain("chemistry teacher");
    expect(reason).toContain("Albuquerque");
    expect(reasonFor(103)).toContain("drug cartel");
  });

  it("offers topic words, not narration (adverbs, past forms), as shared terms", () => {
    const series: RerankSeries = { id: 9, name: "Ashes", year: 2020, genres: ["Drama"], overview: "A town badly destroyed by greed rebuilds itself." };
    const c = candidate(1, { overview: "The city was badly destroyed, and greed rules it." });
    const reason = fallbackRank(rerankInput({ series: [series], candidates: [c], limit: 1 })).picks[0].reason;
    expect(reason).toContain("greed");
    expect(reason).not.toMatch(/badly|destroyed/);
  });

  it("never cites genre words, the medium or stopwords as shared story words", () => {
    const series: RerankSeries = { id: 9, name: "Ledger", year: 2020, genres: ["Crime", "Drama"], overview: "A gripping crime drama series about a smuggler who launders money through a bakery." };
    const c = candidate(1, { genres: ["Crime"], shared_genres: ["Crime"], overview: "A crime thriller and drama film in which a smuggler hides his fortune." });
    const reason = fallbackRank(rerankInput({ series: [series], candidates: [c], limit: 1 })).picks[0].reason;
    expect(reason).toContain("smuggler");
    expect(reason).not.toMatch(GENRE_WORDS);
    expect(reason).not.toMatch(/\b(series|film|which|through)\b/i);
  });

  it("puts no figures in the prose: similarity and ratings are the card's", () => {
    for (const pick of fallbackRank(rerankInput({ limit: 5 })).picks) expect(pick.reason).not.toMatch(/\d/);
    expect(reasonFor(102)).toMatch(/Breaking Bad/);
  });

  it("says a franchise title carries the series' name, as the title writes it", () => {
    const c = candidate(1, { title: "El Camino: A Breaking Bad Movie", title_overlap: 1 });
    const reason = fallbackRank(rerankInput({ candidates: [c], limit: 1 })).picks[0].reason;
    expect(reason).toMatch(/^Carries the Breaking Bad name to the big screen\./);
  });

  it("speaks of a start movie as a film: a shared name, not one carried to the big screen", () => {
    const start: RerankSeries = { id: 500, name: "The Godfather", year: 1972, genres: ["Crime", "Drama"], overview: "", kind: "movie" };
    const c = candidate(1, { title: "The Godfather Part II", title_overlap: 1, because: [500] });
    const reason = fallbackRank(rerankInput({ series: [start], candidates: [c], limit: 1 })).picks[0].reason;
    expect(reason).toMatch(/^Shares the (The )?Godfather name with The Godfather\./);
    expect(reason).not.toMatch(/big screen|series/i);
  });

  it("keeps the words both stories mention, without repeating the shared title", () => {
    const c = candidate(1, { title: "El Camino: A Breaking Bad Movie", overview: "The former student of a chemistry teacher flees Albuquerque.", title_overlap: 1 });
    const reason = fallbackRank(rerankInput({ candidates: [c], limit: 1 })).picks[0].reason;
    expect(reason).toMatch(/Both turn on .*chemistry teacher/);
    expect(reason.match(/Breaking Bad/g)).toHaveLength(1);
  });

  it("leaves the title out of the reason when it repeats only a minor part of the series name", () => {
    const c = candidate(1, { title: "Bad Company", title_overlap: 0.3 });
    expect(fallbackRank(rerankInput({ candidates: [c], limit: 1 })).picks[0].reason).not.toMatch(/name to the big screen/);
  });

  it("still names the series when nothing is shared, without citing a genre", () => {
    const reason = reasonFor(102);
    expect(reason).toMatch(/Breaking Bad/);
    expect(reason).not.toMatch(GENRE_WORDS);
  });

  it("is at most two sentences and about 35 words", () => {
    for (const pick of fallbackRank(rerankInput({ limit: 5 })).picks) {
      expect(pick.reason.split(/(?<=\.)\s+(?=[A-Z])/).length).toBeLessThanOrEqual(2);
      expect(pick.reason.split(/\s+/).length).toBeLessThanOrEqual(35);
    }
  });

  it("names the chosen series that fits the candidate best when several are chosen", () => {
    const romance: RerankSeries = { id: 2, name: "Island Hearts", year: 2019, genres: ["Romance"], overview: "Strangers fall in love on a ferry between islands." };
    const input = rerankInput({ series: [CHEMISTRY_SERIES, romance], limit: 5 });
    expect(reasonFor(102, input)).toContain("Island Hearts");
    expect(reasonFor(101, input)).toContain("Breaking Bad");
  });

  it("names the series a pipeline candidate is there for, and the others it also suits", () => {
    const romance: RerankSeries = { id: 2, name: "Island Hearts", year: 2019, genres: ["Romance"], overview: "Strangers fall in love on a ferry between islands." };
    const candidates = CANDIDATES.map((c, i) => ({ ...c, score: 1 - i / 10, because: i === 0 ? [2, CHEMISTRY_SERIES.id] : [CHEMISTRY_SERIES.id] }));
    const picks = fallbackRank(rerankInput({ series: [CHEMISTRY_SERIES, romance], candidates, limit: 5 })).picks;
    expect(picks[0].reason).toMatch(/Island Hearts/);
    expect(picks[0].reason).toMatch(/It suits fans of Breaking Bad too\./);
  });
});

describe("fallbackRank over the pipeline's candidates", () => {
  it("keeps the pipeline's order, which already shares the list among the series", () => {
    const reversed = [...CANDIDATES].reverse().map((c, i) => ({ ...c, score: 1 - i / 10, because: [CHEMISTRY_SERIES.id] }));
    const picks = fallbackRank(rerankInput({ candidates: reversed, limit: 5 })).picks;
    expect(picks.map((p) => p.id)).toEqual(reversed.slice(0, 5).map((c) => c.id));
  });
});

describe("browser safety", () => {
  it("lib/fallback.ts and what it imports use no node: modules", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      expect(source, file).not.toMatch(/from\s+["']node:/);
      for (const match of source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+["'](\.[^"']+)["']/gm)) {
        visit(path.resolve(path.dirname(file), match[1]));
      }
    };
    visit(path.resolve("lib/fallback.ts"));
    expect(seen.size).toBeGreaterThan(1);
  });
});
