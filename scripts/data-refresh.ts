// npm run data:refresh -- [--out DIR] [--movies N] [--series N] [--language xx-YY]
// Fetches the catalogue from TMDB and writes it atomically. Progress on stderr; on failure a
// one-line error and a non-zero exit (2: usage or no credentials, 1: the refresh failed,
// 130: interrupted). The previous catalogue is left as it was unless the refresh succeeds.
import { parseArgs } from "node:util";
import { catalogDir } from "../loaders/shared/config.ts";
import { MISSING_CREDENTIALS_MESSAGE, hasTmdbCredentials } from "../loaders/tmdb/client.ts";
import { checkLanguage, refreshFromTmdb } from "../loaders/tmdb/refresh.ts";

const USAGE = `usage: npm run data:refresh -- [--out DIR] [--movies N] [--series N] [--language xx-YY]
  --out DIR        catalogue directory (default $MARQUEE_CATALOG_DIR or data/catalog)
  --movies N       movies with an overview to keep (default $TMDB_MOVIE_COUNT or 5000)
  --series N       series with an overview to keep (default $TMDB_SERIES_COUNT or 1500)
  --language TAG   overview language, e.g. en-US (default $TMDB_LANGUAGE or en-US)
Credentials: TMDB_API_KEY (v3 key) or TMDB_READ_TOKEN (v4 read token), in the environment or .env.`;

class UsageError extends Error {}

function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) throw new UsageError(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

function parseCommandLine() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        out: { type: "string" },
        movies: { type: "string" },
        series: { type: "string" },
        language: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    process.exit(0);
  }
  try {
    if (values.language !== undefined) checkLanguage(values.language);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`);
  }
  return {
    outDir: values.out ?? catalogDir(),
    movies: count("movies", values.movies),
    series: count("series", values.series),
    language: values.language,
  };
}

function fail(message: string, code: number): never {
  process.stderr.write(`data:refresh: ${message.split("\n")[0]}\n`);
  process.exit(code);
}

async function main() {
  let args;
  try {
    args = parseCommandLine();
  } catch (error) {
    fail(`${(error as Error).message} (see --help)`, 2);
  }
  if (!hasTmdbCredentials()) fail(MISSING_CREDENTIALS_MESSAGE, 2);

  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  try {
    const { dir, meta } = await refreshFromTmdb({ ...args, signal: controller.signal });
    process.stdout.write(`refreshed ${dir}: ${meta.counts.movies} movies, ${meta.counts.series} series, ${meta.requests} requests\n`);
  } catch (error) {
    if (controller.signal.aborted) fail("interrupted; the previous catalogue is unchanged", 130);
    fail(`${(error as Error).message ?? String(error)}; the previous catalogue is unchanged`, 1);
  }
}

await main();
