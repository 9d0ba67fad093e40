// What a movie is worth before any story match: a Bayesian-adjusted rating. Shared by the
// pipeline's quality prior and the fallback's blend for hand-built candidates. Pure.

// Bayesian rating: a 9.0 from 12 votes should not beat an 8.2 from 20,000.
const PRIOR_VOTES = 200;
const PRIOR_MEAN = 6.5;

/** 0..1 quality prior: the Bayesian-adjusted rating, 5/10 and below counting as nothing. */
export function qualityPrior(movie: { vote_average: number; vote_count: number }): number {
  const votes = Math.max(0, movie.vote_count);
  const adjusted = (votes * movie.vote_average + PRIOR_VOTES * PRIOR_MEAN) / (votes + PRIOR_VOTES);
  return Math.min(1, Math.max(0, (adjusted - 5) / 4));
}
