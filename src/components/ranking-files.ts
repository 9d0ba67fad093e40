// The page's side of the ranking files (loaders/site/ranking-files.ts): the index, each
// chosen series' signal lists and each shown movie's record, fetched by byte range and each
// fetched once. site-data.ts hands the results to the rest of the page.
import { RECORD_FIELDS, decodeSignalLists, parseMovieRecord, recordOffsets, recordRanges } from "./lib.bundle.js";
import type { SeriesSignalLists } from "./lib.bundle.js";

/** ranking-index.json as loaders/site/ranking-files.ts writes it. */
export interface RankingIndex {
  version: number;
  depth: number;
  series: [id: number, offset: number, length: number][];
  /** series-signals-deep.bin's entries (absent in builds from before the second tier). */
  deep?: [id: number, offset: number, length: number][];
  records: number[];
  picks?: [id: number, offset: number, length: number][];
}

/** Which lists: the first tier (SIGNAL_LIST_DEPTH deep), or the deep one for narrow filters. */
export type ListTier = "first" | "deep";

export class RankingFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RankingFilesError";
  }
}

/**
 * Bytes [start, end) of a file, by a Range request. A server that ignores Range answers 200
 * with the whole file: the range is cut from it, so the page still works, only heavier.
 */
export async function fetchRange(url: string, start: number, end: number): Promise<Uint8Array> {
  // no-store: the HTTP cache would serialise the ranges of one file (range-cache.ts keeps them instead).
  const response = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` }, cache: "no-store" });
  if (response.status === 206) {
    const from = /^bytes (\d+)-/.exec(response.headers.get("Content-Range") ?? "");
    if (!from || Number(from[1]) !== start) throw new RankingFilesError(`${url} answered bytes ${response.headers.get("Content-Range")} for ${start}-${end - 1}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== end - start) throw new RankingFilesError(`${url} sent ${bytes.length} bytes for a range of ${end - start}`);
    return bytes;
  }
  if (!response.ok) throw new RankingFilesError(`could not load ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer()).subarray(start, end);
}

/** Inflates one deflate-raw member (the ranking files deflate each series and movie on its own). */
export async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const jsonFiles = new Map<string, Promise<unknown>>();

/**
 * A JSON file, fetched once per page (the early picks and the data share the ranking index);
 * null when the server has none (a build from before it existed). A failure is retried next time.
 */
export function fetchJsonOnce(url: string): Promise<unknown> {
  let pending = jsonFiles.get(url);
  if (!pending) {
    pending = (async () => {
      const response = await fetch(url);
      if (response.status === 404) return null;
      if (!response.ok) throw new RankingFilesError(`could not load ${url}: HTTP ${response.status}`);
      return response.json();
    })();
    pending.catch(() => jsonFiles.delete(url));
    jsonFiles.set(url, pending);
  }
  return pending;
}

/**
 * One series' precomputed picks as picks.arrow rows (its series-picks.bin chunk), or null when
 * the build has none for it (or no such file): the caller then reads picks.arrow.
 */
export async function fetchSeriesPicks(indexUrl: string, picksUrl: string, seriesId: number, range: (url: string, start: number, end: number) => Promise<Uint8Array> = fetchRange): Promise<Uint8Array | null> {
  const index = (await fetchJsonOnce(indexUrl)) as Partial<RankingIndex> | null;
  const entry = index?.picks?.find(([id]) => id === seriesId);
  if (!entry) return null;
  const [, offset, length] = entry;
  return inflate(await range(picksUrl, offset, offset + length));
}

export interface RankingFilesSource {
  /** The catalogue's movies in movies.arrow's row order; records fill in their texts in place. */
  movies: readonly { id: number }[];
  /** ranking-index.json (null: this build has none). */
  index?: () => Promise<unknown>;
  signalBytes?: (start: number, end: number) => Promise<Uint8Array>;
  deepSignalBytes?: (start: number, end: number) => Promise<Uint8Array>;
  recordBytes?: (start: number, end: number) => Promise<Uint8Array>;
  /** Loads every movie's text at once, for a build without records (undefined once they are in). */
  texts: () => Promise<void> | undefined;
}

export interface RankingFiles {
  /** A series' lists of a tier; undefined for a series without a vector; null when this build ships no such lists. */
  signalLists(seriesId: number, tier?: ListTier): Promise<SeriesSignalLists | undefined | null>;
  /** Fills in these movies' overviews and metadata from their records (each movie once). */
  movieTexts(ids: readonly number[]): Promise<void>;
  /** A keyword's catalogue count, from the records read so far (1 when none had it). */
  keywordFrequency(keyword: string): number;
}

/** Runs `load` once; a failed load runs again on the next call. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= load().catch((error) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}

export function readRankingFiles(source: RankingFilesSource): RankingFiles {
  const { movies } = source;
  const index = once(async (): Promise<RankingIndex | null> => {
    const value = source.index ? ((await source.index()) as RankingIndex | null) : null;
    if (!value) return null;
    if (value.version !== 1 || !Array.isArray(value.series) || !Array.isArray(value.records) || value.records.length !== movies.length) {
      throw new RankingFilesError(`the ranking index does not describe these ${movies.length} movies; rebuild the site (npm run build)`);
    }
    return value;
  });
  const movieIds = Int32Array.from(movies, (m) => m.id);
  const chunks = new Map<string, Promise<SeriesSignalLists | undefined | null>>();
  const signalLists = (seriesId: number, tier: ListTier = "first") => {
    const key = `${tier}:${seriesId}`;
    let pending = chunks.get(key);
    if (!pending) {
      pending = (async () => {
        const found = await index();
        const entries = tier === "first" ? found?.series : found?.deep;
        const bytes = tier === "first" ? source.signalBytes : source.deepSignalBytes;
        if (!entries || !bytes) return null;
        const entry = entries.find(([id]) => id === seriesId);
        if (!entry) return undefined;
        const [, offset, length] = entry;
        return decodeSignalLists(await inflate(await bytes(offset, offset + length)), movieIds);
      })();
      // A failed fetch is tried again on the next call.
      pending.catch(() => chunks.delete(key));
      chunks.set(key, pending);
    }
    return pending;
  };
  const rowById = new Map(movies.map((m, row) => [m.id, row]));
  const recorded = new Set<number>();
  const keywordCounts = new Map<string, number>();
  let offsets: Float64Array | null = null;
  const decoder = new TextDecoder();
  const movieTexts = async (ids: readonly number[]) => {
    const found = await index();
    if (!found || !source.recordBytes) return source.texts();
    const recordBytes = source.recordBytes;
    const at = (offsets ??= recordOffsets(found.records));
    const rows = ids.map((id) => rowById.get(id)).filter((row): row is number => row !== undefined && !recorded.has(row));
    await Promise.all(
      recordRanges(rows, at).map(async (range) => {
        const bytes = await recordBytes(range.start, range.end);
        await Promise.all(
          range.rows.map(async (row) => {
            const from = at[row] - range.start;
            const record = parseMovieRecord(decoder.decode(await inflate(bytes.subarray(from, from + found.records[row]))), movies[row].id);
            const movie = movies[row] as unknown as Record<string, unknown>;
            for (const field of RECORD_FIELDS) movie[field] = record[field];
            record.keywords.forEach((keyword, i) => keywordCounts.set(keyword, record.keyword_df[i]));
            recorded.add(row);
          }),
        );
      }),
    );
  };
  return { signalLists, movieTexts, keywordFrequency: (keyword) => keywordCounts.get(keyword) ?? 1 };
}
