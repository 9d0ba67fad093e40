// Deterministic ranker with explanations, used when no LLM is configured or it fails, and by
// the site for selections nobody precomputed. Pure and browser-safe: same input, same picks.
// Candidates from the ranking pipeline (lib/pipeline.ts) carry its fused score and keep its
// order, shared among the series; hand-built candidates without a score are ranked by a blend
// of story similarity, shared genres, popularity, rating and title overlap. The reason names
// the concrete link in words: the shared name, names and themes both stories use; never
// genre words, stopwords, the medium or figures (those belong to the card's data).
import { tvGenresToMovieGenres } from "./catalog.ts";
import { sharedTitlePhrases, titleTokens } from "./lexical.ts";
import { qualityPrior } from "./priors.ts";
import { isReasonWord, stem } from "./words.ts";
import type { RerankCandidate, RerankInput, RerankPick, RerankResult, RerankSeries } from "./rerank-types.ts";

/**
 * Weights of the blend; similarity dominates because it is the only signal about the story.
 * `titleOverlap` is added on top, for candidates whose `title_overlap` the caller filled in
 * (the shortlist's lexical signal): a movie repeating the whole series name gains about a
 * fifth of the similarity range of the shortlist, enough to keep a franchise title that the
 * boost brought into the shortlist, not enough to lift a far-off story over close ones.
 * Candidates without the field score exactly as before.
 */
export const FALLBACK_WEIGHTS = { similarity: 0.55, genres: 0.2, popularity: 0.15, rating: 0.1, titleOverlap: 0.1 } as const;

/**
 * A shared title is named in the reason when the candidate repeats at least this share of a
 * series name (IDF-weighted): then it is a main reason for the rank, not a shared "Night".
 */
export const TITLE_REASON_MIN_OVERLAP = 0.5;

interface Context {
  minSimilarity: number;
  maxSimilarity: number;
  maxLogPopularity: number;
  similarityRank: Map<number, number>;
  /** In how many candidates each word stem occurs: common words are not distinctive. */
  documentFrequency: Map<string, number>;
  candidateCount: number;
}

