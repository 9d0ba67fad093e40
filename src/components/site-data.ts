// Decodes the Arrow IPC files written by loaders/site/arrow.ts into plain records, reading
// the columns lib/site-schema.ts declares. Shared by the pages (browser) and the Node tests
// that check the round trip.
import { tableFromIPC, type Table } from "apache-arrow";
import {
  PICK_COLUMNS,
  SITE_MOVIE_COLUMNS,
  SITE_MOVIE_METADATA_COLUMNS,
  SITE_SERIES_COLUMNS,
  SITE_SERIES_METADATA_COLUMNS,
  SITE_VECTOR_COLUMNS,
  SITE_VECTOR_METADATA,
} from "./lib.bundle.js";
import type { Int8VectorSet, Movie, MovieMetadata, PickRow, Series, SeriesMetadata } from "./lib.bundle.js";

/**
 * A catalogue movie as the browser gets it: no backdrop (the cards don't show one), plus its
 * year, and its metadata always present (empty lists and a null collection when it has none).
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

function isoDay(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Number(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : null;
}

function column(table: Table, name: string) {
  const found = table.getChild(name);
  if (!found) throw new SiteDataLoadError(`the data file has no "${name}" column`);
  return found;
}

function columnValues(table: Table, name: string): unknown[] {
  // Iteration (not toArray) so null slots read as null and dates as epoch milliseconds.
  return Array.from(column(table, name) as Iterable<unknown>);
}

function stringLists(table: Table, name: string): string[][] {
  const lists = column(table, name);
  const out: string[][] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const list = lists.get(i);
    out[i] = list ? (Array.from(list) as string[]) : [];
  }
  return out;
}

type Columns = readonly (readonly [name: string, sqlType: string])[];

/** The values of every listed column, refusing a file that lacks one. */
function readColumns(table: Table, columns: Columns): Record<string, unknown[]> {
  return Object.fromEntries(columns.map(([name, sqlType]) => [name, sqlType === "VARCHAR[]" ? stringLists(table, name) : columnValues(table, name)]));
}

/**
 * The values of metadata columns: a ranking hint, so a file without one (built before it
 * existed) reads as empty lists, or nulls for a text column, instead of being refused.
 */
function readOptionalColumns(table: Table, columns: Columns): Record<string, unknown[]> {
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
      overview: String(cols.overview[i] ?? ""),
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

export function decodeMovies(bytes: Uint8Array | Table): SiteMovie[] {
  const table = bytes instanceof Uint8Array ? tableFromIPC(bytes) : bytes;
  return titleRecords(table, SITE_MOVIE_COLUMNS, SITE_MOVIE_METADATA_COLUMNS, "title", "release_date") as unknown as SiteMovie[];
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

export interface SiteDataUrls {
  movies: string;
  series: string;
  vectors: string;
  picks: string;
}

export interface LoadedSiteData {
  movies: SiteMovie[];
  movieById: Map<number, SiteMovie>;
  series: SiteSeries[];
  seriesById: Map<number, SiteSeries>;
  vectors: SiteVectors | null;
  picks: Map<number, SitePick[]>;
}

/** Fetches and decodes the Recommend page's data; `moviesIpc` resolves first, for DuckDB. */
export function loadSiteData(urls: SiteDataUrls): { moviesIpc: Promise<Uint8Array>; data: Promise<LoadedSiteData> } {
  const moviesIpc = fetchBytes(urls.movies);
  const data = (async () => {
    const [movieBytes, seriesBytes, vectorBytes, pickBytes] = await Promise.all([
      moviesIpc,
      fetchBytes(urls.series),
      fetchBytes(urls.vectors),
      fetchBytes(urls.picks),
    ]);
    const movies = decodeMovies(movieBytes);
    const series = decodeSeries(seriesBytes);
    return {
      movies,
      movieById: new Map(movies.map((m) => [m.id, m])),
      series,
      seriesById: new Map(series.map((s) => [s.id, s])),
      vectors: decodeVectors(vectorBytes),
      picks: decodePicks(pickBytes),
    };
  })();
  return { moviesIpc, data };
}
