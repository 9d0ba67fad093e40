// The N most popular titles of one kind from TMDB's discover endpoint, however deep N goes.
//
// Discover serves 500 pages (10,000 titles) per query. Up to that depth one unfiltered query
// sorted by popularity is the answer. Past it, the query that hit the cap is split into two
// disjoint release-date windows, each sorted by popularity on its own, recursively as windows
// hit the cap in turn, and the windows are merged by popularity (a k-way merge). A window's
// first ranks are already known from the query it was split from, so it resumes at the page
// after them. Pages are fetched lazily: a window is read only while its next page could hold a
// title more popular than the current N-th best. Titles without a date exist only in the
// unfiltered query (TMDB leaves them out of any date filter), so those ranked below its
// 10,000th result are out of reach; the refresh reports how many.
import { isMissingOverview, normaliseDate, type RawTitle } from "../../lib/catalog.ts";
import { planPages } from "./page-plan.ts";
import { TMDB_MAX_PAGE, type TmdbClient } from "./client.ts";
import type { TmdbDiscoverPage, TmdbMediaKind } from "./types.ts";
import { holdsUndated, inWindow, rootWindow, splitWindow, windowLabel, windowParams, type DateWindow } from "./windows.ts";
import { TopN, ranksBefore, type RankKey } from "./top-n.ts";

/** A discover result in the shape normaliseMovie/normaliseSeries take, genres still as ids. */
export type DiscoverRow = RawTitle & { id: number; genre_ids: number[] };

/** How one kind of title is read from its discover results. */
export interface KindSpec<T> {
  kind: TmdbMediaKind;
  label: "movies" | "series";
  /** The date the windows filter on: `primary_release_date` or `first_air_date`. */
  dateField: string;
  toRow(result: unknown): DiscoverRow | null;
  normalise(raw: RawTitle): T;
}

export interface CollectContext {
  client: TmdbClient;
  language: string;
  log: (line: string) => void;
  progressEvery: number;
  signal?: AbortSignal;
  /** Today, for the nominal end of the date range (a year later). */
  today?: Date;
}

export interface TopTitles<T> {
  /** At most the target, most popular first. */
  rows: T[];
  /** Titles ranked above the last row kept that were left out, by reason (`movies_without_overview`...). */
  dropped: Record<string, number>;
}

type DropReason = "missing_fields" | "without_overview" | "invalid" | "duplicates" | "unknown_genre_ids";

interface DropEvent {
  reason: DropReason;
  key: RankKey;
  count: number;
}

/** One discover query (a date window) being read page by page in popularity order. */
interface Source {
  window: DateWindow;
  /** Popularity of the last title read: nothing unread in this window ranks above it. */
  floor: number;
  /**
   * Popularities of the window's last-ranked titles read so far (at most TAIL, best first),
   * its own or read through the query it was split from: what its slope is estimated from.
   */
  tail: number[];
  nextPage: number;
  pagesRead: number;
  totalPages?: number;
  totalResults?: number;
  exhausted: boolean;
  /** The window's first `known` ranks were read through the query it was split from. */
  known: number;
  children?: [Source, Source];
}

/** Titles a slope estimate looks back over: enough to smooth the gaps between single titles. */
const TAIL = 64;

function newSource(window: DateWindow, floor: number, known: number, pageSize: number, tail: number[] = []): Source {
  return { window, floor, tail, nextPage: Math.floor(known / Math.max(1, pageSize)) + 1, pagesRead: 0, exhausted: false, known };
}

/** Estimated popularity drop per page of the source, from the titles it ranked last; undefined without two of them. */
function slopeOf(source: Source, pageSize: number): number | undefined {
  const { tail } = source;
  if (tail.length < 2) return undefined;
  const perTitle = (tail[0] - tail[tail.length - 1]) / (tail.length - 1);
  return perTitle > 0 ? perTitle * Math.max(1, pageSize) : undefined;
}

