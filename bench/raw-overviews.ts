// Real movie texts for the embedding benchmarks, read from the shared raw TMDB data
// (never copied into the repo). Returns undefined when that data is absent.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import path from "node:path";
import { sharedRawDir } from "../loaders/shared/config.ts";
import { embeddingText } from "../lib/vectors.ts";

export const RAW_TOP10K = path.join(sharedRawDir(), "vartika51__recommender-system/top10K-TMDB-movies.csv");

export async function rawMovieTexts(limit: number): Promise<string[] | undefined> {
  if (!existsSync(RAW_TOP10K)) return undefined;
  const rows = parse(await readFile(RAW_TOP10K, "utf8"), { columns: true, skip_empty_lines: true }) as {
    title: string;
    overview: string;
  }[];
  return rows
    .filter((row) => row.overview?.trim())
    .slice(0, limit)
    .map((row) => embeddingText(row.title, row.overview));
}
