// IMDb's exports: ratings.csv (Your ratings → Export) and list or watchlist exports, both with
// Const, Title, Title Type, Year; ratings add Your Rating (1–10). IMDb ids are not TMDB ids,
// so titles are matched by name and year. Single episodes are left out (their title is not
// the series').
import { readCsv } from "./csv.ts";
import { HistoryFormatError, yearField, type HistoryEntry, type HistoryFile } from "./entry.ts";

export const IMDB_COLUMNS = ["Const", "Title", "Year"] as const;

// Both spellings: the old export wrote "TV Series", the current one "tvSeries".
const SERIES_TYPES = new Set(["tv series", "tvseries", "tv mini series", "tvminiseries", "tv mini-series"]);
const EPISODE_TYPES = new Set(["tv episode", "tvepisode"]);

export function parseImdb(fileName: string, text: string): HistoryFile {
  const rows = readCsv(fileName, text, IMDB_COLUMNS);
  const entries: HistoryEntry[] = [];
  let skipped = 0;
  rows.forEach((row, i) => {
    const type = (row["Title Type"] ?? "").toLowerCase();
    if (EPISODE_TYPES.has(type)) {
      skipped++;
      return;
    }
    const title = row.Title ?? "";
    if (title === "") throw new HistoryFormatError(fileName, `row ${i + 2} has no Title`);
    const raw = row["Your Rating"];
    const rating = raw === undefined || raw === "" ? undefined : Number(raw);
    if (rating !== undefined && !(rating >= 1 && rating <= 10)) throw new HistoryFormatError(fileName, `row ${i + 2} has the rating "${raw}", not 1 to 10`);
    entries.push({ kind: SERIES_TYPES.has(type) ? "series" : "movie", title, year: yearField(row.Year), ...(rating !== undefined ? { rating } : {}) });
  });
  return { fileName, format: "imdb", entries, skipped };
}
