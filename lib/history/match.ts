// Matching history entries to catalogue titles: by TMDB id when the export has one, else by
// folded title and a year within one (exports and TMDB disagree on festival versus release
// years). The report says what matched, what has several candidates (the visitor chooses),
// and what this catalogue does not have.
import { foldName } from "../series-lookup.ts";
import { LIKE_RATING, type HistoryEntry, type HistoryFile } from "./entry.ts";

export interface MatchableTitle {
  id: number;
  /** A movie's title or a series' name. */
  title: string;
  year: number | null;
  popularity?: number;
}

export interface HistoryMatch {
  entry: HistoryEntry;
  id: number;
  /** "tmdb": the file's TMDB id; "title": folded title and year. */
  by: "tmdb" | "title";
}

export interface AmbiguousEntry {
  entry: HistoryEntry;
  /** Catalogue titles that fit equally well, most popular first. */
  choices: MatchableTitle[];
}

export interface HistoryReport {
  files: { fileName: string; format: HistoryFile["format"]; entries: number; skipped: number }[];
  matched: HistoryMatch[];
  ambiguous: AmbiguousEntry[];
  notFound: HistoryEntry[];
}

/** How far the file's year may be from the catalogue's for a title match. */
export const YEAR_TOLERANCE = 1;

function foldTitle(title: string): string {
  return foldName(title.replace(/&/g, " and "));
}

function indexOf(titles: readonly MatchableTitle[]) {
  const byId = new Map(titles.map((t) => [t.id, t]));
  const byTitle = new Map<string, MatchableTitle[]>();
  for (const t of titles) {
    const key = foldTitle(t.title);
    const list = byTitle.get(key);
    if (list) list.push(t);
    else byTitle.set(key, [t]);
  }
  return { byId, byTitle };
}

type Outcome = { match: MatchableTitle; by: HistoryMatch["by"] } | { choices: MatchableTitle[] } | null;

function matchOne(entry: HistoryEntry, index: ReturnType<typeof indexOf>): Outcome {
  if (entry.tmdbId !== undefined) {
    const byId = index.byId.get(entry.tmdbId);
    if (byId) return { match: byId, by: "tmdb" };
  }
  const names = [entry.title, ...(entry.alternatives ?? [])];
  const found = names.map((name) => index.byTitle.get(foldTitle(name))).find((list) => list !== undefined);
  let candidates = found ?? [];
  if (entry.year !== null) {
    candidates = candidates.filter((c) => c.year !== null && Math.abs(c.year - entry.year!) <= YEAR_TOLERANCE);
    const exact = candidates.filter((c) => c.year === entry.year);
    if (exact.length === 1) candidates = exact;
  }
  if (candidates.length === 0) return null;
  if (candidates.length === 1) return { match: candidates[0], by: "title" };
  return { choices: [...candidates].sort((a, b) => (b.popularity ?? 0) - (a.popularity ?? 0) || a.id - b.id) };
}

/**
 * Matches every entry of the files against the catalogue's movies and series. A title found
 * in several files (diary and watched) is reported once, with its highest rating.
 */
export function matchHistory(files: readonly HistoryFile[], catalogue: { movies: readonly MatchableTitle[]; series: readonly MatchableTitle[] }): HistoryReport {
  const indexes = { movie: indexOf(catalogue.movies), series: indexOf(catalogue.series) };
  const matched = new Map<string, HistoryMatch>();
  const ambiguous = new Map<string, AmbiguousEntry>();
  const notFound = new Map<string, HistoryEntry>();
  for (const file of files) {
    for (const entry of file.entries) {
      const outcome = matchOne(entry, indexes[entry.kind]);
      const textKey = `${entry.kind}:${foldTitle(entry.title)}|${entry.year ?? ""}`;
      if (outcome === null) {
        if (!notFound.has(textKey)) notFound.set(textKey, entry);
      } else if ("choices" in outcome) {
        if (!ambiguous.has(textKey)) ambiguous.set(textKey, { entry, choices: outcome.choices });
      } else {
        const key = `${entry.kind}:${outcome.match.id}`;
        const previous = matched.get(key);
        if (!previous || (entry.rating ?? -1) > (previous.entry.rating ?? -1)) matched.set(key, { entry, id: outcome.match.id, by: outcome.by });
      }
    }
  }
  return {
    files: files.map((f) => ({ fileName: f.fileName, format: f.format, entries: f.entries.length, skipped: f.skipped })),
    matched: [...matched.values()],
    ambiguous: [...ambiguous.values()],
    notFound: [...notFound.values()],
  };
}

/** What an import applies: movies seen (excluded), movies rated highly (offered as likes), series watched (offered as loved). */
export function historyOutcome(report: HistoryReport, chosen: ReadonlyMap<AmbiguousEntry, number> = new Map()): { seenMovieIds: number[]; likedMovieIds: number[]; seriesIds: number[] } {
  const all: { entry: HistoryEntry; id: number }[] = [...report.matched, ...[...chosen].map(([a, id]) => ({ entry: a.entry, id }))];
  const unique = (ids: number[]) => [...new Set(ids)];
  const movies = all.filter((m) => m.entry.kind === "movie");
  return {
    seenMovieIds: unique(movies.map((m) => m.id)),
    likedMovieIds: unique(movies.filter((m) => (m.entry.rating ?? 0) >= LIKE_RATING).map((m) => m.id)),
    seriesIds: unique(all.filter((m) => m.entry.kind === "series").map((m) => m.id)),
  };
}
