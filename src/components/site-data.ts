// Decodes the Arrow IPC files written by loaders/site/arrow.ts into plain records, reading
// the columns lib/site-schema.ts declares. Shared by the pages (browser) and the Node tests
// that check the round trip.
import { DataType, DateUnit, makeVector, tableFromIPC, type Table } from "apache-arrow";
import {
  keywordFrequencyOf,
  PICK_CARD_COLUMNS,
  PICK_COLUMNS,
  SITE_MOVIE_COLUMNS,
  SITE_MOVIE_METADATA_COLUMNS,
  SITE_MOVIE_PROVIDER_COLUMNS,
  SITE_MOVIE_TEXT_COLUMNS,
  SITE_SERIES_COLUMNS,
  SITE_SERIES_METADATA_COLUMNS,
  SITE_VECTOR_COLUMNS,
  SITE_VECTOR_METADATA,
} from "./lib.bundle.js";
import { cachedRange, cachedRanges, pruneRanges } from "./range-cache.js";
import { fetchJsonOnce, fetchRange, fetchRanges, once, readRankingFiles, type ByteSpan, type ListTier, type RankingIndex } from "./ranking-files.js";

import type { Int8VectorSet, Movie, MovieMetadata, PickRow, Series, SeriesMetadata, SeriesSignalLists } from "./lib.bundle.js";

/**
 * A catalogue movie as the browser gets it: no backdrop (the cards don't show one), plus its
 * year, and its metadata always present (empty lists and a null collection when it has none).
 * Decoded from movies.arrow alone, the overview is "" and the metadata empty until
 * applyMovieTexts() fills them in from movie-texts.arrow.
 */
export interface SiteMovie extends Omit<Movie, "backdrop_path" | keyof MovieMetadata>, MovieMetadata {
  year: number | null;
}

export interface SiteSeries extends Omit<Series, "backdrop_path" | keyof SeriesMetadata>, SeriesMetadata {
  year: number | null;
}

export type SitePick = PickRow;

export interface SiteVectors {
  embedderId: string;
  dims: number;
  movies: Int8VectorSet;
  series: Int8VectorSet;
}

export class SiteDataLoadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SiteDataLoadError";
  }
}

