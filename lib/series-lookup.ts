// Finding the series a visitor or a command line names: by id, by folded name, and the
// closest names when nothing matches. Pure and browser-safe.
import { yearOf, type Series } from "./catalog.ts";

export type LookupSeries = Pick<Series, "id" | "name" | "popularity" | "first_air_date">;

export class SeriesLookupError extends Error {
  constructor(
    message: string,
    readonly query: string | number,
    readonly matches: LookupSeries[],
  ) {
    super(message);
    this.name = "SeriesLookupError";
  }
}

/** Lowercase, accent- and punctuation-free form of a name, so "Grey's Anatomy" finds "Greys Anatomy". */
export function foldName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

export function describeSeries(s: LookupSeries): string {
  const year = yearOf(s.first_air_date);
  return `${s.name} (${year ?? "year unknown"}, id ${s.id})`;
}

/** Up to `count` series whose names come closest to `query`: containing it first, then by edit distance. */
export function closestSeries<S extends LookupSeries>(series: readonly S[], query: string, count = 5): S[] {
  const q = foldName(query);
  return series
    .map((s) => {
      const name = foldName(s.name);
      const contains = q.length > 0 && (name.includes(q) || q.includes(name));
      return { s, contains, distance: editDistance(q, name) };
    })
    .sort((a, b) => Number(b.contains) - Number(a.contains) || a.distance - b.distance || b.s.popularity - a.s.popularity)
    .slice(0, count)
    .map((x) => x.s);
}

export function seriesFinder<S extends LookupSeries>(series: readonly S[]): (query: string | number) => S {
  const byId = new Map(series.map((s) => [s.id, s]));
  const byName = new Map<string, S[]>();
  for (const s of series) {
    const key = foldName(s.name);
    byName.set(key, [...(byName.get(key) ?? []), s]);
  }
  return (query) => {
    if (typeof query === "number") {
      const found = byId.get(query);
      if (found) return found;
      throw new SeriesLookupError(`no series with id ${query} in the catalogue`, query, []);
    }
    const text = query.trim();
    // Digits are an id when the catalogue has that id; otherwise they may be a name ("1883").
    if (/^\d+$/.test(text) && byId.has(Number(text))) return byId.get(Number(text))!;
    const exact = byName.get(foldName(text)) ?? [];
    if (exact.length === 1) return exact[0];
    if (exact.length > 1) {
      const sorted = [...exact].sort((a, b) => b.popularity - a.popularity);
      throw new SeriesLookupError(
        `"${text}" matches ${exact.length} series: ${sorted.map(describeSeries).join("; ")}. Pass the id instead, e.g. --series ${sorted[0].id}`,
        query,
        sorted,
      );
    }
    const closest = closestSeries(series, text);
    throw new SeriesLookupError(
      `no series named "${text}" in the catalogue. Closest: ${closest.map(describeSeries).join("; ") || "none"}`,
      query,
      closest,
    );
  };
}
