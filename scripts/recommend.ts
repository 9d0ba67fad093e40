// npm run recommend -- --series "Breaking Bad" [options]: movie picks for the series you love
// (or --movie "Heat": movies like one movie), reshaped by likes and dislikes, minus what you saw.
// Exit codes: 0 picks printed (possibly none), 1 runtime failure (unknown series, bad data),
// 2 bad command-line arguments.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { HistoryFormatError, matchHistory, parseHistoryFile, yearOf, MovieLookupError, type Movie } from "../lib/index.ts";
import type { Filters } from "../lib/filters.ts";
import { FilterError } from "../lib/filters.ts";
import { RESULT_LIMIT } from "../lib/pipeline.ts";
import { ShortlistError } from "../lib/shortlist.ts";
import { CatalogStoreError } from "../loaders/catalog/store.ts";
import { RecommendError, SeriesLookupError, openEngine, type Recommendation } from "../loaders/engine.ts";
import { DEFAULT_TIMEOUT_MS } from "../loaders/llm/client.ts";
import { numberSetting } from "../loaders/shared/config.ts";

/**
 * A person is waiting: the LLM gets LLM_TIMEOUT_MS plus this margin for everything (retries,
 * a repair, rate-limit waits), then the deterministic ranker answers.
 */
const INTERACTIVE_MARGIN_MS = 2_000;

/** Picks a command line can ask for (the engine's cap). */
const MAX_LIMIT = 100;
/** Longer than any real series name; the error then quotes only the start of it. */
const MAX_SERIES_CHARS = 200;
/** Release years a filter may name. */
const YEARS = { min: 1870, max: 2100 };

const USAGE = `Usage: npm run recommend -- --series NAME|ID [--series ...] [options]
       npm run recommend -- --movie TITLE|ID [options]

  --series NAME|ID     a series you love (repeatable; name is case-insensitive);
                       NAME:WEIGHT gives it a weight, e.g. "Breaking Bad:2" (default 1)
  --weight N           the weight of the --series at the same position (repeatable)
  --genre NAME         only movies in this genre (repeatable)
  --genre-mode any|all any of the genres (default) or all of them
  --language CODE      only movies in this original language, e.g. en (repeatable)
  --min-popularity N   TMDB popularity at least N
  --min-votes N        at least N votes
  --years FROM-TO      release years, e.g. 1990-2020, 1990- or -2020, or one year
  --movie TITLE|ID     start from this movie (more like this); "Heat (1995)" picks the year
  --exclude ID         leave out this movie id (repeatable)
  --exclude-file FILE  leave out the movies in FILE: one id per line, or a history export
                       (Letterboxd, Trakt, IMDb or Netflix), matched by TMDB id or title and year
  --like ID            a movie you liked: the list moves toward it (repeatable)
  --dislike ID         a movie you disliked: the list moves away from it, and leaves it out (repeatable)
  --limit N            number of picks (default ${RESULT_LIMIT}, at most ${MAX_LIMIT})
  --catalog DIR        catalogue directory (default: the active catalogue)
  --all-ages           include titles flagged adult (default: age-appropriate only)
  --json               print JSON instead of a table
  --no-llm             use the deterministic ranker even when an LLM is configured
  --help               show this help`;

class UsageError extends Error {}

interface CliOptions {
  series: string[];
  movie?: string;
  excludeFile?: string;
  likes: number[];
  dislikes: number[];
  weights: number[];
  filters: Filters;
  limit: number;
  catalog?: string;
  json: boolean;
  useLlm: boolean;
}

