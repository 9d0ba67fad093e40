// Trakt's JSON export (or its API's history): watched-movies.json, ratings-movies.json,
// watched-shows.json, ratings-shows.json, watchlist and history files. Each item holds a
// `movie` or a `show` with title, year and ids, TMDB's among them; ratings add `rating` (1–10).
import { HistoryFormatError, type HistoryEntry, type HistoryFile } from "./entry.ts";

interface TraktTitle {
  title?: unknown;
  year?: unknown;
  ids?: { tmdb?: unknown };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function entryOf(fileName: string, index: number, kind: HistoryEntry["kind"], title: TraktTitle, rating: unknown): HistoryEntry {
  const tmdb = title.ids?.tmdb;
  const tmdbId = typeof tmdb === "number" && Number.isInteger(tmdb) && tmdb > 0 ? tmdb : undefined;
  const name = typeof title.title === "string" ? title.title.trim() : "";
  if (name === "" && tmdbId === undefined) throw new HistoryFormatError(fileName, `item ${index + 1} has neither a title nor a TMDB id`);
  if (rating !== undefined && !(typeof rating === "number" && rating >= 1 && rating <= 10)) {
    throw new HistoryFormatError(fileName, `item ${index + 1} has the rating ${JSON.stringify(rating)}, not 1 to 10`);
  }
  return {
    kind,
    title: name,
    year: typeof title.year === "number" && Number.isInteger(title.year) ? title.year : null,
    ...(tmdbId !== undefined ? { tmdbId } : {}),
    ...(typeof rating === "number" ? { rating } : {}),
  };
}

export function parseTrakt(fileName: string, text: string): HistoryFile {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new HistoryFormatError(fileName, `is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(data)) throw new HistoryFormatError(fileName, "is JSON but not a list of items, as Trakt's exports are");
  const entries: HistoryEntry[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  data.forEach((item, i) => {
    if (!isObject(item)) throw new HistoryFormatError(fileName, `item ${i + 1} is not an object`);
    const movie = item.movie;
    const show = item.show;
    if (!isObject(movie) && !isObject(show)) throw new HistoryFormatError(fileName, `item ${i + 1} has neither a "movie" nor a "show"`);
    // An episode or season rating carries its show too, but says how the visitor rated that episode, not the show.
    const rating = item.type === "episode" || item.type === "season" ? undefined : item.rating;
    const entry = isObject(movie) ? entryOf(fileName, i, "movie", movie, rating) : entryOf(fileName, i, "series", show as TraktTitle, rating);
    // History files repeat a show for every episode: keep one.
    const key = `${entry.kind}:${entry.tmdbId ?? `${entry.title}|${entry.year}`}`;
    if (seen.has(key)) {
      skipped++;
      return;
    }
    seen.add(key);
    entries.push(entry);
  });
  return { fileName, format: "trakt", entries, skipped };
}
