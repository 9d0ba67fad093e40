// Lexical retrieval beside the dense one: Okapi BM25 over each movie's title and overview,
// the title counted several times (BM25F-style field weight) because a shared name says more
// than a shared overview word. The query is a series' name (weighted the same way) and its
// overview. Pure and browser-safe; the index is built once per catalogue.
import { foldedWords, isStopword, stem } from "./words.ts";

/** BM25's usual constants: term-frequency saturation and length normalisation. */
const K1 = 1.2;
const B = 0.75;
/**
 * Terms in more than this share of documents (and more than MIN_SKIPPED_DF of them) say almost
 * nothing (idf near 0) and cost the most: they are skipped.
 */
const MAX_DOCUMENT_SHARE = 0.25;
const MIN_SKIPPED_DF = 100;
/** A title word counts as this many overview words. */
export const TITLE_FIELD_WEIGHT = 3;

export interface Bm25Document {
  id: number;
  title: string;
  overview: string;
}

export interface Bm25Index {
  ids: Int32Array;
  /** Weighted length of each document (title words × TITLE_FIELD_WEIGHT + overview words). */
  lengths: Float32Array;
  averageLength: number;
  /** Term → parallel arrays of document rows and weighted term frequencies. */
  postings: Map<string, { rows: Int32Array; tf: Float32Array }>;
}

/** The index terms of a text: folded, stemmed words without stopwords or lone digits. */
export function bm25Terms(text: string): string[] {
  return foldedWords(text)
    .filter((w) => w.length > 1 && !isStopword(w) && !/^\d+$/.test(w))
    .map(stem);
}

function weightedTerms(title: string, overview: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const term of bm25Terms(title)) counts.set(term, (counts.get(term) ?? 0) + TITLE_FIELD_WEIGHT);
  for (const term of bm25Terms(overview)) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}

export function buildBm25Index(documents: readonly Bm25Document[]): Bm25Index {
  const ids = new Int32Array(documents.length);
  const lengths = new Float32Array(documents.length);
  const lists = new Map<string, { rows: number[]; tf: number[] }>();
  documents.forEach((doc, row) => {
    ids[row] = doc.id;
    let length = 0;
    for (const [term, tf] of weightedTerms(doc.title, doc.overview)) {
      length += tf;
      let list = lists.get(term);
      if (!list) lists.set(term, (list = { rows: [], tf: [] }));
      list.rows.push(row);
      list.tf.push(tf);
    }
    lengths[row] = length;
  });
  const postings = new Map<string, { rows: Int32Array; tf: Float32Array }>();
  for (const [term, list] of lists) postings.set(term, { rows: Int32Array.from(list.rows), tf: Float32Array.from(list.tf) });
  const total = lengths.reduce((a, b) => a + b, 0);
  return { ids, lengths, averageLength: documents.length ? total / documents.length : 0, postings };
}

export interface Bm25Hit {
  id: number;
  score: number;
}

/**
 * The `k` best documents for a query, best first (ties by id), among `allowed` when given.
 * Query terms repeated (the name's words, weighted) count once per repetition, as BM25 does
 * for query term frequency.
 */
export function bm25Search(index: Bm25Index, query: { title: string; overview: string }, k: number, allowed?: ReadonlySet<number>): Bm25Hit[] {
  const n = index.ids.length;
  const scores = new Float64Array(n);
  const touched: number[] = [];
  for (const [term, qtf] of weightedTerms(query.title, query.overview)) {
    const list = index.postings.get(term);
    if (!list) continue;
    const df = list.rows.length;
    if (df > MIN_SKIPPED_DF && df > MAX_DOCUMENT_SHARE * n) continue;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    for (let i = 0; i < list.rows.length; i++) {
      const row = list.rows[i];
      const tf = list.tf[i];
      const norm = tf + K1 * (1 - B + (B * index.lengths[row]) / (index.averageLength || 1));
      if (scores[row] === 0) touched.push(row);
      scores[row] += qtf * idf * ((tf * (K1 + 1)) / norm);
    }
  }
  const hits: Bm25Hit[] = [];
  for (const row of touched) {
    const id = index.ids[row];
    if (allowed && !allowed.has(id)) continue;
    hits.push({ id, score: scores[row] });
  }
  hits.sort((a, b) => b.score - a.score || a.id - b.id);
  return hits.slice(0, k);
}