function number(name: string, raw: string | undefined, { integer = false, min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be ${integer ? "a whole number" : "a number"} ${range}, got "${quoteStart(raw)}"`);
  }
  return value;
}

/** The start of a long argument, so an error line stays one line. */
function quoteStart(text: string, max = 60): string {
  return clean(text.length > max ? `${text.slice(0, max)}…` : text);
}

function years(raw: string | undefined): { yearFrom?: number; yearTo?: number } {
  if (raw === undefined) return {};
  const match = /^\s*(\d{4})?\s*(-)?\s*(\d{4})?\s*$/.exec(raw);
  if (!match || (!match[1] && !match[3]) || (!match[2] && match[3])) {
    throw new UsageError(`--years must look like 1990-2020, 1990-, -2020 or 1995, got "${raw}"`);
  }
  const from = match[1] ? Number(match[1]) : undefined;
  const to = match[2] ? (match[3] ? Number(match[3]) : undefined) : from;
  for (const year of [from, to]) {
    if (year !== undefined && (year < YEARS.min || year > YEARS.max)) {
      throw new UsageError(`--years must name years from ${YEARS.min} to ${YEARS.max}, got "${raw}"`);
    }
  }
  if (from !== undefined && to !== undefined && from > to) throw new UsageError(`--years range is empty: ${from} is after ${to}`);
  return { ...(from !== undefined ? { yearFrom: from } : {}), ...(to !== undefined ? { yearTo: to } : {}) };
}

function parseCli(argv: string[]): CliOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        series: { type: "string", multiple: true },
        weight: { type: "string", multiple: true },
        genre: { type: "string", multiple: true },
        "genre-mode": { type: "string" },
        language: { type: "string", multiple: true },
        "min-popularity": { type: "string" },
        "min-votes": { type: "string" },
        years: { type: "string" },
        exclude: { type: "string", multiple: true },
        "exclude-file": { type: "string" },
        movie: { type: "string" },
        like: { type: "string", multiple: true },
        dislike: { type: "string", multiple: true },
        limit: { type: "string" },
        catalog: { type: "string" },
        "all-ages": { type: "boolean" },
        json: { type: "boolean" },
        "no-llm": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return "help";
  const named = (v.series ?? []).map((s) => s.trim()).filter(Boolean);
  const movie = v.movie?.trim();
  if (v.movie !== undefined && !movie) throw new UsageError("--movie needs a title or a TMDB id");
  if (movie && movie.length > MAX_SERIES_CHARS) throw new UsageError(`--movie takes a title of at most ${MAX_SERIES_CHARS} characters, got ${movie.length}: "${quoteStart(movie)}"`);
  if (named.length === 0 && !movie) throw new UsageError("give at least one --series (a name or a TMDB id) or a --movie");
  const tooLong = named.find((s) => s.length > MAX_SERIES_CHARS);
  if (tooLong) throw new UsageError(`--series takes a name of at most ${MAX_SERIES_CHARS} characters, got ${tooLong.length}: "${quoteStart(tooLong)}"`);
  // "Name:2" carries a weight; a colon inside a name ("Avatar: The Last Airbender") does not.
  const parsedSeries = named.map((text) => {
    const match = /^(.*\S)\s*:\s*(\d+(?:\.\d+)?)$/.exec(text);
    return match ? { query: match[1], weight: number("series weight", match[2], { min: 0, max: 100 })! } : { query: text, weight: undefined };
  });
  const flagWeights = (v.weight ?? []).map((w) => number("weight", w, { min: 0, max: 100 })!);
  if (flagWeights.length > named.length) throw new UsageError(`got ${flagWeights.length} --weight for ${named.length} --series; give at most one weight per series`);
  const weights = parsedSeries.map((s, i) => {
    if (s.weight !== undefined && flagWeights[i] !== undefined) throw new UsageError(`--series "${quoteStart(named[i])}" has a weight and a --weight; give one`);
    return s.weight ?? flagWeights[i] ?? 1;
  });
  if (named.length > 0 && !weights.some((w) => w > 0)) throw new UsageError("give at least one series a weight above 0");
  const series = parsedSeries.map((s) => s.query);
  const mode = v["genre-mode"];
  if (mode !== undefined && mode !== "any" && mode !== "all") throw new UsageError(`--genre-mode must be "any" or "all", got "${mode}"`);
  const filters: Filters = {
    ageAppropriateOnly: !v["all-ages"],
    ...(v.genre?.length ? { genres: v.genre } : {}),
    ...(mode ? { genreMode: mode } : {}),
    ...(v.language?.length ? { languages: v.language } : {}),
    ...years(v.years),
  };
  const minPopularity = number("min-popularity", v["min-popularity"]);
  if (minPopularity !== undefined) filters.minPopularity = minPopularity;
  const minVotes = number("min-votes", v["min-votes"], { integer: true });
  if (minVotes !== undefined) filters.minVotes = minVotes;
  if (v.exclude?.length) filters.excludeIds = v.exclude.map((id) => number("exclude", id, { integer: true, min: 1 })!);
  const ids = (name: string, values: string[] | undefined) => (values ?? []).map((id) => number(name, id, { integer: true, min: 1 })!);
  return {
    series,
    ...(movie ? { movie } : {}),
    ...(v["exclude-file"] !== undefined ? { excludeFile: v["exclude-file"] } : {}),
    likes: ids("like", v.like),
    dislikes: ids("dislike", v.dislike),
    weights,
    filters,
    limit: number("limit", v.limit, { integer: true, min: 1, max: MAX_LIMIT }) ?? RESULT_LIMIT,
    catalog: v.catalog,
    json: Boolean(v.json),
    useLlm: !v["no-llm"],
  };
}

// TMDB and LLM text is untrusted: terminal control sequences must not reach the terminal.
// Newlines survive only where we print several lines ourselves (a stack trace).
function clean(text: string, { keepNewlines = false } = {}): string {
  return text.replace(keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]+/g : /[\u0000-\u001f\u007f-\u009f]+/g, " ");
}

function pad(text: string, width: number): string {
  const t = text.length > width ? `${text.slice(0, width - 1)}…` : text;
  return t.padEnd(width);
}

function formatTable(result: Recommendation, likedTitles: ReadonlyMap<number, string>): string {
  const lines: string[] = [];
  const names = result.series.map((s) => `${clean(s.name)}${s.year ? ` (${s.year})` : ""}`).join(", ");
  const start = result.movie ? `${clean(result.movie.title)}${result.movie.year ? ` (${result.movie.year})` : ""}` : null;
  lines.push(start && names ? `Movies like ${start}, for fans of ${names}` : start ? `Movies like ${start}` : `Movies for fans of ${names}`);
  lines.push(
    result.source === "llm"
      ? `Ranked by ${clean(result.model ?? "the LLM")}; ${result.counts.matching} movies matched the filters.`
      : `Ranked by the deterministic fallback${result.fallbackReason ? ` (${clean(result.fallbackReason)})` : ""}; ${result.counts.matching} movies matched the filters.`,
  );
  lines.push("");
  if (result.picks.length === 0) {
    lines.push("No movies match these filters. Loosen them (fewer genres, a wider year range, lower minimums).");
    return lines.join("\n");
  }
  lines.push(`${"#".padStart(3)}  ${pad("Title", 40)} ${pad("Year", 4)}  ${pad("Genres", 32)} ${"Sim".padStart(5)}`);
  for (const p of result.picks) {
    lines.push(
      `${String(p.rank).padStart(3)}  ${pad(clean(p.title), 40)} ${pad(p.year ? String(p.year) : "-", 4)}  ${pad(clean(p.genres.join(", ")), 32)} ${p.similarity.toFixed(2).padStart(5)}`,
    );
    if (result.series.length > 1 && p.because?.length) {
      const names = p.because.map((id) => result.series.find((s) => s.id === id)?.name).filter((n): n is string => Boolean(n));
      lines.push(`     Because you like ${clean(names.join(" and "))}`);
    }
    const liked = (p.liked ?? []).map((id) => likedTitles.get(id)).filter((t): t is string => Boolean(t));
    if (liked.length) lines.push(`     Because you liked ${clean(liked.slice(0, 2).join(" and "))}`);
    lines.push(`     ${clean(p.reason)}`);
  }
  return lines.join("\n");
}

function toJson(result: Recommendation, withLikes: boolean): object {
  return {
    series: result.series,
    ...(result.movie ? { movie: result.movie } : {}),
    source: result.source,
    model: result.model,
    picks: result.picks.map(({ id, title, year, genres, popularity, similarity, reason, because, liked }) => ({
      id,
      title,
      year,
      genres,
      popularity,
      similarity,
      reason,
      because: because ?? [],
      ...(withLikes ? { liked: liked ?? [] } : {}),
    })),
  };
}

/** More than any history export or id list a person keeps; the error then says so instead of reading on. */
const MAX_EXCLUDE_FILE_BYTES = 20_000_000;

/**
 * The movie ids an --exclude-file names: one id per line (blank lines and # comments allowed),
 * or any history export lib/history/ reads, matched against the catalogue. What could not be
 * matched is reported on stderr, and left in the list.
 */
async function excludedByFile(file: string, movies: readonly Movie[], log: (line: string) => void): Promise<number[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`--exclude-file ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  if (text.length > MAX_EXCLUDE_FILE_BYTES) throw new UsageError(`--exclude-file ${file}: larger than ${MAX_EXCLUDE_FILE_BYTES.toLocaleString("en")} characters`);
  const lines = text.split(/\r?\n/).map((line) => line.replace(/#.*/, "").trim()).filter(Boolean);
  if (lines.length > 0 && lines.every((line) => /^\d+$/.test(line))) return lines.map(Number);
  const history = parseHistoryFile(file, text);
  const report = matchHistory([history], { movies: movies.map((m) => ({ id: m.id, title: m.title, year: yearOf(m.release_date), popularity: m.popularity })), series: [] });
  const ids = report.matched.filter((m) => m.entry.kind === "movie").map((m) => m.id);
  const notFound = report.notFound.filter((e) => e.kind === "movie").length;
  log(`--exclude-file ${file} (${history.format}): ${ids.length} movies excluded, ${report.ambiguous.length} ambiguous (kept), ${notFound} not in the catalogue`);
  return ids;
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`recommend: ${clean(error.message)}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const deadlineMs = numberSetting("LLM_TIMEOUT_MS", DEFAULT_TIMEOUT_MS) + INTERACTIVE_MARGIN_MS;
  const engine = await openEngine({ catalogDir: options.catalog, rerank: { deadlineMs } });
  try {
    const filters = { ...options.filters };
    if (options.excludeFile) {
      const fromFile = await excludedByFile(options.excludeFile, engine.catalog.movies, (line) => process.stderr.write(`${clean(line)}\n`));
      filters.excludeIds = [...new Set([...(filters.excludeIds ?? []), ...fromFile])];
    }
    const result = await engine.recommend({
      series: options.series,
      weights: options.weights,
      filters,
      limit: options.limit,
      useLlm: options.useLlm,
      ...(options.movie ? { movie: options.movie } : {}),
      ...(options.likes.length ? { likes: options.likes } : {}),
      ...(options.dislikes.length ? { dislikes: options.dislikes } : {}),
    });
    const likedTitles = new Map(options.likes.map((id) => [id, engine.catalog.movies.find((m) => m.id === id)?.title ?? String(id)]));
    process.stdout.write(options.json ? `${JSON.stringify(toJson(result, options.likes.length > 0), null, 2)}\n` : `${formatTable(result, likedTitles)}\n`);
    return 0;
  } finally {
    engine.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  const known = error instanceof SeriesLookupError || error instanceof FilterError || error instanceof RecommendError || error instanceof ShortlistError ||
    error instanceof CatalogStoreError || error instanceof MovieLookupError || error instanceof HistoryFormatError || error instanceof UsageError;
  // Messages can quote catalogue text ("Closest: ..."), which is untrusted.
  const text = known ? clean((error as Error).message) : clean((error as Error).stack ?? String(error), { keepNewlines: true });
  process.stderr.write(`recommend: ${text}\n`);
  process.exitCode = 1;
}
