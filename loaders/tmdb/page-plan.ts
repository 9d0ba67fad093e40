// How many pages to ask of each popularity-sorted source in the next round. The unread titles
// of a source all rank at or below its floor (the popularity of the last title read), so the
// best unread titles are on the next page of the source with the highest floor: a k-way merge.
// A round plans many pages at once, so requests run concurrently: it projects the popularity
// level the N-th best title will end at, from each source's slope, and asks every source for
// the pages that reach down to that level. Pure: no I/O.

export interface PageSource {
  /** Popularity of the last title read; Infinity before the first page. */
  floor: number;
  /** Estimated popularity drop per page; undefined when not known. */
  slope?: number;
  /** Pages the source can serve in this round (it ends, TMDB's page cap, or one page to learn its size). */
  remaining: number;
  /** True when the source may hold more than `remaining` pages: past TMDB's cap, or of a size not known yet. */
  pastCap?: boolean;
}

export interface PlanInput {
  sources: readonly PageSource[];
  /** Popularities of the titles kept so far, best first. */
  kept: readonly number[];
  /** Titles wanted. */
  target: number;
  /** Titles kept per page read, on average. */
  keptPerPage: number;
}

/** How many of `sorted` (descending) are above `level`. */
function countAbove(sorted: readonly number[], level: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] > level) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Pages to ask of each source. The level is the highest popularity at which the kept titles
 * above it plus the titles the sources are expected to yield above it reach the target. A
 * source is asked for the pages its slope says reach down to that level; pages it cannot serve
 * yet (past its cap, or before its first page) still count towards the level, so their share
 * is not handed to the other sources, which would read those too deep. Errors cost a round
 * (too few pages) or requests (too many); the plan leans to the first.
 */
export function planPages({ sources, kept, target, keptPerPage }: PlanInput): number[] {
  const perPage = Math.max(1, keptPerPage);
  const deficit = Math.max(1, target - kept.length);
  if (!sources.some((s) => s.slope !== undefined && s.slope > 0)) {
    // Nothing to project with: what the yield so far says the deficit needs, spread evenly;
    // a source never read gets its first page, which is what teaches its slope.
    const each = Math.ceil(deficit / perPage / sources.length);
    return sources.map((s) => Math.min(s.remaining, Number.isFinite(s.floor) ? each : 1));
  }
  const pagesTo = (source: PageSource, level: number, bounded: boolean): number => {
    if (!(source.floor > level)) return 0;
    const room = bounded || !source.pastCap ? source.remaining : Infinity;
    if (source.slope === undefined || !(source.slope > 0) || !Number.isFinite(source.floor)) return Math.min(1, room);
    return Math.min(room, Math.ceil((source.floor - level) / source.slope));
  };
  // With several sources the projection can misjudge which holds the next titles, so a round
  // plans for half the deficit and the next round corrects with what came back.
  const goal = sources.length > 1 && kept.length < target ? kept.length + Math.ceil((target - kept.length) / 2) : target;
  const titlesAbove = (level: number) =>
    countAbove(kept, level) + perPage * sources.reduce((sum, s) => sum + pagesTo(s, level, false), 0);

  const top = Math.max(...sources.map((s) => (Number.isFinite(s.floor) ? s.floor : -Infinity)));
  let high = Number.isFinite(top) ? top : 0;
  let low = high;
  for (let step = 1; titlesAbove(low) < goal; step *= 2) {
    if (step > 2 ** 60) return sources.map((s) => s.remaining);
    low = high - step;
  }
  for (let i = 0; i < 60 && high - low > 1e-9 * Math.max(1, Math.abs(high)); i++) {
    const middle = (low + high) / 2;
    if (titlesAbove(middle) >= goal) low = middle;
    else high = middle;
  }
  const plan: number[] = sources.map((s) => pagesTo(s, low, true));
  if (!plan.some((pages) => pages > 0)) {
    // Every floor sits at the level (ties): the best source's next page settles them.
    const best = sources.reduce<number>((b, s, i) => (s.floor > sources[b].floor ? i : b), 0);
    plan[best] = Math.min(1, sources[best].remaining);
  }
  return plan;
}
