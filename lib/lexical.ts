// Title overlap between series and movies: franchises and spin-offs share names ("Fargo",
// "Star Trek", "Downton Abbey") that overview embeddings do not always catch. Pure and
// browser-safe. The franchise signal (lib/franchise.ts) reads its index and coverage scores.
import { foldedWords } from "./words.ts";

/**
 * Weight of the title-overlap boost of the ranker before the fusion (lib/pipeline.ts), kept so
 * bench/quality.ts can report that ranker ("previous") beside the current one.
 */
export const LEXICAL_WEIGHT = 0.1;

// Words that carry no franchise identity in a title.
const STOPWORDS = new Set([
  "a", "an", "and", "at", "by", "de", "for", "from", "in", "is", "la", "le", "my", "of", "on", "or", "the", "to", "with",
  "movie", "film", "part", "chapter", "season", "series", "show", "ii", "iii", "iv", "vi", "vii", "viii",
]);

/** Lowercase, accent-free word tokens of a title, without stopwords, one-letter words or duplicates. */
export function titleTokens(title: string): string[] {
  return [...new Set(foldedWords(title).filter((w) => w.length > 1 && !STOPWORDS.has(w)))];
}

export interface LexicalIndex {
  /** Number of titles indexed. */
  size: number;
  /** Token → ids of the titles containing it. */
  postings: Map<string, number[]>;
}

export function buildLexicalIndex(titles: readonly { id: number; title: string }[]): LexicalIndex {
  const postings = new Map<string, number[]>();
  for (const { id, title } of titles) {
    for (const token of titleTokens(title)) {
      const list = postings.get(token);
      if (list) list.push(id);
      else postings.set(token, [id]);
    }
  }
  return { size: titles.length, postings };
}

/** Rarer words weigh more: sharing "trek" says more than sharing "night". */
function idf(index: LexicalIndex, token: string): number {
  return Math.log(1 + index.size / (1 + (index.postings.get(token)?.length ?? 0)));
}

/**
 * For each movie whose title shares a word with one of the series names: the IDF-weighted
 * share of that series name found in the movie title (0..1), best over the series.
 * Movies sharing nothing are absent from the map.
 */
export function lexicalScores(index: LexicalIndex, seriesNames: readonly string[]): Map<number, number> {
  const scores = new Map<number, number>();
  for (const name of seriesNames) {
    const tokens = titleTokens(name);
    const weights = tokens.map((t) => idf(index, t));
    const total = weights.reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const partial = new Map<number, number>();
    tokens.forEach((token, i) => {
      for (const id of index.postings.get(token) ?? []) partial.set(id, (partial.get(id) ?? 0) + weights[i] / total);
    });
    for (const [id, score] of partial) scores.set(id, Math.max(scores.get(id) ?? 0, score));
  }
  return scores;
}

/** Lexical scores scaled by `weight`, ready to pass to shortlist() as boosts. */
export function lexicalBoosts(index: LexicalIndex, seriesNames: readonly string[], weight: number): Map<number, number> {
  return scaledBoosts(weight === 0 ? new Map() : lexicalScores(index, seriesNames), weight);
}

/** Scores already computed by lexicalScores(), scaled by `weight` (empty when it is 0). */
export function scaledBoosts(scores: ReadonlyMap<number, number>, weight: number): Map<number, number> {
  const boosts = new Map<number, number>();
  if (weight === 0) return boosts;
  for (const [id, score] of scores) boosts.set(id, weight * score);
  return boosts;
}

/** Every word of a text, stopwords kept, in titleTokens()' form, joined by single spaces. */
function foldWords(text: string): string {
  return ` ${foldedWords(text).join(" ")} `;
}

/**
 * The parts of `title` made of words the series name also has, as written in the title, in
 * title order. Filler words between two shared words stay inside the phrase when the series
 * name has the same run of words, so "The Lord of the Rings: The Two Towers" against "The
 * Lord of the Rings: The Rings of Power" gives ["Lord of the Rings"].
 */
export function sharedTitlePhrases(seriesName: string, title: string): string[] {
  const wanted = new Set(titleTokens(seriesName));
  if (wanted.size === 0) return [];
  const name = foldWords(seriesName);
  const text = title.normalize("NFC");
  // Words as titleTokens() splits them: a possessive 's stays with its word.
  const words = [...text.matchAll(/[\p{L}\p{N}]+(?:['’]s(?![\p{L}\p{N}]))?/gu)].map((m) => {
    const tokens = titleTokens(m[0]);
    return { start: m.index, end: m.index + m[0].length, shared: tokens.some((t) => wanted.has(t)), filler: tokens.length === 0 };
  });
  const phrases: string[] = [];
  const seen = new Set<string>();
  let i = 0;
  while (i < words.length) {
    if (!words[i].shared) {
      i++;
      continue;
    }
    let last = i;
    for (let j = i + 1; j < words.length && (words[j].shared || words[j].filler); j++) {
      if (words[j].shared && name.includes(foldWords(text.slice(words[i].start, words[j].end)))) last = j;
    }
    const phrase = text.slice(words[i].start, words[last].end);
    if (!seen.has(phrase.toLowerCase())) {
      seen.add(phrase.toLowerCase());
      phrases.push(phrase);
    }
    i = last + 1;
  }
  return phrases;
}
