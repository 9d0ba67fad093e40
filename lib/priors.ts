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

/**
 * 0..1 genre agreement: the Jaccard overlap of a movie's genres with the series' (already
 * mapped onto movie genres). Fans of a crime drama look for crime dramas first; a story match
 * from another genre (a comedy that shares a production company) should not outrank them.
 */
export function genreAgreement(seriesGenres: readonly string[], movieGenres: readonly string[]): number {
  if (seriesGenres.length === 0 || movieGenres.length === 0) return 0;
  const wanted = new Set(seriesGenres);
  const shared = new Set(movieGenres.filter((g) => wanted.has(g))).size;
  return shared / (wanted.size + new Set(movieGenres).size - shared);
}

/**
 * 0..1 reach: how widely a movie has been seen, as log(1 + votes) over the catalogue's highest.
 * The films critics and fans name for a series are the ones many people saw; TMDB's popularity
 * only says what is trending this week.
 */
export function reachPrior(movie: { vote_count: number }, maxLogVotes: number): number {
  return maxLogVotes > 0 ? Math.log1p(Math.max(0, movie.vote_count)) / maxLogVotes : 0;
}