export async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new SiteDataLoadError(`could not load ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// Many titles share a release day; formatting each day once saves most of the Date work.
const isoDays = new Map<number, string>();

function isoDay(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Number(value);
  if (!Number.isFinite(ms)) return null;
  let day = isoDays.get(ms);
  if (day === undefined) isoDays.set(ms, (day = new Date(ms).toISOString().slice(0, 10)));
  return day;
}

function column(table: Table, name: string) {
  const found = table.getChild(name);
  if (!found) throw new SiteDataLoadError(`the data file has no "${name}" column`);
  return found;
}

const MS_PER_DAY = 86_400_000;

/**
 * A Utf8 or Date32 column read from its buffers, chunk by chunk: the same values (null slots
 * as null, days as epoch milliseconds) as reading value by value, several times faster on the
 * page's first view (movies.arrow's titles, languages and release days).
 */
function bufferValues(values: ReturnType<typeof column>, kind: "utf8" | "day"): unknown[] {
  const out: unknown[] = new Array(values.length);
  const decoder = new TextDecoder();
  let row = 0;
  for (const chunk of values.data) {
    const nulls = chunk.nullCount > 0;
    if (kind === "utf8") {
      const offsets = chunk.valueOffsets;
      const bytes = chunk.values as Uint8Array;
      // One decode for the chunk's whole text, then each value sliced out of it: a decode call
      // per value costs a few µs in Chrome, and a catalogue has tens of thousands of them. A
      // value's place in the decoded text counts UTF-16 units: one per UTF-8 lead byte, two
      // for a four-byte sequence (outside the BMP).
      const first = offsets[chunk.offset];
      const text = decoder.decode(bytes.subarray(first, offsets[chunk.offset + chunk.length]));
      let unit = 0;
      for (let i = 0; i < chunk.length; i++, row++) {
        const start = unit;
        for (let p = offsets[chunk.offset + i], end = offsets[chunk.offset + i + 1]; p < end; p++) {
          const b = bytes[p];
          if ((b & 0xc0) !== 0x80) unit += b >= 0xf0 ? 2 : 1;
        }
        out[row] = nulls && !chunk.getValid(i) ? null : text.slice(start, unit);
      }
    } else {
      const days = chunk.values as Int32Array;
      for (let i = 0; i < chunk.length; i++, row++) out[row] = nulls && !chunk.getValid(i) ? null : days[chunk.offset + i] * MS_PER_DAY;
    }
  }
  return out;
}

function columnValues(table: Table, name: string): ArrayLike<unknown> {
  const values = column(table, name);
  // A number column without nulls is one typed array already: no value-by-value reads. The
  // others are read value by value, so null slots read as null and dates as epoch milliseconds.
  if (values.nullCount === 0 && (DataType.isInt(values.type) || DataType.isFloat(values.type))) return values.toArray() as ArrayLike<unknown>;
  if (DataType.isUtf8(values.type)) return bufferValues(values, "utf8");
  if (DataType.isDate(values.type) && values.type.unit === DateUnit.DAY) return bufferValues(values, "day");
  const out: unknown[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values.get(i);
  return out;
}

/**
 * List<Utf8> rows as string arrays. The strings are read once from the list's child and
 * shared between rows (genres and names repeat), instead of one small vector per row.
 */
function stringLists(table: Table, name: string): string[][] {
  const lists = column(table, name);
  const out: string[][] = new Array(table.numRows);
  const interned = new Map<string, string>();
  let row = 0;
  for (const chunk of lists.data) {
    const offsets = chunk.valueOffsets;
    const child = makeVector(chunk.children[0]);
    const decoded = DataType.isUtf8(child.type) ? bufferValues(child, "utf8") : Array.from({ length: child.length }, (_, j) => child.get(j));
    const strings: string[] = new Array(child.length);
    for (let j = 0; j < child.length; j++) {
      const value = String(decoded[j] ?? "");
      let shared = interned.get(value);
      if (shared === undefined) interned.set(value, (shared = value));
      strings[j] = shared;
    }
    for (let i = 0; i < chunk.length; i++, row++) {
      out[row] = chunk.getValid(i) ? strings.slice(offsets[chunk.offset + i], offsets[chunk.offset + i + 1]) : [];
    }
  }
  return out;
}

type Columns = readonly (readonly [name: string, sqlType: string])[];

/** The values of every listed column, refusing a file that lacks one. */
function readColumns(table: Table, columns: Columns): Record<string, ArrayLike<unknown>> {
  return Object.fromEntries(columns.map(([name, sqlType]) => [name, sqlType === "VARCHAR[]" ? stringLists(table, name) : columnValues(table, name)]));
}

/**
 * The values of metadata columns: a ranking hint, so a file without one (built before it
 * existed) reads as empty lists, or nulls for a text column, instead of being refused.
 */
function readOptionalColumns(table: Table, columns: Columns): Record<string, ArrayLike<unknown>> {
  return Object.fromEntries(
    columns.map(([name, sqlType]) => {
      if (table.getChild(name)) return [name, sqlType === "VARCHAR[]" ? stringLists(table, name) : columnValues(table, name)];
      return [name, Array.from({ length: table.numRows }, () => (sqlType === "VARCHAR[]" ? [] : null))];
    }),
  );
}

/** The cards show no backdrop, so the browser leaves that column unread. */
const UNREAD_TITLE_COLUMNS = new Set(["backdrop_path"]);

function titleRecords(table: Table, columns: Columns, metadataColumns: Columns, name: "title" | "name", date: "release_date" | "first_air_date") {
  const optional = new Set(metadataColumns.map(([columnName]) => columnName));
  const cols = readColumns(table, columns.filter(([columnName]) => !UNREAD_TITLE_COLUMNS.has(columnName) && !optional.has(columnName)));
  const metadata = readOptionalColumns(table, metadataColumns);
  const rows = [];
  for (let i = 0; i < table.numRows; i++) {
    const day = isoDay(cols[date][i]);
    const record: Record<string, unknown> = {
      id: Number(cols.id[i]),
      [name]: String(cols[name][i] ?? ""),
      overview: String(cols.overview?.[i] ?? ""),
      [date]: day,
      year: day ? Number(day.slice(0, 4)) : null,
      popularity: Number(cols.popularity[i]),
      vote_average: Number(cols.vote_average[i]),
      vote_count: Number(cols.vote_count[i]),
      genre_names: cols.genre_names[i] as string[],
      language: String(cols.language[i] ?? ""),
      adult: Boolean(cols.adult[i]),
      age_appropriate: Boolean(cols.age_appropriate[i]),
      poster_path: (cols.poster_path[i] as string | null) ?? null,
    };
    for (const [column] of metadataColumns) record[column] = metadata[column][i] ?? null;
    rows.push(record);
  }
  return rows;
}

/**
 * movies.arrow's records; their overviews and metadata stay empty (see applyMovieTexts).
 * Written out field by field, not through titleRecords(): one object shape for every movie,
 * and no empty list per movie and metadata field, halve the page's largest decoding step.
 */
export function decodeMovies(bytes: Uint8Array | Table): SiteMovie[] {
  const table = bytes instanceof Uint8Array ? tableFromIPC(bytes) : bytes;
  const cols = readColumns(table, SITE_MOVIE_COLUMNS.filter(([name]) => !UNREAD_TITLE_COLUMNS.has(name)));
  const ids = cols.id;
  const titles = cols.title;
  const dates = cols.release_date;
  const popularity = cols.popularity;
  const votes = cols.vote_average;
  const counts = cols.vote_count;
  const genres = cols.genre_names as string[][];
  const languages = cols.language;
  const adult = cols.adult;
  const ageAppropriate = cols.age_appropriate;
  const posters = cols.poster_path;
  const rows: SiteMovie[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const day = isoDay(dates[i]);
    rows[i] = {
      id: Number(ids[i]),
      title: String(titles[i] ?? ""),
      overview: "",
      release_date: day,
      year: day ? Number(day.slice(0, 4)) : null,
      popularity: Number(popularity[i]),
      vote_average: Number(votes[i]),
      vote_count: Number(counts[i]),
      genre_names: genres[i],
      language: String(languages[i] ?? ""),
      adult: Boolean(adult[i]),
      age_appropriate: Boolean(ageAppropriate[i]),
      poster_path: (posters[i] as string | null) ?? null,
      // Until the texts or the movie's record fill them in (each replaces the list, never adds to it).
      keywords: NO_NAMES,
      collection: null,
      companies: NO_NAMES,
      directors: NO_NAMES,
      writers: NO_NAMES,
      cast: NO_NAMES,
    } as SiteMovie;
  }
  return rows;
}

/** The one empty list every movie's metadata starts as; frozen, so nothing can add to it by mistake. */
const NO_NAMES: string[] = Object.freeze([]) as unknown as string[];

/**
 * Fills in the overviews and metadata of `movies` (decoded from movies.arrow) from
 * movie-texts.arrow, in place: the controls, the cards and the ranking share these records,
 * so each movie stays one object. Refuses a file whose rows are not the same movies.
 */
export function applyMovieTexts(movies: SiteMovie[], bytes: Uint8Array | Table): void {
  const table = bytes instanceof Uint8Array ? tableFromIPC(bytes) : bytes;
  const optionalColumns = [...SITE_MOVIE_METADATA_COLUMNS, ...SITE_MOVIE_PROVIDER_COLUMNS];
  const metadataNames = new Set<string>(optionalColumns.map(([name]) => name));
  const cols = readColumns(table, SITE_MOVIE_TEXT_COLUMNS.filter(([name]) => !metadataNames.has(name)));
  const metadata = readOptionalColumns(table, optionalColumns);
  if (table.numRows !== movies.length) {
    throw new SiteDataLoadError(`the movie texts file has ${table.numRows} rows for ${movies.length} movies; rebuild the site (npm run build)`);
  }
  for (let i = 0; i < movies.length; i++) {
    const movie = movies[i] as unknown as Record<string, unknown>;
    if (Number(cols.id[i]) !== movie.id) {
      throw new SiteDataLoadError(`the movie texts file's row ${i} is movie ${Number(cols.id[i])}, not ${String(movie.id)}; rebuild the site (npm run build)`);
    }
    movie.overview = String(cols.overview[i] ?? "");
    for (const [name] of optionalColumns) movie[name] = metadata[name][i] ?? null;
  }
}

