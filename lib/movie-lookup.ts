// Finding the movie a command line or a link names ("more like this"): by id, or by folded
// title with an optional year, "Heat (1995)". Pure and browser-safe; the series twin is
// series-lookup.ts, whose folding it shares.
import { yearOf, type Movie } from "./catalog.ts";
import { editDistance, foldName } from "./series-lookup.ts";

export type LookupMovie = Pick<Movie, "id" | "title" | "popularity" | "release_date">;

export class MovieLookupError extends Error {
  constructor(
    message: string,
    readonly query: string | number,
    readonly matches: LookupMovie[],
  ) {
    super(message);
    this.name = "MovieLookupError";
  }
}

export function describeMovie(m: LookupMovie): string {
  return `${m.title} (${yearOf(m.release_date) ?? "year unknown"}, id ${m.id})`;
}

export function movieFinder<M extends LookupMovie>(movies: readonly M[]): (query: string | number) => M {
  const byId = new Map(movies.map((m) => [m.id, m]));
  const byTitle = new Map<string, M[]>();
  for (const m of movies) {
    const key = foldName(m.title);
    byTitle.set(key, [...(byTitle.get(key) ?? []), m]);
  }
  return (query) => {
    if (typeof query === "number") {
      const found = byId.get(query);
      if (found) return found;
      throw new MovieLookupError(`no movie with id ${query} in the catalogue`, query, []);
    }
    const text = query.trim();
    // Digits are an id when the catalogue has that id; otherwise they may be a title ("1917").
    if (/^\d+$/.test(text) && byId.has(Number(text))) return byId.get(Number(text))!;
    const withYear = /^(.*\S)\s*\((\d{4})\)$/.exec(text);
    const title = withYear ? withYear[1] : text;
    let exact = byTitle.get(foldName(title)) ?? [];
    if (withYear) exact = exact.filter((m) => yearOf(m.release_date) === Number(withYear[2]));
    if (exact.length === 1) return exact[0];
    if (exact.length > 1) {
      const sorted = [...exact].sort((a, b) => b.popularity - a.popularity);
      throw new MovieLookupError(
        `"${text}" matches ${exact.length} movies: ${sorted.map(describeMovie).join("; ")}. Add the year, e.g. --movie "${sorted[0].title} (${yearOf(sorted[0].release_date)})", or pass the id`,
        query,
        sorted,
      );
    }
    const q = foldName(title);
    const closest = [...movies]
      .map((m) => ({ m, name: foldName(m.title) }))
      .map(({ m, name }) => ({ m, contains: q.length > 0 && (name.includes(q) || q.includes(name)), distance: editDistance(q, name) }))
      .sort((a, b) => Number(b.contains) - Number(a.contains) || a.distance - b.distance || b.m.popularity - a.m.popularity)
      .slice(0, 5)
      .map((x) => x.m);
    throw new MovieLookupError(`no movie titled "${text}" in the catalogue. Closest: ${closest.map(describeMovie).join("; ") || "none"}`, query, closest);
  };
}
