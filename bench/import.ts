// Wall time of importing every file in ../shared/data/raw (the id-less ones are skipped as
// bad files, which also exercises that path) into a temporary catalogue.
// Usage: node_modules/.bin/tsx bench/import.ts [runs=3]
// Prints one JSON line on stdout; the importer's progress goes to stderr.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { importCatalog } from "../loaders/import/catalog-import.ts";
import { sharedRawDir } from "../loaders/shared/config.ts";

const RAW = sharedRawDir();
const runs = Number(process.argv[2] ?? 3);

if (!existsSync(RAW)) {
  console.log(JSON.stringify({ bench: "import", skipped: `raw data absent: ${RAW}` }));
  process.exit(0);
}

const file = (p: string) => path.join(RAW, p);
const options = {
  movies: [
    file("kashishdatta__MovieRecommender/tmdb_5000_movies.csv"),
    file("vartika51__recommender-system/top10K-TMDB-movies.csv"),
    file("MustakimHF__Content-Strategy-Insights/data/tmdb_popular.csv"),
    file("royrusso__sample_tmdb_dataset/data"),
    file("Anurag-AI-sys__movies_tv_data_ingestion/top_rated_movies.csv"),
  ],
  series: [
    file("cschupbach__tmdb/data/raw/tv_series.csv"),
    file("bhavyarathore11__NETFLIX-Entertainment-recommender-App-/tv_shows.csv"),
    file("Anurag-AI-sys__movies_tv_data_ingestion/top_rated_tv.csv"),
    file("snandana115-byte__ensemble_learning/top_rated_tv.csv"),
  ],
  genres: [file("MustakimHF__Content-Strategy-Insights/data/genres_map.csv"), file("cschupbach__tmdb/data/raw/tv_genres.csv")],
  skipBadFiles: true,
};

const dir = await mkdtemp(path.join(os.tmpdir(), "marquee-bench-import-"));
try {
  const seconds: number[] = [];
  let result;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = await importCatalog({ ...options, out: dir, log: i === 0 ? undefined : () => {} });
    seconds.push((performance.now() - start) / 1000);
  }
  const { report, meta } = result!;
  const rowsRead = report.files.reduce((sum, f) => sum + f.read, 0);
  const median = [...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)]!;
  console.log(
    JSON.stringify({
      bench: "import",
      files: report.files.length,
      skipped_files: report.failedFiles.length,
      rows_read: rowsRead,
      movies: meta.counts.movies,
      series: meta.counts.series,
      runs,
      wall_seconds: seconds.map((s) => Number(s.toFixed(3))),
      median_seconds: Number(median.toFixed(3)),
      rows_per_second: Math.round(rowsRead / median),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
