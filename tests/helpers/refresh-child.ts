// Child process for the killed-refresh test: runs a TMDB refresh against a mock server the
// parent runs, paced so the parent can kill it part-way through the details step.
//   node --import tsx tests/helpers/refresh-child.ts BASE_URL API_KEY OUT_DIR DETAILS_CACHE_DIR MOVIES SERIES
import { refreshFromTmdb } from "../../loaders/tmdb/refresh.ts";

const [baseUrl, apiKey, outDir, detailsCacheDir, movies, series] = process.argv.slice(2);
await refreshFromTmdb({
  outDir,
  detailsCacheDir,
  movies: Number(movies),
  series: Number(series),
  details: true,
  log: () => {},
  client: { baseUrl, apiKey, readToken: undefined, requestsPerSecond: 50 },
});
process.stdout.write("finished\n");
