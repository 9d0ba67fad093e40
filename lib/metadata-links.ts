// The metadata link between a series and a movie: shared people (the series' creators
// directing or writing the film, its cast starring in it), shared TMDB keywords and companies.
// Used as a retrieval beside the dense and lexical ones, and named in the reasons ("directed
// by Vince Gilligan, who created Breaking Bad"). Absent metadata simply finds nothing. Pure
// and browser-safe.
import type { MovieMetadata, SeriesMetadata } from "./catalog.ts";

/**
 * Weight of a shared production company in the metadata retrieval, tuned on the dev split
 * (0.3 against 0: franchise recall@10 0.809 against 0.757). A franchise's films share its
 * companies; the price is the odd stray (Galaxy Quest shares a producer's company with Breaking Bad).
 */
export const COMPANY_WEIGHT = 0.3;

export type LinkRole = "directed" | "wrote" | "stars";

export interface MetadataLinks {
  /** People the movie shares with the series, with what they did on the movie. */
  people: { name: string; role: LinkRole; inSeries: "created" | "starred" }[];
  /** Shared TMDB keywords, rarest first. */
  keywords: string[];
  /** Shared production companies. */
  companies: string[];
}

export interface MetadataIndex {
  size: number;
  /** Folded name → ids of the movies that have it, per field. */
  byField: Record<"directors" | "writers" | "cast" | "keywords" | "companies", Map<string, number[]>>;
}

type MovieWithMetadata = { id: number } & Partial<MovieMetadata>;
type SeriesWithMetadata = Partial<SeriesMetadata>;

const fold = (name: string) => name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();

export function buildMetadataIndex(movies: readonly MovieWithMetadata[]): MetadataIndex {
  const byField: MetadataIndex["byField"] = { directors: new Map(), writers: new Map(), cast: new Map(), keywords: new Map(), companies: new Map() };
  for (const movie of movies) {
    for (const field of Object.keys(byField) as (keyof MetadataIndex["byField"])[]) {
      for (const name of new Set((movie[field] ?? []).map(fold))) {
        const list = byField[field].get(name);
        if (list) list.push(movie.id);
        else byField[field].set(name, [movie.id]);
      }
    }
  }
  return { size: movies.length, byField };
}

// A shared person says more than a shared keyword; a shared company least.
const FIELD_WEIGHT = { directors: 3, writers: 3, cast: 1.5, keywords: 1, companies: COMPANY_WEIGHT } as const;

/**
 * Movies linked to the series by metadata, strongest first (ties by id): each shared name
 * adds its field's weight times its rarity among the movies.
 */
export function metadataMatches(index: MetadataIndex, series: SeriesWithMetadata): { id: number; score: number }[] {
  const scores = new Map<number, number>();
  const add = (field: keyof MetadataIndex["byField"], names: readonly string[] | undefined) => {
    if (FIELD_WEIGHT[field] <= 0) return;
    for (const name of new Set((names ?? []).map(fold))) {
      const ids = index.byField[field].get(name);
      if (!ids) continue;
      const rarity = Math.log(1 + index.size / ids.length);
      for (const id of ids) scores.set(id, (scores.get(id) ?? 0) + FIELD_WEIGHT[field] * rarity);
    }
  };
  const people = [...(series.creators ?? []), ...(series.cast ?? [])];
  add("directors", series.creators);
  add("writers", series.creators);
  add("cast", people);
  add("keywords", series.keywords);
  add("companies", series.companies);
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id);
}

/** In how many of the index's movies a keyword occurs (1 for one it lacks). */
export function keywordFrequency(index: MetadataIndex): (keyword: string) => number {
  return (keyword) => index.byField.keywords.get(fold(keyword))?.length ?? 1;
}

/** keywordFrequency() counted from the movies alone, without the rest of an index (the page, once every text is in). */
export function keywordFrequencyOf(movies: readonly Pick<MovieMetadata, "keywords">[]): (keyword: string) => number {
  const counts = new Map<string, number>();
  for (const movie of movies) for (const name of new Set((movie.keywords ?? []).map(fold))) counts.set(name, (counts.get(name) ?? 0) + 1);
  return (keyword) => counts.get(fold(keyword)) ?? 1;
}

/**
 * What a movie shares with a series, for the reason; rarest keywords first when their
 * frequencies are given: an index (keywordFrequency), or a lookup of the catalogue's counts
 * (the page's movie records carry them, lib/movie-records.ts).
 */
export function metadataLinks(series: SeriesWithMetadata, movie: Partial<MovieMetadata>, frequencies?: MetadataIndex | ((keyword: string) => number)): MetadataLinks {
  const creators = new Set((series.creators ?? []).map(fold));
  const cast = new Set((series.cast ?? []).map(fold));
  const people: MetadataLinks["people"] = [];
  const seen = new Set<string>();
  const note = (names: readonly string[] | undefined, role: LinkRole, from: Set<string>, inSeries: "created" | "starred") => {
    for (const name of names ?? []) {
      const key = fold(name);
      if (from.has(key) && !seen.has(key)) {
        seen.add(key);
        people.push({ name, role, inSeries });
      }
    }
  };
  note(movie.directors, "directed", creators, "created");
  note(movie.writers, "wrote", creators, "created");
  note(movie.cast, "stars", cast, "starred");
  note(movie.cast, "stars", creators, "created");
  const seriesKeywords = new Set((series.keywords ?? []).map(fold));
  const df = typeof frequencies === "function" ? frequencies : frequencies ? keywordFrequency(frequencies) : () => 1;
  const keywords = (movie.keywords ?? []).filter((k) => seriesKeywords.has(fold(k))).sort((a, b) => df(a) - df(b) || a.localeCompare(b));
  const seriesCompanies = new Set((series.companies ?? []).map(fold));
  const companies = (movie.companies ?? []).filter((c) => seriesCompanies.has(fold(c)));
  return { people, keywords, companies };
}