function safeDate(value: unknown): string | null {
  try {
    return normaliseDate(value);
  } catch {
    return null;
  }
}

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The titles read so far, fed one discover page at a time. */
class Collector<T> {
  readonly #kept: { row: T; key: RankKey }[] = [];
  readonly #top: TopN;
  readonly #drops: DropEvent[] = [];
  /** Every id seen, with its release date and popularity: the first sighting wins, and split windows learn what they already hold. */
  readonly seen = new Map<number, { date: string | null; popularity?: number }>();
  #seq = 0;
  pagesRead = 0;
  /** Results that were new titles (not repeats), the base of the yield estimate. */
  freshResults = 0;
  /** Results per full page, learnt from the first page that is not the last. */
  pageSize = 0;

  constructor(
    readonly spec: KindSpec<T>,
    readonly target: number,
    readonly genreNames: ReadonlyMap<number, string>,
  ) {
    this.#top = new TopN(target);
  }

  /** Popularity of every title kept so far, best first. */
  keptPopularities(): number[] {
    return this.#kept.map((k) => k.key.popularity).sort((a, b) => b - a);
  }

  get keptCount(): number {
    return this.#kept.length;
  }

  get full(): boolean {
    return this.#top.full;
  }

  /** The popularity a window's next page must beat to matter; -Infinity until N titles are kept. */
  get threshold(): number {
    return this.#top.last?.popularity ?? -Infinity;
  }

  /** Whether the source's unread titles could still make the top N. */
  needs(source: Source): boolean {
    return !source.exhausted && source.floor > this.threshold;
  }