export function decodeSeries(bytes: Uint8Array | Table): SiteSeries[] {
  const table = bytes instanceof Uint8Array ? tableFromIPC(bytes) : bytes;
  return titleRecords(table, SITE_SERIES_COLUMNS, SITE_SERIES_METADATA_COLUMNS, "name", "first_air_date") as unknown as SiteSeries[];
}

/** Splits the vectors file into the movie and series sets, sharing the file's memory. */
export function decodeVectors(bytes: Uint8Array | Table): SiteVectors | null {
  const table = bytes instanceof Uint8Array ? tableFromIPC(bytes) : bytes;
  if (table.numRows === 0) return null;
  const embedderId = table.schema.metadata.get(SITE_VECTOR_METADATA.embedderId);
  const dims = Number(table.schema.metadata.get(SITE_VECTOR_METADATA.dims));
  if (!embedderId || !Number.isInteger(dims) || dims <= 0) {
    throw new SiteDataLoadError(`the vectors file lacks its ${SITE_VECTOR_METADATA.embedderId} or ${SITE_VECTOR_METADATA.dims} metadata`);
  }
  // The int8 vectors are read from the column's memory below, not value by value.
  const cols = readColumns(table, SITE_VECTOR_COLUMNS.filter(([name]) => name !== "vector"));
  const kinds = cols.kind as string[];
  const ids = cols.id as number[];
  const scales = cols.scale as number[];
  const vector = column(table, "vector");
  // Batches are contiguous in the file but not in memory; gather them once.
  const data = new Int8Array(table.numRows * dims);
  let row = 0;
  for (const chunk of vector.data) {
    const values = chunk.children[0].values as Int8Array;
    data.set(values.subarray(chunk.offset * dims, (chunk.offset + chunk.length) * dims), row * dims);
    row += chunk.length;
  }
  const split = (kind: string): Int8VectorSet => {
    const rows: number[] = [];
    for (let i = 0; i < kinds.length; i++) if (kinds[i] === kind) rows.push(i);
    const first = rows[0] ?? 0;
    // The loader writes each kind as one contiguous block; subarrays avoid a copy.
    const contiguous = rows.every((r, i) => r === first + i);
    const pickData = contiguous
      ? data.subarray(first * dims, (first + rows.length) * dims)
      : Int8Array.from(rows.flatMap((r) => Array.from(data.subarray(r * dims, (r + 1) * dims))));
    return {
      embedderId,
      dims,
      ids: rows.map((r) => ids[r]),
      data: pickData,
      scales: Float32Array.from(rows, (r) => scales[r]),
    };
  };
  return { embedderId, dims, movies: split("movie"), series: split("series") };
}

