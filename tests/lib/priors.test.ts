// The priors the fusion adds to the movies the retrievals found: quality, reach, genre agreement.
import { describe, expect, it } from "vitest";
import { RANKING_WEIGHTS, createRankingContext, rankForSeries, type RankableMovie, type RankableSeries } from "../../lib/pipeline.ts";
import { genreAgreement, qualityPrior, reachPrior } from "../../lib/priors.ts";
import type { VectorSet } from "../../lib/vectors.ts";

describe("genreAgreement", () => {
  it("is the Jaccard overlap of the two genre sets", () => {
    expect(genreAgreement(["Crime", "Drama"], ["Crime", "Drama"])).toBe(1);
    expect(genreAgreement(["Crime", "Drama"], ["Crime", "Thriller"])).toBeCloseTo(1 / 3);
    expect(genreAgreement(["Crime", "Drama"], ["Comedy"])).toBe(0);
  });

  it("counts nothing when either side has no genres, and a repeated genre once", () => {
    expect(genreAgreement([], ["Crime"])).toBe(0);
    expect(genreAgreement(["Crime"], [])).toBe(0);
    expect(genreAgreement(["Crime"], ["Crime", "Crime"])).toBe(1);
  });
});

describe("reachPrior", () => {
  it("grows with the vote count, from 0 with no votes to 1 for the most-voted movie", () => {
    const max = Math.log1p(20_000);
    expect(reachPrior({ vote_count: 0 }, max)).toBe(0);
    expect(reachPrior({ vote_count: 20_000 }, max)).toBeCloseTo(1);
    expect(reachPrior({ vote_count: 300 }, max)).toBeLessThan(reachPrior({ vote_count: 3_000 }, max));
  });

  it("is 0 in a catalogue without votes", () => {
    expect(reachPrior({ vote_count: 10 }, 0)).toBe(0);
  });
});

describe("qualityPrior", () => {
  it("trusts a rating in proportion to its votes", () => {
    expect(qualityPrior({ vote_average: 9, vote_count: 12 })).toBeLessThan(qualityPrior({ vote_average: 8.2, vote_count: 20_000 }));
  });
});

describe("the priors in the fusion", () => {
  // Two movies equally close to the series' story (the same vector); only their genres or votes differ.
  const dims = 4;
  const unit = [1, 0, 0, 0];
  const vectors = (ids: number[]): VectorSet => ({ embedderId: "t", dims, ids, data: new Float32Array(ids.flatMap(() => unit)) });
  const series: RankableSeries = { id: 1, name: "Night Shift", year: 2010, genre_names: ["Crime", "Drama"], overview: "", language: "en" };
  // A rating at the Bayesian prior's mean, so the quality prior is the same whatever the votes.
  const movie = (id: number, genres: string[], votes: number): RankableMovie => ({
    id, title: `Film ${id}`, year: 2000, genre_names: genres, overview: "", popularity: 10, vote_average: 6.5, vote_count: votes, language: "en",
  });
  const rank = (movies: RankableMovie[], weights = {}) => {
    const context = createRankingContext(movies, { movies: vectors(movies.map((m) => m.id)), series: vectors([1]) }, { weights: { lexical: 0, franchise: 0, metadata: 0, ...weights } });
    const ids = movies.map((m) => m.id);
    return rankForSeries(context, series, new Set(ids), ids).ranked.map((r) => r.id);
  };

  it("puts the movie of the series' genres above an equally close one from another genre", () => {
    const movies = [movie(10, ["Comedy"], 1000), movie(11, ["Crime", "Drama"], 1000)];
    expect(rank(movies)).toEqual([11, 10]);
    expect(rank(movies, { genre: 0 })).toEqual([10, 11]); // ties fall back to the id
  });

  it("puts the widely seen movie above an equally close, equally rated obscure one", () => {
    const movies = [movie(20, ["Crime"], 250), movie(21, ["Crime"], 25_000)];
    expect(RANKING_WEIGHTS.reach).toBeGreaterThan(0);
    expect(rank(movies)).toEqual([21, 20]);
    expect(rank(movies, { reach: 0 })).toEqual([20, 21]);
  });
});
