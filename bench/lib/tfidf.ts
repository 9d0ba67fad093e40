// A plain TF-IDF baseline for bench/quality.ts: sublinear term frequency, smoothed IDF,
// L2-normalised sparse vectors, cosine by sparse dot product. Deliberately simple.

const STOPWORDS = new Set(
  "a an and are as at be but by for from has have he her his in into is it its of on or she that the their they this to was were when where which who will with while after before about against his him them then than there these those one two new life world must".split(" "),
);

export function tokens(text: string): string[] {
  return (text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").match(/[a-z0-9]+/g) ?? []).filter(
    (t) => t.length > 1 && !STOPWORDS.has(t),
  );
}

export type SparseVector = Map<string, number>;

export interface TfIdfModel {
  idf: Map<string, number>;
  vectorize(text: string): SparseVector;
}

/** Fits IDF on `corpus`; unseen terms get the largest IDF. */
export function fitTfIdf(corpus: readonly string[]): TfIdfModel {
  const df = new Map<string, number>();
  for (const text of corpus) for (const t of new Set(tokens(text))) df.set(t, (df.get(t) ?? 0) + 1);
  const n = corpus.length;
  const idf = new Map<string, number>();
  for (const [t, d] of df) idf.set(t, Math.log((1 + n) / (1 + d)) + 1);
  const unseen = Math.log(1 + n) + 1;
  return {
    idf,
    vectorize(text) {
      const tf = new Map<string, number>();
      for (const t of tokens(text)) tf.set(t, (tf.get(t) ?? 0) + 1);
      const v: SparseVector = new Map();
      let norm = 0;
      for (const [t, c] of tf) {
        const w = (1 + Math.log(c)) * (idf.get(t) ?? unseen);
        v.set(t, w);
        norm += w * w;
      }
      norm = Math.sqrt(norm) || 1;
      for (const [t, w] of v) v.set(t, w / norm);
      return v;
    },
  };
}

export function cosine(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let s = 0;
  for (const [t, w] of small) s += w * (large.get(t) ?? 0);
  return s;
}
