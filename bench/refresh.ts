// Benchmark: a full TMDB refresh (5,000 movies + 1,500 series by default) against the mock
// TMDB server on loopback, with the real rate limiter (40 requests/s) and concurrency.
// Prints one JSON line of results on stdout; progress goes to stderr.
//   node_modules/.bin/tsx bench/refresh.ts [--movies N] [--series N] [--rps N] [--page-size N]
// TMDB serves 20 results a page; a smaller --page-size makes the 500-page cap shallower, so the
// same counts exercise the date-window merge past it (e.g. --page-size 4: cap at 2,000 titles).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { refreshFromTmdb } from "../loaders/tmdb/refresh.ts";
import { makeTitles, startMockTmdb } from "../tests/helpers/mock-tmdb.ts";

const { values } = parseArgs({
  options: {
    movies: { type: "string", default: "5000" },
    series: { type: "string", default: "1500" },
    rps: { type: "string", default: "40" },
    "page-size": { type: "string", default: "20" },
  },
});
const movieTarget = Number(values.movies);
const seriesTarget = Number(values.series);
const requestsPerSecond = Number(values.rps);
const pageSize = Number(values["page-size"]);

const apiKey = "bench-key";
// Some titles lack an overview, as on TMDB, so the job has to page past them.
const mock = await startMockTmdb({
  apiKey,
  pageSize,
  movies: makeTitles("movie", Math.ceil(movieTarget * 1.2), { withoutOverviewEvery: 25, adultEvery: 97 }),
  tv: makeTitles("tv", Math.ceil(seriesTarget * 1.2), { withoutOverviewEvery: 25 }),
});
const outDir = await mkdtemp(path.join(tmpdir(), "marquee-bench-refresh-"));
try {
  const started = performance.now();
  const { meta } = await refreshFromTmdb({
    outDir,
    movies: movieTarget,
    series: seriesTarget,
    language: "en-US",
    client: { baseUrl: mock.url, apiKey, readToken: undefined, requestsPerSecond },
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const requests = meta.requests ?? mock.requests.length;
  process.stdout.write(
    JSON.stringify({
      bench: "tmdb-refresh",
      movies: meta.counts.movies,
      series: meta.counts.series,
      page_size: pageSize,
      requests,
      requests_per_second_limit: requestsPerSecond,
      wall_seconds: Number(wallSeconds.toFixed(2)),
      achieved_requests_per_second: Number((requests / wallSeconds).toFixed(1)),
      // The floor the limiter sets: requests spaced 1/limit apart.
      limiter_floor_seconds: requestsPerSecond > 0 ? Number((requests / requestsPerSecond).toFixed(2)) : 0,
    }) + "\n",
  );
} finally {
  await mock.close();
  await rm(outDir, { recursive: true, force: true });
}
