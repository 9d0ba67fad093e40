// What every history export becomes once read: titles a visitor watched or rated, with
// whatever identified them in the file. Type and error module of lib/history/. Pure.

export type HistoryFormat = "letterboxd" | "trakt" | "imdb" | "netflix";

/** One watched or rated title from an export, before it is matched to the catalogue. */
export interface HistoryEntry {
  kind: "movie" | "series";
  title: string;
  /**
   * Shorter names to try when the title finds nothing: a Netflix row cannot say where the
   * series name ends ("Stranger Things: Stranger Things 4: Chapter One" is Stranger Things).
   */
  alternatives?: string[];
  /** Release (or first-air) year, when the file gives one. */
  year: number | null;
  /** TMDB id, when the file carries one (Trakt). */
  tmdbId?: number;
  /** The visitor's rating on a 0–10 scale (Letterboxd's 0.5–5 stars doubled). */
  rating?: number;
}

/** One file read: its format, its titles, and rows it left out on purpose (TV episodes in IMDb lists). */
export interface HistoryFile {
  fileName: string;
  format: HistoryFormat;
  entries: HistoryEntry[];
  skipped: number;
}

/** A file that is not one of the exports we read, or is one but broken. Names the file and the problem. */
export class HistoryFormatError extends Error {
  constructor(
    readonly fileName: string,
    problem: string,
  ) {
    super(`${fileName}: ${problem}`);
    this.name = "HistoryFormatError";
  }
}

/** A rating this high (out of 10) counts as a like the visitor may want to seed. */
export const LIKE_RATING = 8;

/** A four-digit year from a field, or null; anything else is not a year. */
export function yearField(value: unknown): number | null {
  const text = String(value ?? "").trim();
  if (!/^\d{4}$/.test(text)) return null;
  return Number(text);
}
