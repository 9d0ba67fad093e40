// Rerank inputs for the precompute benchmark, built from the shared raw TMDB data (never copied
// into the repo): series from [mu] and the top-rated TV lists, movies from [top10k]. The
// shortlist is a TF-IDF cosine over overviews, a stand-in for the embedding shortlist: the
// benchmark measures prompt size, calls and pacing, not ranking quality.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { TV_GENRES, sharedGenres, yearOf } from "../lib/catalog.ts";
import { DEFAULT_FILTERS } from "../lib/filters.ts";
import type { RerankCandidate, RerankInput, RerankSeries } from "../lib/rerank-types.ts";
import { sharedRawDir } from "../loaders/shared/config.ts";

const RAW = sharedRawDir();
export const RAW_MOVIES = `${RAW}/vartika51__recommender-system/top10K-TMDB-movies.csv`;
const RAW_TV = [`${RAW}/MustakimHF__Content-Strategy-Insights/data/tmdb_popular.csv`, `${RAW}/Anurag-AI-sys__movies_tv_data_ingestion/top_rated_tv.csv`];

type MovieRow = Omit<RerankCandidate, "similarity" | "shared_genres" | "title_overlap">;

const tvGenreName = new Map(TV_GENRES.map((g) => [g.id, g.name]));

async function csv(file: string): Promise<Record<string, string>[]> {
  return parse(await readFile(file, "utf8"), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<string, string>[];
}

function genreIds(value: string | undefined): number[] {
  return (value ?? "").match(/\d+/g)?.map(Number) ?? [];
}

async function readSeries(): Promise<(RerankSeries & { popularity: number })[]> {
  const byId = new Map<number, RerankSeries & { popularity: number }>();
  const names = new Set<string>();
  let synthetic = 900_000_000;
  for (const file of RAW_TV.filter(existsSync)) {
    for (const row of await csv(file)) {
      if (row.kind && row.kind !== "tv") continue;
      // The top-rated TV list has no ids; those rows only fill up to the requested count.
      const id = Number(row.id) || synthetic++;
      const overview = row.overview?.trim();
      const name = row.title ?? row.name;
      if (!overview || byId.has(id) || names.has(name)) continue;
      names.add(name);
      byId.set(id, {
        id,
        name,
        year: yearOf(row.release_date ?? row.first_air_date),
        genres: genreIds(row.genre_ids).map((g) => tvGenreName.get(g)).filter((g): g is string => Boolean(g)),
        overview,
        popularity: Number(row.popularity) || 0,
      });
    }
  }
  return [...byId.values()].sort((a, b) => b.popularity - a.popularity || a.id - b.id);
}

async function readMovies(): Promise<MovieRow[]> {
  return (await csv(RAW_MOVIES))
    .filter((r) => r.overview?.trim())
    .map((r) => ({
      id: Number(r.id),
      title: r.title,
      year: yearOf(r.release_date),
      genres: (r.genre ?? "").split(",").map((g) => g.trim()).filter(Boolean),
      overview: r.overview.trim(),
      popularity: Number(r.popularity) || 0,
      vote_average: Number(r.vote_average) || 0,
      vote_count: Number(r.vote_count) || 0,
    }));
}

function words(text: string): string[] {
  return text.toLowerCase().match(/\p{L}{3,}/gu) ?? [];
}

/** Unit TF-IDF vectors as sparse maps. */
function tfidf(texts: string[]): Map<string, number>[] {
  const df = new Map<string, number>();
  const counts = texts.map((t) => {
    const tf = new Map<string, number>();
    for (const w of words(t)) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const w of tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
    return tf;
  });
  return counts.map((tf) => {
    const v = new Map<string, number>();
    let norm = 0;
    for (const [w, n] of tf) {
      const x = n * Math.log(texts.length / (df.get(w) ?? 1));
      v.set(w, x);
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [w, x] of v) v.set(w, x / norm);
    return v;
  });
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  let sum = 0;
  for (const [w, x] of small) sum += x * (large.get(w) ?? 0);
  return sum;
}

export interface BenchData {
  inputs: Map<number, RerankInput>;
  seriesIds: number[];
}

/** The `count` most popular series with a k-candidate shortlist each; undefined without raw data. */
export async function benchInputs(count: number, k = 30, limit = 10): Promise<BenchData | undefined> {
  if (!existsSync(RAW_MOVIES) || !RAW_TV.some(existsSync)) return undefined;
  const [allSeries, movies] = await Promise.all([readSeries(), readMovies()]);
  const series = allSeries.slice(0, count);
  const vectors = tfidf([...movies.map((m) => `${m.title} ${m.overview}`), ...series.map((s) => `${s.name} ${s.overview}`)]);
  const movieVectors = vectors.slice(0, movies.length);
  const inputs = new Map<number, RerankInput>();
  series.forEach((s, i) => {
    const query = vectors[movies.length + i];
    const scored = movieVectors.map((v, j) => ({ j, sim: cosine(query, v) })).sort((a, b) => b.sim - a.sim || movies[a.j].id - movies[b.j].id);
    const candidates: RerankCandidate[] = scored.slice(0, k).map(({ j, sim }) => ({
      ...movies[j],
      similarity: Math.round(sim * 1000) / 1000,
      shared_genres: sharedGenres(s.genres, movies[j].genres),
    }));
    const { popularity: _popularity, ...rerankSeries } = s;
    inputs.set(s.id, { series: [rerankSeries], filters: { ...DEFAULT_FILTERS }, candidates, limit });
  });
  return { inputs, seriesIds: series.map((s) => s.id) };
}
