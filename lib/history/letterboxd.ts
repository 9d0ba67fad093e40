// Letterboxd's export (Settings → Import & Export): watched.csv, diary.csv, ratings.csv,
// watchlist-style files, all with Date, Name, Year, Letterboxd URI; ratings and diary add a
// Rating of 0.5–5 stars. Films only.
import { readCsv } from "./csv.ts";
import { HistoryFormatError, yearField, type HistoryFile } from "./entry.ts";

export const LETTERBOXD_COLUMNS = ["Name", "Year", "Letterboxd URI"] as const;

export function parseLetterboxd(fileName: string, text: string): HistoryFile {
  const rows = readCsv(fileName, text, LETTERBOXD_COLUMNS);
  const entries = rows.map((row, i) => {
    const title = row.Name ?? "";
    if (title === "") throw new HistoryFormatError(fileName, `row ${i + 2} has no Name`);
    const stars = row.Rating === undefined || row.Rating === "" ? undefined : Number(row.Rating);
    if (stars !== undefined && !(stars >= 0 && stars <= 5)) throw new HistoryFormatError(fileName, `row ${i + 2} has the rating "${row.Rating}", not 0.5 to 5 stars`);
    return { kind: "movie" as const, title, year: yearField(row.Year), ...(stars !== undefined ? { rating: stars * 2 } : {}) };
  });
  return { fileName, format: "letterboxd", entries, skipped: 0 };
}