/** Picks grouped by series, each list in rank order. */
export function decodePicks(bytes: Uint8Array | Table): Map<number, SitePick[]> {
  const table = bytes instanceof Uint8Array ? tableFromIPC(bytes) : bytes;
  const bySeries = new Map<number, SitePick[]>();
  if (table.numRows === 0) return bySeries;
  const cols = readColumns(table, PICK_COLUMNS);
  for (let i = 0; i < table.numRows; i++) {
    const pick: SitePick = {
      series_id: Number(cols.series_id[i]),
      rank: Number(cols.rank[i]),
      movie_id: Number(cols.movie_id[i]),
      reason: String(cols.reason[i] ?? ""),
      similarity: cols.similarity[i] === null ? null : Number(cols.similarity[i]),
      source: cols.source[i] === "llm" ? "llm" : "fallback",
      model: (cols.model[i] as string | null) ?? null,
      generated_at: (cols.generated_at[i] as string | null) ?? null,
    };
    const list = bySeries.get(pick.series_id) ?? [];
    list.push(pick);
    bySeries.set(pick.series_id, list);
  }
  for (const list of bySeries.values()) list.sort((a, b) => a.rank - b.rank);
  return bySeries;
}

/** What one series' picks show before the catalogue arrives: the series' heading and each pick's card. */
export interface PickCards {
  series: Map<number, Pick<SiteSeries, "id" | "name" | "genre_names">>;
  movies: Map<number, SiteMovie>;
}

