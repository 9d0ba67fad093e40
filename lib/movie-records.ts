// Per-movie records: a movie's overview and metadata (the columns of movie-texts.arrow) as one
// small deflated JSON each, laid end to end in one file, so that the page fetches the texts
// of the cards it shows by byte ranges instead of every movie's texts. Pure and browser-safe.
import { MOVIE_METADATA_COLUMNS, MOVIE_PROVIDER_COLUMNS, type MovieMetadata } from "./catalog.ts";

/** What a record holds: the movie's text columns, and how many catalogue movies share each keyword. */
export interface MovieRecord extends MovieMetadata {
  id: number;
  overview: string;
  providers: string | null;
  /** keyword_df[i]: the catalogue movies with keywords[i] (a reason names the rarest first). */
  keyword_df: number[];
}

/** The record fields copied onto a movie (everything but id and keyword_df). */
export const RECORD_FIELDS = ["overview", ...MOVIE_METADATA_COLUMNS.map(([name]) => name), ...MOVIE_PROVIDER_COLUMNS.map(([name]) => name)] as const;

export class MovieRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MovieRecordError";
  }
}

/** A decoded record, checked field by field: a file from another build is refused, not half-read. */
export function parseMovieRecord(text: string, expectedId: number): MovieRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MovieRecordError(`the record of movie ${expectedId} is not JSON; rebuild the site`);
  }
  const record = value as MovieRecord;
  if (!record || typeof record !== "object" || record.id !== expectedId) {
    throw new MovieRecordError(`the record at movie ${expectedId}'s place is ${String((record as { id?: unknown } | null)?.id)}; rebuild the site`);
  }
  const strings = (list: unknown) => Array.isArray(list) && list.every((item) => typeof item === "string");
  if (typeof record.overview !== "string" || !["keywords", "companies", "directors", "writers", "cast"].every((field) => strings(record[field as keyof MovieRecord]))) {
    throw new MovieRecordError(`the record of movie ${expectedId} lacks its overview or a metadata list; rebuild the site`);
  }
  if (!Array.isArray(record.keyword_df) || record.keyword_df.length !== record.keywords.length) {
    throw new MovieRecordError(`the record of movie ${expectedId} has no keyword counts; rebuild the site`);
  }
  return record;
}

/** Byte offsets of each record from their lengths, in file order (one more than lengths: the end). */
export function recordOffsets(lengths: readonly number[]): Float64Array {
  const offsets = new Float64Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i] + lengths[i];
  return offsets;
}

/** One request's byte range (end exclusive) and the rows whose records it holds. */
export interface RecordRange {
  start: number;
  end: number;
  rows: number[];
}

/**
 * The byte ranges that fetch the records of `rows`: neighbours closer than `gap` bytes share a
 * request (one round trip costs more than a few KB at phone speeds), the rest go separately.
 */
export function recordRanges(rows: readonly number[], offsets: ArrayLike<number>, gap = 16_384): RecordRange[] {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const ranges: RecordRange[] = [];
  for (const row of sorted) {
    if (row < 0 || row + 1 >= offsets.length) throw new MovieRecordError(`no record for row ${row}: the file has ${offsets.length - 1}`);
    const start = offsets[row];
    const end = offsets[row + 1];
    const last = ranges[ranges.length - 1];
    if (last && start - last.end <= gap) {
      last.end = end;
      last.rows.push(row);
    } else {
      ranges.push({ start, end, rows: [row] });
    }
  }
  return ranges;
}
