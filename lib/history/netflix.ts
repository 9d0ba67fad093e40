// Netflix's viewing history (Account → Profile → Viewing activity → Download all):
// NetflixViewingHistory.csv with Title, Date. An episode row names its series first,
// "Breaking Bad: Season 1: Pilot"; a film is just its title. No years, no ids.
import { readCsv } from "./csv.ts";
import type { HistoryEntry, HistoryFile } from "./entry.ts";

export const NETFLIX_COLUMNS = ["Title", "Date"] as const;

// The part after a series name that says "this is an episode": Season 2, Series 3, Part 1,
// Volume 2, Limited Series, Book One, Chapter 4, Episode 5, Collection.
const EPISODE_PART = /^(season|series|part|volume|vol\.|book|chapter|episode|limited series|miniseries|collection)\b/i;

/**
 * The series an episode row may be from, longest name first ("Stranger Things: Stranger
 * Things 4", then "Stranger Things"), or null for a film's row.
 */
export function netflixSeriesNames(title: string): string[] | null {
  const parts = title.split(/:\s+/);
  if (parts.length < 2) return null;
  const episodeAt = parts.findIndex((part, i) => i > 0 && EPISODE_PART.test(part));
  // Three parts or more (Show: Season name: Episode) are an episode even without the word "Season".
  const end = episodeAt > 0 ? episodeAt : parts.length >= 3 ? parts.length - 1 : 0;
  if (end === 0) return null;
  const names: string[] = [];
  for (let i = end; i >= 1; i--) names.push(parts.slice(0, i).join(": "));
  return names;
}

export function parseNetflix(fileName: string, text: string): HistoryFile {
  const rows = readCsv(fileName, text, NETFLIX_COLUMNS);
  const entries: HistoryEntry[] = [];
  const seenSeries = new Set<string>();
  let skipped = 0;
  for (const row of rows) {
    const title = row.Title ?? "";
    if (title === "") {
      skipped++;
      continue;
    }
    const names = netflixSeriesNames(title);
    if (names === null) {
      entries.push({ kind: "movie", title, year: null });
    } else if (!seenSeries.has(names[0].toLowerCase())) {
      // One entry per series, however many episodes were watched.
      seenSeries.add(names[0].toLowerCase());
      entries.push({ kind: "series", title: names[0], year: null, ...(names.length > 1 ? { alternatives: names.slice(1) } : {}) });
    }
  }
  return { fileName, format: "netflix", entries, skipped };
}
