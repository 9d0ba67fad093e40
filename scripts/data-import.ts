// npm run data:import -- --movies FILE|DIR... [--series FILE|DIR...] [--genres FILE...] [--out DIR] [--skip-bad-files]
// Normalises TMDB export files into the catalogue. Exit codes: 0 done, 1 import failed, 2 bad arguments.
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { importCatalog } from "../loaders/import/catalog-import.ts";

const USAGE = `Usage: npm run data:import -- --movies FILE|DIR... [--series FILE|DIR...] [--genres FILE...] [--out DIR] [--skip-bad-files]

Imports TMDB export files (CSV/TSV, JSON arrays, JSON Lines, one JSON object per file) into the
catalogue (default: $MARQUEE_CATALOG_DIR or data/catalog). A directory means every .csv, .tsv,
.json, .jsonl and .ndjson file directly inside it. Each flag takes one or more paths.

  --movies          files of movies
  --series          files of TV series
  --genres          extra genre maps (id,name), used to resolve genre_ids
  --out DIR         write the catalogue here instead
  --skip-bad-files  leave out files that cannot be imported (unparseable, no id column)
                    instead of failing
  --help            show this text

Rows with a kind (or media_type) column of movie|tv go where it says, whatever flag their file
came under. Rows sharing an id are merged field by field: each field comes from the freshest row
that has it (highest vote_count, then the later file on the command line).

Metadata columns are read when a file has them: keywords, production_companies, collection,
directors, writers and cast for movies; keywords, created_by, networks, production_companies and
cast for series (JSON or Python-style lists of {id, name}, or comma-joined names).`;

const LIST_OPTIONS = new Set(["movies", "series", "genres"]);

class UsageError extends Error {}

export interface CliArguments {
  movies: string[];
  series: string[];
  genres: string[];
  out?: string;
  skipBadFiles: boolean;
  help: boolean;
}

/** Parses the arguments; paths after a list flag belong to it until the next flag. */
export function parseCliArguments(args: string[]): CliArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      tokens: true,
      options: {
        movies: { type: "string", multiple: true },
        series: { type: "string", multiple: true },
        genres: { type: "string", multiple: true },
        out: { type: "string" },
        "skip-bad-files": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const out: CliArguments = { movies: [], series: [], genres: [], skipBadFiles: false, help: false };
  let list: "movies" | "series" | "genres" | undefined;
  for (const token of parsed.tokens) {
    if (token.kind === "option") {
      if (LIST_OPTIONS.has(token.name)) {
        list = token.name as "movies" | "series" | "genres";
        out[list].push(token.value!);
      } else {
        list = undefined;
        if (token.name === "out") out.out = token.value;
        if (token.name === "skip-bad-files") out.skipBadFiles = true;
        if (token.name === "help") out.help = true;
      }
    } else if (token.kind === "positional") {
      if (!list) throw new UsageError(`unexpected argument "${token.value}": put paths after --movies, --series or --genres`);
      out[list].push(token.value);
    }
  }
  if (!out.help && out.movies.length + out.series.length === 0) throw new UsageError("give at least one file with --movies or --series");
  return out;
}

async function main(): Promise<number> {
  let args: CliArguments;
  try {
    args = parseCliArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`data:import: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const started = Date.now();
    const { dir, meta } = await importCatalog({
      movies: args.movies,
      series: args.series,
      genres: args.genres,
      out: args.out,
      skipBadFiles: args.skipBadFiles,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`data:import: wrote ${meta.counts.movies} movies and ${meta.counts.series} series to ${dir} in ${seconds} s\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`data:import: error: ${(error as Error).message}\n`);
    return 1;
  }
}

// Run only as a script, so tests can import parseCliArguments.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main();
}