/**
 * The cards picks.arrow carries (PICK_CARD_COLUMNS), or null for a file without them. The
 * movies have what a card shows; their overview and metadata are empty, as in movies.arrow.
 */
export function decodePickCards(bytes: Uint8Array | Table): PickCards | null {
  const table = bytes instanceof Uint8Array ? tableFromIPC(bytes) : bytes;
  if (table.numRows === 0 || PICK_CARD_COLUMNS.some(([name]) => !table.getChild(name))) return null;
  const ids = readColumns(table, PICK_COLUMNS.filter(([name]) => name === "series_id" || name === "movie_id"));
  const cols = readColumns(table, PICK_CARD_COLUMNS);
  const series: PickCards["series"] = new Map();
  const movies: PickCards["movies"] = new Map();
  for (let i = 0; i < table.numRows; i++) {
    const seriesId = Number(ids.series_id[i]);
    if (!series.has(seriesId)) series.set(seriesId, { id: seriesId, name: String(cols.series_name[i] ?? ""), genre_names: cols.series_genres[i] as string[] });
    const id = Number(ids.movie_id[i]);
    if (movies.has(id)) continue;
    const day = isoDay(cols.release_date[i]);
    const movie: Record<string, unknown> = {
      id,
      title: String(cols.title[i] ?? ""),
      overview: "",
      release_date: day,
      year: day ? Number(day.slice(0, 4)) : null,
      popularity: Number(cols.popularity[i]),
      vote_average: Number(cols.vote_average[i]),
      vote_count: Number(cols.vote_count[i]),
      genre_names: cols.genre_names[i] as string[],
      language: String(cols.language[i] ?? ""),
      adult: false,
      age_appropriate: true,
      poster_path: (cols.poster_path[i] as string | null) ?? null,
    };
    for (const [name, sqlType] of SITE_MOVIE_METADATA_COLUMNS) movie[name] = sqlType === "VARCHAR[]" ? [] : null;
    movies.set(id, movie as unknown as SiteMovie);
  }
  return { series, movies };
}

export interface SiteDataUrls {
  movies: string;
  movieTexts: string;
  series: string;
  vectors: string;
  picks: string;
  /** ranking-index.json, series-signals.bin and movie-records.bin (loaders/site/ranking-files.ts); absent in older builds. */
  rankingIndex?: string;
  signals?: string;
  deepSignals?: string;
  records?: string;
  recordIndex?: string;
  /** series-picks.bin, so its stored ranges are kept (range-cache.ts pruneRanges). */
  seriesPicks?: string;
}

/** What live ranking needs beyond the first view: the story vectors (the texts are in the movies by then). */
export interface SiteRankingData {
  vectors: SiteVectors | null;
}

export interface LoadedSiteData {
  movies: SiteMovie[];
  movieById: Map<number, SiteMovie>;
  series: SiteSeries[];
  seriesById: Map<number, SiteSeries>;
  picks: Map<number, SitePick[]>;
  /** Fetches movie-texts.arrow on the first call and fills in the movies' overviews and metadata. */
  texts(): Promise<void>;
  /** Fetches the texts and the vectors on the first call (live ranking needs both). */
  ranking(): Promise<SiteRankingData>;
  /**
   * A series' signal lists (lib/signal-lists.ts), fetched once by a byte range; undefined for
   * a series without a vector; null when this build ships no lists (rank from the full data).
   */
  signalLists(seriesId: number, tier?: ListTier): Promise<SeriesSignalLists | undefined | null>;
  /** Fills in the overviews and metadata of these movies (the cards'), from their records, unless texts() did. */
  movieTexts(ids: readonly number[]): Promise<void>;
  /** How many catalogue movies have a keyword, for the reasons: from the records, or from every text once texts() is done. */
  keywordFrequency(keyword: string): number;
  /** Fetches picks.arrow when loadSiteData was told to leave it for later (a link that ranks live); at once otherwise. */
  loadPicks(): Promise<void>;
}


