// A small rerank input written for tests (own words, not TMDB text).
import type { RerankCandidate, RerankInput, RerankSeries } from "../../lib/rerank-types.ts";

export const CHEMISTRY_SERIES: RerankSeries = {
  id: 1396,
  name: "Breaking Bad",
  year: 2008,
  genres: ["Drama", "Crime"],
  overview:
    "A chemistry teacher in Albuquerque learns he is dying and turns to cooking methamphetamine with a former student, drawing the attention of a drug cartel and his brother-in-law at the DEA.",
};

export function candidate(id: number, over: Partial<RerankCandidate> = {}): RerankCandidate {
  return {
    id,
    title: `Movie ${id}`,
    year: 2000 + (id % 20),
    genres: ["Drama"],
    overview: `An ordinary drama number ${id} about a family in a small town.`,
    popularity: 10 + id,
    vote_average: 7,
    vote_count: 1000,
    similarity: 0.3,
    shared_genres: ["Drama"],
    ...over,
  };
}

export const CANDIDATES: RerankCandidate[] = [
  candidate(101, {
    title: "The Cook",
    genres: ["Crime", "Drama", "Thriller"],
    shared_genres: ["Crime", "Drama"],
    overview: "A disgraced chemistry teacher builds a drug empire in Albuquerque while a cartel closes in.",
    similarity: 0.71,
    popularity: 80,
    vote_average: 7.8,
    vote_count: 12000,
  }),
  candidate(102, {
    title: "Harbour Lights",
    genres: ["Romance"],
    shared_genres: [],
    overview: "Two strangers fall in love on a ferry between islands.",
    similarity: 0.12,
    popularity: 300,
    vote_average: 6.1,
    vote_count: 800,
  }),
  candidate(103, {
    title: "Cartel Summer",
    genres: ["Crime", "Action"],
    shared_genres: ["Crime"],
    overview: "A border agent goes undercover inside a drug cartel smuggling methamphetamine.",
    similarity: 0.55,
    popularity: 40,
    vote_average: 6.9,
    vote_count: 3000,
  }),
  candidate(104, { similarity: 0.3 }),
  candidate(105, { similarity: 0.25, genres: ["Comedy"], shared_genres: [], overview: "A wedding goes wrong in every possible way." }),
];

export function rerankInput(over: Partial<RerankInput> = {}): RerankInput {
  return { series: [CHEMISTRY_SERIES], filters: {}, candidates: CANDIDATES, limit: 3, ...over };
}