  #drop(reason: DropReason, key: RankKey, count = 1): void {
    this.#drops.push({ reason, key, count });
  }

  absorb(source: Source, page: TmdbDiscoverPage, pageNumber: number): void {
    this.pagesRead++;
    source.pagesRead++;
    if (pageNumber < page.total_pages) this.pageSize = Math.max(this.pageSize, page.results.length);
    page.results.forEach((result, index) => {
      // Ranks the window shares with the query it was split from were read there already.
      const rank = (pageNumber - 1) * this.pageSize + index + 1;
      const alreadyRead = rank <= source.known;
      const raw = this.spec.toRow(result);
      if (!raw) {
        if (!alreadyRead) this.#drop("missing_fields", { popularity: source.floor, seq: this.#seq++ });
        return;
      }
      // Popularity shifts while we page, so a title can show up again on a later page: the
      // first sighting is its most popular position.
      if (this.seen.has(raw.id)) {
        if (!alreadyRead) this.#drop("duplicates", { popularity: source.floor, seq: this.#seq++ });
        return;
      }
      const popularity = finite(raw.popularity);
      this.seen.set(raw.id, { date: safeDate(raw.date), popularity });
      this.freshResults++;
      if (popularity !== undefined) {
        source.floor = Math.min(source.floor, popularity);
        source.tail.push(popularity);
        if (source.tail.length > TAIL) source.tail.shift();
      }
      const key = { popularity: popularity ?? source.floor, seq: this.#seq++ };
      const names: string[] = [];
      let unknown = 0;
      for (const id of raw.genre_ids) {
        const name = this.genreNames.get(id);
        if (name) names.push(name);
        else unknown++;
      }
      if (unknown) this.#drop("unknown_genre_ids", key, unknown);
      try {
        this.#kept.push({ row: this.spec.normalise({ ...raw, genre_names: names }), key });
        this.#top.add(key);
      } catch (error) {
        this.#drop(isMissingOverview(error) ? "without_overview" : "invalid", key);
      }
    });
    source.nextPage = pageNumber + 1;
    source.totalPages = page.total_pages;
    source.totalResults = page.total_results;
    // A query that fills all 500 pages may hold more than TMDB serves, whatever total it reports.
    const ended = source.nextPage > page.total_pages && page.total_pages < TMDB_MAX_PAGE;
    if (page.results.length === 0 || ended) source.exhausted = true;
  }

  /** The top N, most popular first, and what was left out above the N-th. */
  result(): TopTitles<T> {
    const ranked = [...this.#kept].sort((a, b) => (ranksBefore(a.key, b.key) ? -1 : ranksBefore(b.key, a.key) ? 1 : 0));
    const rows = ranked.slice(0, this.target);
    const cut = rows.length >= this.target ? rows[rows.length - 1].key : undefined;
    const label = this.spec.label;
    const dropped: Record<string, number> = {
      [`${label}_missing_fields`]: 0,
      [`${label}_without_overview`]: 0,
      [`${label}_invalid`]: 0,
      [`${label}_duplicates`]: 0,
      [`${label}_unknown_genre_ids`]: 0,
    };
    // Only what was passed over on the way to the N-th title counts; pages read past it
    // (a round of requests overshoots a little) would make the counts depend on timing.
    for (const event of this.#drops) {
      if (!cut || ranksBefore(event.key, cut)) dropped[`${label}_${event.reason}`] += event.count;
    }
    return { rows: rows.map((r) => r.row), dropped };
  }
}

/** Pages a source can still serve before it ends or reaches TMDB's cap. */
function remaining(source: Source): number {
  return Math.min(TMDB_MAX_PAGE, source.totalPages ?? TMDB_MAX_PAGE) - source.nextPage + 1;
}

function capped(source: Source): boolean {
  return !source.exhausted && source.nextPage > TMDB_MAX_PAGE;
}

/** Titles a query matches, once it or all the windows it was split into were read at least once. */
function totalOf(source: Source): number | undefined {
  if (source.totalResults !== undefined) return source.totalResults;
  if (!source.children) return undefined;
  const [a, b] = source.children.map(totalOf);
  return a === undefined || b === undefined ? undefined : a + b;
}

type Settled = { page: TmdbDiscoverPage } | { error: unknown };

/** Fetches discover pages into a collector until it holds the top N or TMDB has nothing more to give. */
class TopTitlesJob<T> {
  readonly root: Source;
  sources: Source[];

  constructor(
    readonly collector: Collector<T>,
    readonly context: CollectContext,
  ) {
    this.root = newSource(rootWindow(context.today), Infinity, 0, 0);
    this.sources = [this.root];
  }

  get label(): string {
    return this.collector.spec.label;
  }

  async run(): Promise<void> {
    for (;;) {
      this.context.signal?.throwIfAborted();
      this.#splitCapped();
      this.sources = this.sources.filter((s) => !s.exhausted);
      const needed = this.sources.filter((s) => this.collector.needs(s));
      if (needed.length === 0) break;
      await this.#round(needed, this.#plan(needed));
    }
    this.#reportEnd();
  }

  /** Pages per needed source, planned to reach the level where the N-th best title is expected to end. */
  #plan(needed: Source[]): number[] {
    const { collector } = this;
    const sources = needed.map((s) => ({
      floor: s.floor,
      slope: slopeOf(s, collector.pageSize),
      // Until its first page tells how many pages a window has, ask for one.
      remaining: s.totalPages === undefined ? 1 : remaining(s),
      pastCap: s.totalPages === undefined || s.totalPages >= TMDB_MAX_PAGE,
    }));
    const keptPerPage = (collector.keptCount / Math.max(1, collector.freshResults)) * (collector.pageSize || 20);
    return planPages({ sources, kept: collector.keptPopularities(), target: collector.target, keptPerPage });
  }

  /** Replaces every needed source that reached TMDB's page cap with its two date halves. */
  #splitCapped(): void {
    for (let i = 0; i < this.sources.length; i++) {
      const source = this.sources[i];
      if (!capped(source) || !this.collector.needs(source)) continue;
      const halves = splitWindow(source.window);
      if (!halves) {
        source.exhausted = true;
        this.context.log(
          `${this.label}: warning: window ${windowLabel(source.window)} holds more than TMDB's ${TMDB_MAX_PAGE} pages ` +
            "on a single day; the rest of that day is out of reach",
        );
        continue;
      }
      const { seen, pageSize } = this.collector;
      const children = halves.map((window) => {
        // Everything read so far in the half is its top: the parent was read down to its floor.
        const known: number[] = [];
        for (const title of seen.values()) if (inWindow(window, title.date)) known.push(title.popularity ?? source.floor);
        known.sort((a, b) => b - a);
        return newSource(window, source.floor, known.length, pageSize, known.slice(-TAIL));
      }) as [Source, Source];
      source.children = children;
      source.exhausted = true;
      this.context.log(
        holdsUndated(source.window)
          ? `${this.label}: reached TMDB's ${TMDB_MAX_PAGE}-page cap with ${this.collector.keptCount} rows; ` +
              `${source.totalResults ?? "?"} titles match, so continuing in date windows by ${this.collector.spec.dateField}, merged by popularity`
          : `${this.label}: window ${windowLabel(source.window)} reached the ${TMDB_MAX_PAGE}-page cap; split at ${children[0].window.to}`,
      );
      // The halves may be capped already (their known part fills 500 pages): the loop visits them too.
      this.sources.splice(i + 1, 0, ...children);
    }
  }

  /** Fetches the planned pages at once (the client spaces and bounds them) and reads each source's pages in order. */
  async #round(needed: Source[], plan: number[]): Promise<void> {
    const { client, language, signal } = this.context;
    const { kind, dateField } = this.collector.spec;
    const jobs = needed.map((source, i) => {
      const stop = new AbortController();
      const pageSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      const filters = windowParams(source.window, dateField);
      const first = source.nextPage;
      const pages: Promise<Settled>[] = [];
      for (let page = first; page < first + plan[i]; page++) {
        pages.push(
          client.discover(kind, { page, language, ...filters }, pageSignal).then(
            (p) => ({ page: p }),
            (error) => ({ error }),
          ),
        );
      }
      return { source, stop, first, pages };
    });
    try {
      for (const { source, stop, first, pages } of jobs) {
        for (let i = 0; i < pages.length; i++) {
          // Pages planned but no longer needed (the threshold rose past the window) are not sent.
          if (!this.collector.needs(source)) break;
          const settled = await pages[i];
          if ("error" in settled) {
            if (signal?.aborted) throw signal.reason;
            throw settled.error;
          }
          this.collector.absorb(source, settled.page, first + i);
          this.#progress(source, first + i, first + pages.length - 1);
        }
        stop.abort();
      }
    } finally {
      for (const job of jobs) job.stop.abort();
    }
  }

  #progress(source: Source, page: number, last: number): void {
    const { collector, context } = this;
    if (collector.pagesRead % context.progressEvery !== 0) return;
    const where = source === this.root ? "" : ` of ${windowLabel(source.window)}`;
    context.log(`${this.label}: page ${page}/${last}${where}, ${Math.min(collector.keptCount, collector.target)} rows`);
  }

  #reportEnd(): void {
    const { collector, context, root } = this;
    if (!collector.full) {
      context.log(`${this.label}: TMDB has no more titles (${collector.keptCount} of ${collector.target} kept)`);
    }
    const dated = root.children?.map(totalOf);
    if (root.totalResults === undefined || !dated || dated.some((total) => total === undefined)) return;
    let undatedSeen = 0;
    for (const title of collector.seen.values()) if (title.date === null) undatedSeen++;
    const beyond = root.totalResults - dated[0]! - dated[1]! - undatedSeen;
    if (beyond > 0) {
      context.log(
        `${this.label}: ${beyond} titles without a ${collector.spec.dateField} rank below the first ${TMDB_MAX_PAGE} pages ` +
          "of the unfiltered query and are out of reach (TMDB's date filters leave undated titles out)",
      );
    }
  }
}

/** The target's most popular titles of one kind, de-duplicated by id, most popular first. */
export async function collectTopTitles<T>(
  spec: KindSpec<T>,
  target: number,
  genreNames: ReadonlyMap<number, string>,
  context: CollectContext,
): Promise<TopTitles<T>> {
  const collector = new Collector(spec, target, genreNames);
  await new TopTitlesJob(collector, context).run();
  return collector.result();
}