export interface SiteDataParts {
  movies: Uint8Array;
  series: Uint8Array;
  /** picks.arrow's bytes, or a call that fetches them later (loadPicks()). */
  picks: Uint8Array | (() => Promise<Uint8Array>);
  /** One series' picks (its series-picks.bin chunk) while picks.arrow waits for loadPicks(). */
  earlyPicks?: Uint8Array;
  /** ranking-index.json, when the build has one (null: it has none). */
  rankingIndex?: () => Promise<unknown>;
  /** movie-records.json, when the build has one (null: it has none). */
  recordIndex?: () => Promise<unknown>;
  /** A byte range of series-signals.bin / movie-records.bin. */
  signalBytes?: (start: number, end: number) => Promise<Uint8Array>;
  deepSignalBytes?: (start: number, end: number) => Promise<Uint8Array>;
  recordBytes?: (spans: readonly ByteSpan[]) => Promise<Uint8Array[]>;
  /** movie-texts.arrow's bytes, asked for when first needed. */
  movieTexts: () => Promise<Uint8Array>;
  /** vectors.arrow's bytes, asked for when first needed. */
  vectors: () => Promise<Uint8Array>;
}

/** The page's data from the first-view files, with the heavier ones behind texts() and ranking(). */
export function assembleSiteData(parts: SiteDataParts): LoadedSiteData {
  const movies = decodeMovies(parts.movies);
  const series = decodeSeries(parts.series);
  const movieById = new Map(movies.map((m) => [m.id, m]));
  let textsDone = false;
  const texts = once(async () => {
    applyMovieTexts(movies, await parts.movieTexts());
    textsDone = true;
  });
  const vectors = once(async () => decodeVectors(await parts.vectors()));
  const picks = new Map<number, SitePick[]>();
  let allPicks = typeof parts.picks !== "function";
  const loadPicks = once(async () => {
    if (allPicks || typeof parts.picks !== "function") return;
    for (const [id, list] of decodePicks(await parts.picks())) picks.set(id, list);
    allPicks = true;
  });
  if (typeof parts.picks !== "function") for (const [id, list] of decodePicks(parts.picks)) picks.set(id, list);
  if (parts.earlyPicks) for (const [id, list] of decodePicks(parts.earlyPicks)) picks.set(id, list);

  // The ranking files (ranking-files.ts): their index once, each series' lists once, each movie's record once.
  const rankingFiles = readRankingFiles({ movies, index: parts.rankingIndex, recordIndex: parts.recordIndex, signalBytes: parts.signalBytes, deepSignalBytes: parts.deepSignalBytes, recordBytes: parts.recordBytes, texts: () => (textsDone ? undefined : texts()) });
  let fullFrequency: ((keyword: string) => number) | null = null;
  return {
    movies,
    movieById,
    series,
    seriesById: new Map(series.map((s) => [s.id, s])),
    picks,
    texts,
    ranking: once(async () => {
      const [, decoded] = await Promise.all([texts(), vectors()]);
      return { vectors: decoded };
    }),
    signalLists: rankingFiles.signalLists,
    movieTexts: (ids) => (textsDone ? Promise.resolve() : rankingFiles.movieTexts(ids)),
    keywordFrequency: (keyword) => {
      if (textsDone) return (fullFrequency ??= keywordFrequencyOf(movies))(keyword);
      return rankingFiles.keywordFrequency(keyword);
    },
    loadPicks,
  };
}

/** A fetch started now (when `early`) and handed over on the first call; any later call fetches anew. */
function fetcher(url: string, early: boolean): () => Promise<Uint8Array> {
  let started = early ? fetchBytes(url) : null;
  // Nobody may await an early fetch that fails (the page changed its mind); the call below reports it.
  started?.catch(() => undefined);
  return () => {
    const bytes = started ?? fetchBytes(url);
    started = null;
    return bytes;
  };
}