interface Token {
  stem: string;
  display: string;
  proper: boolean;
  /** Separated from the previous token by anything but a space (punctuation breaks a phrase). */
  afterBreak: boolean;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let lastEnd = 0;
  let sentenceStart = true;
  for (const match of text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu)) {
    const gap = text.slice(lastEnd, match.index);
    if (/[.!?:;"“”]/.test(gap)) sentenceStart = true;
    const word = match[0].replace(/['’]s$/, "");
    tokens.push({
      stem: stem(word),
      display: word,
      proper: !sentenceStart && /^\p{Lu}/u.test(word),
      afterBreak: tokens.length === 0 || /[^\s]/.test(gap),
    });
    sentenceStart = false;
    lastEnd = match.index + match[0].length;
  }
  return tokens;
}

function isContent(token: Token): boolean {
  if (!isReasonWord(token.stem) || !isReasonWord(token.display)) return false;
  return token.stem.length >= (token.proper ? 3 : 4);
}

/**
 * Whether a lone word says something about the story. Adverbs (-ly) and past forms (-ed)
 * are how overviews narrate ("badly", "destroyed"), not what they are about; names and
 * hyphenated compounds ("drug-addicted") stay.
 */
function isTopicWord(token: Token): boolean {
  if (token.proper || token.stem.includes("-") || LY_NOUNS.has(token.stem)) return true;
  return !/(ly|[^e]ed)$/.test(token.stem);
}

const LY_NOUNS = new Set("family assembly anomaly ally rally bully belly jelly lily fly holy ugly monopoly butterfly supply reply july".split(" "));

interface Term {
  key: string;
  display: string;
  proper: boolean;
  words: string[];
}

// The terms of a text never change, and the page asks for the same candidates' terms on every
// input change: tokenising them again was a third of a change's ranking time. Bounded, so a
// long session over a large catalogue cannot grow it without end.
const TERMS_CACHE_SIZE = 20_000;
const termsCache = new Map<string, ReadonlyMap<string, Readonly<Term>>>();

/** Content words and two-word phrases of a text, keyed by stem (remembered per text). */
function termsOf(text: string): ReadonlyMap<string, Readonly<Term>> {
  let terms = termsCache.get(text);
  if (!terms) {
    if (termsCache.size >= TERMS_CACHE_SIZE) termsCache.clear();
    terms = computeTerms(text);
    termsCache.set(text, terms);
  }
  return terms;
}

function computeTerms(text: string): Map<string, Term> {
  const tokens = tokenize(text);
  const terms = new Map<string, Term>();
  tokens.forEach((token, i) => {
    if (!isContent(token)) return;
    if (!terms.has(token.stem) && isTopicWord(token)) {
      terms.set(token.stem, { key: token.stem, display: token.proper ? token.display : token.display.toLowerCase(), proper: token.proper, words: [token.stem] });
    }
    const next = tokens[i + 1];
    if (next && !next.afterBreak && isContent(next) && isTopicWord(token) && isTopicWord(next)) {
      const key = `${token.stem} ${next.stem}`;
      if (!terms.has(key)) {
        const proper = token.proper && next.proper;
        const display = `${token.display} ${next.display}`;
        terms.set(key, { key, display: proper ? display : display.toLowerCase(), proper, words: [token.stem, next.stem] });
      }
    }
  });
  return terms;
}

const candidateText = (c: RerankCandidate) => `${c.title}. ${c.overview}`;
const seriesText = (s: RerankSeries) => `${s.name}. ${s.overview}`;

function buildContext(candidates: readonly RerankCandidate[]): Context {
  const similarities = candidates.map((c) => c.similarity);
  const bySimilarity = [...candidates].sort((a, b) => b.similarity - a.similarity || a.id - b.id);
  const documentFrequency = new Map<string, number>();
  for (const c of candidates) {
    for (const key of termsOf(candidateText(c)).keys()) documentFrequency.set(key, (documentFrequency.get(key) ?? 0) + 1);
  }
  return {
    minSimilarity: Math.min(...similarities),
    maxSimilarity: Math.max(...similarities),
    maxLogPopularity: Math.max(...candidates.map((c) => Math.log1p(Math.max(0, c.popularity)))),
    similarityRank: new Map(bySimilarity.map((c, i) => [c.id, i])),
    documentFrequency,
    candidateCount: candidates.length,
  };
}

function seriesMovieGenres(series: readonly RerankSeries[]): Set<string> {
  return new Set(series.flatMap((s) => tvGenresToMovieGenres(s.genres)));
}

function score(c: RerankCandidate, ctx: Context, wanted: Set<string>): number {
  const spread = ctx.maxSimilarity - ctx.minSimilarity;
  const similarity = spread > 0 ? (c.similarity - ctx.minSimilarity) / spread : 1;
  const shared = c.shared_genres.length > 0 ? c.shared_genres.length : c.genres.filter((g) => wanted.has(g)).length;
  const genres = Math.min(1, shared / Math.max(1, Math.min(3, wanted.size)));
  const popularity = ctx.maxLogPopularity > 0 ? Math.log1p(Math.max(0, c.popularity)) / ctx.maxLogPopularity : 0;
  const titleOverlap = Math.min(1, Math.max(0, c.title_overlap ?? 0));
  const w = FALLBACK_WEIGHTS;
  return w.similarity * similarity + w.genres * genres + w.popularity * popularity + w.rating * qualityPrior(c) + w.titleOverlap * titleOverlap;
}

function listPhrase(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** The few most distinctive words or phrases both texts use, best first. */
export function sharedTerms(seriesTextValue: string, candidate: RerankCandidate, ctx: Pick<Context, "documentFrequency" | "candidateCount">, max = 3): string[] {
  const mine = termsOf(candidateText(candidate));
  const theirs = termsOf(seriesTextValue);
  const weighted = [...mine.values()]
    .filter((term) => theirs.has(term.key))
    .map((mineTerm) => {
      // A name capitalised mid-sentence in either text is a name, even where it opens a sentence.
      const other = theirs.get(mineTerm.key)!;
      const term = mineTerm.proper || !other.proper ? mineTerm : { ...mineTerm, proper: true, display: other.display };
      const df = ctx.documentFrequency.get(term.key) ?? 1;
      const rarity = Math.log(1 + ctx.candidateCount / df);
      return { term, weight: rarity * (term.proper ? 2 : 1) * (term.words.length > 1 ? 2.5 : 1) };
    })
    .sort((a, b) => b.weight - a.weight || a.term.key.localeCompare(b.term.key));
  const chosen: Term[] = [];
  for (const { term } of weighted) {
    if (chosen.length >= max) break;
    // A word already inside a chosen phrase (or a phrase around a chosen word) says nothing new.
    if (chosen.some((c) => c.words.some((w) => term.words.includes(w)))) continue;
    chosen.push(term);
  }
  return chosen.map((t) => t.display);
}

function possessive(name: string): string {
  return /s$/i.test(name) ? `${name}'` : `${name}'s`;
}

/** How close the story is, in words: the similarity figure is the card's, not the prose's. */
function closeness(name: string, c: RerankCandidate, ctx: Context): string {
  const position = (ctx.similarityRank.get(c.id) ?? 0) / Math.max(1, ctx.candidateCount);
  if (ctx.candidateCount <= 1 || position < 0.2) return `Among the stories closest to ${possessive(name)} in tone and plot.`;
  if (position < 0.5) return `Close to ${possessive(name)} tone and plot.`;
  return `Shares something of ${possessive(name)} spirit.`;
}

/** Shared terms not already said by the shared title phrases ("Fargo" twice says nothing new). */
function withoutTitleWords(terms: readonly string[], phrases: readonly string[]): string[] {
  if (phrases.length === 0) return [...terms];
  const said = new Set(phrases.flatMap((p) => titleTokens(p).map(stem)));
  return terms.filter((t) => !titleTokens(t).every((w) => said.has(stem(w))));
}

/** Words in a reason; a reason stays within about 35 words. */
export const FALLBACK_REASON_MAX_WORDS = 35;

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The series a candidate is there for: the pipeline says (`because`); else the best fit by shared words. */
function seriesFor(series: readonly RerankSeries[], c: RerankCandidate, ctx: Context): { s: RerankSeries; phrases: string[]; terms: string[] } {
  const titled = (c.title_overlap ?? 0) >= TITLE_REASON_MIN_OVERLAP || c.franchise === "title";
  const options = series.map((s) => {
    const phrases = titled ? sharedTitlePhrases(s.name, c.title) : [];
    // The series' own name is not a theme: "turns on Thing" for Stranger Things says nothing.
    const terms = withoutTitleWords(sharedTerms(seriesText(s), c, ctx), [s.name, ...phrases]);
    return { s, phrases, terms, weight: (phrases.length ? 100 : 0) + terms.length };
  });
  const named = c.because?.[0] !== undefined ? options.find((o) => o.s.id === c.because![0]) : undefined;
  return named ?? options.reduce((a, b) => (b.weight > a.weight ? b : a), options[0]);
}

/** A specific one- or two-sentence reason built only from the data. */
function explain(series: readonly RerankSeries[], c: RerankCandidate, ctx: Context): string {
  const { s, phrases, terms } = seriesFor(series, c, ctx);
  const name = s?.name ?? "your pick";
  const person = c.links?.people[0];
  const keywords = (c.links?.keywords ?? []).filter((k) => k.split(/\s+/).every(isReasonWord)).slice(0, 3);
  let first: string;
  // A start movie ("more like this") is a film: it neither reaches the big screen nor was "created".
  const fromMovie = s?.kind === "movie";
  if (phrases.length) {
    first = fromMovie ? `Shares the ${listPhrase(phrases)} name with ${name}.` : `Carries the ${listPhrase(phrases)} name to the big screen.`;
  } else if (person) {
    const did = person.role === "directed" ? "Directed by" : person.role === "wrote" ? "Written by" : "With";
    const part = person.inSeries === "created" ? (fromMovie ? "made" : "created") : "starred in";
    first = `${did} ${person.name}, who ${part} ${name}.`;
  } else if (keywords.length) {
    first = `Like ${name}, it is about ${listPhrase(keywords)}.`;
  } else if (c.links?.companies?.length) {
    first = `From ${c.links.companies[0]}, a company behind ${name}.`;
  } else if (c.franchise === "entity") {
    first = `Named for ${c.title}, a name from ${possessive(name)} story.`;
  } else if (terms.length) {
    first = `Like ${name}, its story turns on ${listPhrase(terms)}.`;
  } else {
    first = closeness(name, c, ctx);
  }
  const others = (c.because ?? []).slice(1).map((id) => series.find((x) => x.id === id)?.name).filter((n): n is string => Boolean(n));
  const second = others.length
    ? `It suits fans of ${listPhrase(others)} too.`
    : (phrases.length || person) && keywords.length
      ? `Both are about ${listPhrase(keywords)}.`
      : (phrases.length || person || keywords.length || c.links?.companies?.length) && terms.length
        ? `Both turn on ${listPhrase(terms)}.`
        : phrases.length || c.franchise
          ? closeness(name, c, ctx)
          : "";
  const reason = second ? `${first} ${second}` : first;
  return wordCount(reason) <= FALLBACK_REASON_MAX_WORDS ? reason : first;
}

/**
 * The pipeline's candidates in the pipeline's order, or hand-built ones by the blended score
 * (ties by id); each with a data-based reason.
 */
export function fallbackRank(input: RerankInput, fallbackReason?: string): RerankResult {
  const base: RerankResult = { picks: [], model: null, source: "fallback", ...(fallbackReason ? { fallbackReason } : {}) };
  if (input.candidates.length === 0 || input.limit <= 0) return base;
  const ctx = buildContext(input.candidates);
  const wanted = seriesMovieGenres(input.series);
  const fromPipeline = input.candidates.every((c) => c.score !== undefined);
  const ranked = (fromPipeline ? input.candidates.map((c) => ({ c })) : input.candidates
    .map((c) => ({ c, score: score(c, ctx, wanted) }))
    .sort((a, b) => b.score - a.score || a.c.id - b.c.id))
    .slice(0, input.limit);
  const picks: RerankPick[] = ranked.map(({ c }, i) => ({ id: c.id, rank: i + 1, reason: explain(input.series, c, ctx) }));
  return { ...base, picks };
}
