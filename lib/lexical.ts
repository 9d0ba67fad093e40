// Title overlap between series and movies: franchises and spin-offs share names ("Fargo",
// "Star Trek", "Downton Abbey") that overview embeddings do not always catch. Pure.

// Words that carry no franchise identity in a title.
const STOPWORDS = new Set([
  "a", "an", "and", "at", "by", "de", "for", "from", "in", "is", "la", "le", "my", "of", "on", "or", "the", "to", "with",
  "movie", "film", "part", "chapter", "season", "series", "show", "ii", "iii", "iv", "vi", "vii", "viii",
]);

/** Lowercase, accent-free word tokens of a title, without stopwords, one-letter words or duplicates. */
export function titleTokens(title: string): string[] {
  const words = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’]s\b/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1 && !STOPWORDS.has(w));
  return [...new Set(words)];
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
  const boosts = new Map<number, number>();
  if (weight === 0) return boosts;
  for (const [id, score] of lexicalScores(index, seriesNames)) boosts.set(id, weight * score);
  return boosts;
}