export interface LoadOptions {
  /** Fetch the texts and vectors at once too (a link that will rank from the full data needs them anyway). */
  prefetchRanking?: boolean;
  /** Fetch these series' signal lists at once (a link that ranks live), and leave picks.arrow for loadPicks(). */
  prefetchSeries?: readonly number[];
  /** picks.arrow's bytes when the page already fetches them (early-picks.ts), instead of urls.picks. */
  picks?: Promise<Uint8Array> | Uint8Array;
  /** `picks` holds one series' picks only (series-picks.bin): picks.arrow then loads with loadPicks(). */
  picksPartial?: boolean;
}

/**
 * Fetches the Recommend page's first-view files (movies, series, picks: what filters, cards
 * and precomputed picks need) and decodes them; the movie texts and the vectors are fetched
 * when texts() or ranking() is first called, or at once with `prefetchRanking`; the ranking
 * index and the chosen series' lists at once with `prefetchSeries`.
 */
export async function loadSiteData(urls: SiteDataUrls, options: LoadOptions = {}): Promise<LoadedSiteData> {
  const early = options.prefetchRanking ?? false;
  const movieTexts = fetcher(urls.movieTexts, early);
  const vectors = fetcher(urls.vectors, early);
  const rankingIndex = urls.rankingIndex;
  const indexFetch = rankingIndex ? () => fetchJsonOnce(rankingIndex) : undefined;
  const signals = urls.signals;
  const records = urls.records;
  const livePicksLater = (options.prefetchSeries !== undefined && options.picks === undefined) || options.picksPartial === true;
  // The chosen series' lists are asked for as soon as the index says where they are, in
  // parallel with the movies; the data hands the started fetches over when it asks.
  const started = new Map<string, Promise<Uint8Array>>();
  const signalBytes = signals
    ? (start: number, end: number) => {
        const key = `${start}-${end}`;
        const early = started.get(key);
        started.delete(key);
        return early ?? cachedRange(signals, start, end, fetchRange);
      }
    : undefined;
  const recordIndex = urls.recordIndex;
  const recordIndexFetch = recordIndex ? () => fetchJsonOnce(recordIndex) : undefined;
  // A live link ranks at once: the records' index comes with the lists, not after them.
  if (options.prefetchSeries?.length) void recordIndexFetch?.().catch(() => undefined);
  if (options.prefetchSeries?.length && indexFetch && signals) {
    const wanted = new Set(options.prefetchSeries);
    void indexFetch()
      .then((index) => {
        for (const [id, offset, length] of (index as RankingIndex | null)?.series ?? []) {
          if (!wanted.has(id)) continue;
          const bytes = cachedRange(signals, offset, offset + length, fetchRange);
          bytes.catch(() => undefined);
          started.set(`${offset}-${offset + length}`, bytes);
        }
      })
      .catch(() => undefined);
  }
  const [movies, series, picks] = await Promise.all([
    fetchBytes(urls.movies),
    fetchBytes(urls.series),
    livePicksLater ? Promise.resolve(() => fetchBytes(urls.picks)) : (options.picks ?? fetchBytes(urls.picks)),
  ]);
  const earlyPicks = options.picksPartial ? await options.picks : undefined;
  const data = assembleSiteData({
    movies,
    series,
    picks,
    earlyPicks,
    movieTexts,
    vectors,
    rankingIndex: indexFetch,
    recordIndex: recordIndexFetch,
    signalBytes,
    deepSignalBytes: urls.deepSignals ? (start, end) => cachedRange(urls.deepSignals!, start, end, fetchRange) : undefined,
    recordBytes: records ? (spans) => cachedRanges(records, spans, fetchRanges) : undefined,
  });
  for (const id of options.prefetchSeries ?? []) void data.signalLists(id).catch(() => undefined);
  const current = [signals, urls.deepSignals, records, urls.seriesPicks].filter((url): url is string => url !== undefined);
  if (current.length) setTimeout(() => void pruneRanges(current).catch(() => undefined), 5000);
  return data;
}
