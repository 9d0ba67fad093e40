// The catalogue imported from the shared raw TMDB data, for the end-to-end and quality
// benchmarks. Imported once into cacheDir()/bench-raw-catalog (never into the repo) and
// reused; the vectors come through the ordinary vector cache, so only the first run embeds.
import { existsSync } from "node:fs";
import path from "node:path";
import { cacheDir } from "../../loaders/shared/config.ts";
import { hasCatalog } from "../../loaders/catalog/store.ts";
import { importCatalog } from "../../loaders/import/catalog-import.ts";
import { sharedRawDir } from "../../loaders/shared/config.ts";

export const RAW = sharedRawDir();

const file = (p: string) => path.join(RAW, p);

export const RAW_IMPORT = {
  movies: [
    file("kashishdatta__MovieRecommender/tmdb_5000_movies.csv"),
    file("vartika51__recommender-system/top10K-TMDB-movies.csv"),
    file("MustakimHF__Content-Strategy-Insights/data/tmdb_popular.csv"),
    file("royrusso__sample_tmdb_dataset/data"),
  ],
  series: [
    file("cschupbach__tmdb/data/raw/tv_series.csv"),
    file("bhavyarathore11__NETFLIX-Entertainment-recommender-App-/tv_shows.csv"),
    file("MustakimHF__Content-Strategy-Insights/data/tmdb_popular.csv"),
  ],
  genres: [file("MustakimHF__Content-Strategy-Insights/data/genres_map.csv"), file("cschupbach__tmdb/data/raw/tv_genres.csv")],
};

export function rawAvailable(): boolean {
  return existsSync(RAW);
}

/** Directory of the imported raw catalogue, importing it first when missing. */
export async function rawCatalogDir(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const dir = path.join(cacheDir(), "bench-raw-catalog");
  if (!hasCatalog(dir)) {
    log(`bench: importing ${RAW} into ${dir} (first run only)`);
    await importCatalog({ ...RAW_IMPORT, out: dir, log });
  }
  return dir;
}
