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
    if (contentRange(response, url).start !== start) throw new RankingFilesError(`${url} answered bytes ${response.headers.get("Content-Range")} for ${start}-${end - 1}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== end - start) throw new RankingFilesError(`${url} sent ${bytes.length} bytes for a range of ${end - start}`);
    return bytes;
  }
  if (!response.ok) throw new RankingFilesError(`could not load ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer()).subarray(start, end);
}

/** One byte range [start, end) of a file. */
export interface ByteSpan {
  start: number;
  end: number;
}

/**
 * The parts of a multipart/byteranges body (RFC 9110 §14.6): each part's bytes with the range
 * its Content-Range names. Written here: no browser API parses this media type, and the
 * format is small (a boundary line, a few header lines, a blank line, the bytes).
 */
export function multipartParts(body: Uint8Array, boundary: string): (ByteSpan & { bytes: Uint8Array })[] {
  const marker = new TextEncoder().encode(`--${boundary}`);
  const find = (from: number) => {
    outer: for (let i = from; i <= body.length - marker.length; i++) {
      for (let j = 0; j < marker.length; j++) if (body[i + j] !== marker[j]) continue outer;
      return i;
    }
    return -1;
  };
  const parts: (ByteSpan & { bytes: Uint8Array })[] = [];
  let at = find(0);
  while (at >= 0) {
    at += marker.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) break; // "--": the closing boundary
    let headEnd = at;
    while (headEnd + 3 < body.length && !(body[headEnd] === 13 && body[headEnd + 1] === 10 && body[headEnd + 2] === 13 && body[headEnd + 3] === 10)) headEnd++;
    const head = String.fromCharCode(...body.subarray(at, headEnd));
    const range = /content-range:\s*bytes\s+(\d+)-(\d+)\//i.exec(head);
    if (!range) throw new RankingFilesError("a multipart answer has a part without its Content-Range");
    const start = Number(range[1]);
    const end = Number(range[2]) + 1;
    const dataStart = headEnd + 4;
    if (dataStart + end - start > body.length) throw new RankingFilesError("a multipart answer is cut short");
    parts.push({ start, end, bytes: body.subarray(dataStart, dataStart + end - start) });
    at = find(dataStart + end - start);
  }
  return parts;
}

// Whether this site's server answers several ranges in one multipart response: unknown until
// the first try; a server that sends the whole file instead is cut off at its headers and
// asked one range at a time from then on.
let multipartServer: boolean | undefined;

/**
 * Several byte ranges of a file: in one request when the server answers multipart/byteranges
 * (26 card records were 5 rounds of 6 requests on HTTP/1.1, 250 ms on a phone link), else one
 * request per range. In the order asked.
 */
export async function fetchRanges(url: string, spans: readonly ByteSpan[]): Promise<Uint8Array[]> {
  const oneByOne = () => Promise.all(spans.map((span) => fetchRange(url, span.start, span.end)));
  if (spans.length < 2 || multipartServer === false) return oneByOne();
  const controller = new AbortController();
  const response = await fetch(url, { headers: { Range: `bytes=${spans.map((span) => `${span.start}-${span.end - 1}`).join(",")}` }, cache: "no-store", signal: controller.signal });
  const boundary = /^multipart\/byteranges;\s*boundary="?([^";]+)"?/i.exec(response.headers.get("Content-Type") ?? "")?.[1];
  if (response.status !== 206) {
    controller.abort();
    multipartServer = false;
    return oneByOne();
  }
  const body = new Uint8Array(await response.arrayBuffer());
  // A server may merge ranges into one part, or answer a single range (no multipart).
  const parts = boundary ? multipartParts(body, boundary) : [{ ...contentRange(response, url), bytes: body }];
  multipartServer = true;
  return spans.map((span) => {
    const part = parts.find((p) => p.start <= span.start && span.end <= p.end);
    if (!part) throw new RankingFilesError(`${url} answered without bytes ${span.start}-${span.end - 1}`);
    return part.bytes.subarray(span.start - part.start, span.end - part.start);
  });
}

function contentRange(response: Response, url: string): ByteSpan {
  const range = /^bytes (\d+)-(\d+)\//.exec(response.headers.get("Content-Range") ?? "");
  if (!range) throw new RankingFilesError(`${url} answered a range without its Content-Range`);
  return { start: Number(range[1]), end: Number(range[2]) + 1 };
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
  /** movie-records.json: each record's byte length (null: this build has none). */
  recordIndex?: () => Promise<unknown>;
  signalBytes?: (start: number, end: number) => Promise<Uint8Array>;
  deepSignalBytes?: (start: number, end: number) => Promise<Uint8Array>;
  /** The bytes of several ranges of movie-records.bin, in the order asked (fetchRanges). */
  recordBytes?: (spans: readonly ByteSpan[]) => Promise<Uint8Array[]>;
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

/** Runs `load` once, on the first call; a failed load runs again on the next call. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
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
    if (value.version !== 1 || !Array.isArray(value.series)) throw new RankingFilesError("the ranking index is not one this page reads; rebuild the site (npm run build)");
    return value;
  });
  const recordLengths = once(async (): Promise<number[] | null> => {
    const value = source.recordIndex ? ((await source.recordIndex()) as { version?: number; records?: unknown } | null) : null;
    if (!value) return null;
    if (value.version !== 1 || !Array.isArray(value.records) || value.records.length !== movies.length) {
      throw new RankingFilesError(`the movie records index does not describe these ${movies.length} movies; rebuild the site (npm run build)`);
    }
    return value.records as number[];
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
    const lengths = await recordLengths();
    if (!lengths || !source.recordBytes) return source.texts();
    const recordBytes = source.recordBytes;
    const at = (offsets ??= recordOffsets(lengths));
    const rows = ids.map((id) => rowById.get(id)).filter((row): row is number => row !== undefined && !recorded.has(row));
    const ranges = recordRanges(rows, at);
    const fetched = await recordBytes(ranges);
    await Promise.all(
      ranges.map(async (range, r) => {
        const bytes = fetched[r];
        await Promise.all(
          range.rows.map(async (row) => {
            const from = at[row] - range.start;
            const record = parseMovieRecord(decoder.decode(await inflate(bytes.subarray(from, from + lengths[row]))), movies[row].id);
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
