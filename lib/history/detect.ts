// Which export a file is, from its content (a visitor's file may be renamed), and its titles.
import { csvHeader } from "./csv.ts";
import { HistoryFormatError, type HistoryFile } from "./entry.ts";
import { IMDB_COLUMNS, parseImdb } from "./imdb.ts";
import { LETTERBOXD_COLUMNS, parseLetterboxd } from "./letterboxd.ts";
import { NETFLIX_COLUMNS, parseNetflix } from "./netflix.ts";
import { parseTrakt } from "./trakt.ts";

const EXPECTED =
  `expected a Letterboxd CSV (${LETTERBOXD_COLUMNS.join(", ")}), an IMDb ratings or list CSV (${IMDB_COLUMNS.join(", ")}), ` +
  `Netflix's viewing history (${NETFLIX_COLUMNS.join(", ")}) or a Trakt JSON export`;

/** A file larger than any real export (an IMDb list of 10k titles is about 2 MB): refused before parsing. */
export const MAX_HISTORY_CHARS = 20_000_000;

/** Reads one export file whatever its name; throws HistoryFormatError naming the file and the problem. */
export function parseHistoryFile(fileName: string, text: string): HistoryFile {
  if (text.length > MAX_HISTORY_CHARS) {
    throw new HistoryFormatError(fileName, `is ${text.length.toLocaleString("en")} characters long, more than the ${MAX_HISTORY_CHARS.toLocaleString("en")} an export may have`);
  }
  const body = text.replace(/^\uFEFF/, "").trim();
  if (body === "") throw new HistoryFormatError(fileName, "is empty");
  if (body.startsWith("[") || body.startsWith("{")) return parseTrakt(fileName, body);
  const header = csvHeader(body);
  const has = (columns: readonly string[]) => columns.every((c) => header.includes(c));
  if (has(LETTERBOXD_COLUMNS)) return parseLetterboxd(fileName, body);
  if (has(IMDB_COLUMNS)) return parseImdb(fileName, body);
  if (has(NETFLIX_COLUMNS)) return parseNetflix(fileName, body);
  throw new HistoryFormatError(fileName, `is not a history export Marquee reads: its first line is "${header.join(",").slice(0, 120)}"; ${EXPECTED}`);
}

/**
 * Reads several files as one import: all of them or none, so a broken file never leaves half
 * an import applied. The error names the first file that failed.
 */
export function parseHistoryFiles(files: readonly { name: string; text: string }[]): HistoryFile[] {
  return files.map((f) => parseHistoryFile(f.name, f.text));
}
