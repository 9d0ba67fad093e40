// Franchise and title matching: a movie whose title carries a series' distinctive name
// (Fargo → Fargo; The Purge → The Purge: Anarchy), or a name its overview gives a character,
// ship or place (Firefly's overview names Serenity), is a strong candidate. Collisions are
// told apart by how much of the name the title carries, weighted by how rare each word is
// (Avatar alone carries little of "Avatar: The Last Airbender"), and by genre agreement
// (Empire the music drama against The Empire Strikes Back). Pure and browser-safe.
import { tvGenresToMovieGenres } from "./catalog.ts";
import { lexicalScores, titleTokens, type LexicalIndex } from "./lexical.ts";

/** Share of the series name (IDF-weighted) a title must carry to count as the franchise. */
export const MIN_TITLE_COVERAGE = 0.5;
/** A title made of the story's names is likely kin, but less sure than the series' own name. */
const ENTITY_STRENGTH = 0.8;
/** A named thing of the overview must be this rare among titles to be taken for a name. */
const MAX_ENTITY_TITLES = 8;

export interface FranchiseSeries {
  name: string;
  overview: string;
  genre_names: readonly string[];
}

export interface FranchiseMovie {
  id: number;
  title: string;
  genre_names: readonly string[];
  overview?: string;
}

export interface FranchiseMatch {
  id: number;
  /** 0..1: how much of the series' name (or of the title, for a named thing) is shared. */
  strength: number;
  kind: "title" | "entity";
  /** Names (people, places) both overviews use, the series' own name aside: a sign of one story world. */
  sharedNames: string[];
}

// Nearly everything is a drama: sharing only that says nothing about two stories.
const GENERIC_GENRES = new Set(["Drama"]);

/**
 * Whether the movie shares a telling genre with the series (TV genres mapped): one other than
 * Drama, unless Drama is all one of them has. Unknown genres agree.
 */
function genresAgree(series: FranchiseSeries, movie: FranchiseMovie): boolean {
  const wanted = tvGenresToMovieGenres(series.genre_names);
  if (movie.genre_names.length === 0 || series.genre_names.length === 0) return true;
  // Talk, News, Reality and Soap have no movie counterpart: such a series agrees with no film's genres.
  if (wanted.length === 0) return false;
  const telling = (genres: readonly string[]) => genres.filter((g) => !GENERIC_GENRES.has(g));
  const [a, b] = [telling(wanted), telling(movie.genre_names)];
  if (a.length === 0 || b.length === 0) return movie.genre_names.some((g) => wanted.includes(g));
  return b.some((g) => a.includes(g));
}

/** The words of a name that are rarest among titles: a title must carry one to be the franchise. */
function rarestWords(lexicon: LexicalIndex, name: string): Set<string> {
  const tokens = titleTokens(name);
  const df = (t: string) => lexicon.postings.get(t)?.length ?? 0;
  const known = tokens.filter((t) => df(t) > 0);
  const min = Math.min(...known.map(df));
  return new Set(known.filter((t) => df(t) === min));
}

/** Capitalised words inside sentences of the overview: names of people, ships, towns. */
function namedThings(overview: string): Set<string> {
  const names = new Set<string>();
  for (const sentence of overview.split(/[.!?;:]\s+/)) {
    const words = sentence.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
    words.slice(1).forEach((word) => {
      if (/^\p{Lu}/u.test(word)) for (const token of titleTokens(word)) names.add(token);
    });
  }
  return names;
}

/**
 * The movies that belong with a series by name, strongest first (ties by id). `movies`
 * must hold every id the lexicon indexes.
 */
export function franchiseMatches(lexicon: LexicalIndex, movies: ReadonlyMap<number, FranchiseMovie>, series: FranchiseSeries): FranchiseMatch[] {
  const matches = new Map<number, FranchiseMatch>();
  const distinctive = rarestWords(lexicon, series.name);
  const nameWords = new Set(titleTokens(series.name));
  const seriesNames = [...namedThings(series.overview)].filter((n) => !nameWords.has(n));
  const sharedNames = (movie: FranchiseMovie) => {
    const theirs = namedThings(movie.overview ?? "");
    return seriesNames.filter((n) => theirs.has(n));
  };
  for (const [id, coverage] of lexicalScores(lexicon, [series.name])) {
    const movie = movies.get(id);
    if (!movie || coverage < MIN_TITLE_COVERAGE || !genresAgree(series, movie)) continue;
    // "Avatar" carries part of "Avatar: The Last Airbender", but not its telling word.
    if (!titleTokens(movie.title).some((t) => distinctive.has(t))) continue;
    matches.set(id, { id, strength: coverage, kind: "title", sharedNames: sharedNames(movie) });
  }
  const names = [...namedThings(series.overview)].filter((name) => {
    const titles = lexicon.postings.get(name)?.length ?? 0;
    return titles > 0 && titles <= MAX_ENTITY_TITLES && !titleTokens(series.name).includes(name);
  });
  // A title made only of names the series' story uses: Serenity, for Firefly's ship.
  for (const name of names) {
    for (const id of lexicon.postings.get(name) ?? []) {
      const movie = movies.get(id);
      if (!movie || matches.has(id) || !genresAgree(series, movie)) continue;
      const tokens = titleTokens(movie.title);
      if (tokens.length > 0 && tokens.every((t) => names.includes(t))) matches.set(id, { id, strength: ENTITY_STRENGTH, kind: "entity", sharedNames: sharedNames(movie) });
    }
  }
  return [...matches.values()].sort((a, b) => b.strength - a.strength || a.id - b.id);
}
