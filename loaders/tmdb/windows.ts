// Release-date windows for TMDB's discover endpoints. Discover serves at most 500 pages
// (10,000 titles) per query, so a deeper top-N splits the query into disjoint date windows,
// each sorted by popularity on its own. Pure functions: no I/O.

/** Nominal start of the date range; the oldest window is open below it all the same. */
export const EARLIEST_DATE = "1870-01-01";

/**
 * A range of release dates, both ends inclusive. `gte`/`lte` are the filters sent to TMDB
 * (undefined: open on that side); `from`/`to` is the nominal range that halving works on.
 * The root window has no filter at all, so it is the only one that also holds undated titles:
 * TMDB leaves a title without a date out of every query that filters on the date.
 */
export interface DateWindow {
  gte?: string;
  lte?: string;
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

function dayNumber(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
}

function isoOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The whole catalogue: no date filter, nominally EARLIEST_DATE to a year after `today`. */
export function rootWindow(today: Date = new Date()): DateWindow {
  const nextYear = new Date(Date.UTC(today.getUTCFullYear() + 1, today.getUTCMonth(), today.getUTCDate()));
  return { from: EARLIEST_DATE, to: nextYear.toISOString().slice(0, 10) };
}

/** True for the unfiltered window, the only one whose query returns titles without a date. */
export function holdsUndated(window: DateWindow): boolean {
  return window.gte === undefined && window.lte === undefined;
}

/**
 * Two disjoint, adjacent halves that together hold every dated title of `window`; the outer
 * ends stay open, so titles dated before 1870 or far in the future still land in a window.
 * Null when the nominal range is a single day and cannot be halved.
 */
export function splitWindow(window: DateWindow): [DateWindow, DateWindow] | null {
  const from = dayNumber(window.from);
  const to = dayNumber(window.to);
  if (!(to > from)) return null;
  const middle = from + Math.floor((to - from) / 2);
  const leftEnd = isoOfDay(middle);
  const rightStart = isoOfDay(middle + 1);
  return [
    { gte: window.gte, lte: leftEnd, from: window.from, to: leftEnd },
    { gte: rightStart, lte: window.lte, from: rightStart, to: window.to },
  ];
}

/** Whether a title dated `date` (ISO, or null when undated) is returned by the window's query. */
export function inWindow(window: DateWindow, date: string | null): boolean {
  if (date === null) return holdsUndated(window);
  return (window.gte === undefined || date >= window.gte) && (window.lte === undefined || date <= window.lte);
}

/** The discover filters for the window, e.g. `primary_release_date.gte` for movies. */
export function windowParams(window: DateWindow, dateField: string): Record<string, string | undefined> {
  return { [`${dateField}.gte`]: window.gte, [`${dateField}.lte`]: window.lte };
}

/** `1948-12-14..1988-06-04`, `up to 1948-12-13`, `from 2008-03-01`; `all dates` for the root. */
export function windowLabel(window: DateWindow): string {
  if (window.gte !== undefined && window.lte !== undefined) return `${window.gte}..${window.lte}`;
  if (window.lte !== undefined) return `up to ${window.lte}`;
  if (window.gte !== undefined) return `from ${window.gte}`;
  return "all dates";
}
