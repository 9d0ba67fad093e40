// Serialises the catalogue, its vectors and the precomputed picks for the browser.
// The browser reads Arrow IPC streams: apache-arrow decodes them in a few milliseconds,
// with no Parquet reader in the bundle. The canonical catalogue stays Parquet.
import {
  Bool,
  DateDay,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  Int8,
  List,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
  type DataType,
  type Vector,
} from "apache-arrow";
import { pack } from "tar-stream";
import type { Catalog, CatalogMeta, Movie, Series } from "../../lib/catalog.ts";
import { PICK_CARD_COLUMNS, PICK_COLUMNS, SITE_MOVIE_COLUMNS, SITE_MOVIE_TEXT_COLUMNS, SITE_SERIES_COLUMNS, SITE_VECTOR_COLUMNS, SITE_VECTOR_METADATA } from "../../lib/site-schema.ts";
import type { Int8VectorSet } from "../../lib/vectors.ts";
import type { PickRow } from "../picks/store.ts";

export type { PickRow };

export class SiteDataError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SiteDataError";
  }
}

/** What the About page and the Recommend page need to know about the data they show. */
export interface SiteMeta {
  catalog: CatalogMeta;
  embedder: { id: string; dims: number } | null;
  vectors: { movies: number; series: number };
  picks: {
    series: number;
    /** Series whose picks the LLM chose (the About page's coverage). */
    llm_series?: number;
    rows: number;
    sources: Record<string, number>;
    models: string[];
    generated_at: string | null;
  };
  built_at: string;
}

/** The Arrow type of a schema column type (lib/site-schema.ts lists the correspondence). */
function arrowType(sqlType: string): DataType {
  switch (sqlType) {
    case "INTEGER":
      return new Int32();
    case "DOUBLE":
      return new Float64();
    case "FLOAT":
      return new Float32();
    case "BOOLEAN":
      return new Bool();
    case "VARCHAR":
      return new Utf8();
    case "DATE":
      return new DateDay();
    case "VARCHAR[]":
      return new List(new Field("item", new Utf8(), true));
    default:
      throw new SiteDataError(`no Arrow type for the column type ${sqlType}`);
  }
}

function dayValue(date: unknown): Date | null {
  return typeof date === "string" && date ? new Date(`${date}T00:00:00Z`) : null;
}

/**
 * Column values as Arrow takes them: dates as Dates, a list a row lacks (hand-built metadata)
 * as an empty list, any other value it lacks as null (Arrow would write "" for a missing string).
 */
function cellValues(sqlType: string, values: unknown[]): unknown[] {
  if (sqlType === "DATE") return values.map(dayValue);
  if (sqlType === "VARCHAR[]") return values.map((value) => value ?? []);
  return values.map((value) => value ?? null);
}

/** An Arrow table of the rows with exactly the schema's columns, in its order. */
function rowsTable(columns: readonly (readonly [string, string])[], rows: readonly object[]): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, sqlType] of columns) {
    const values = rows.map((row) => (row as Record<string, unknown>)[name]);
    vectors[name] = vectorFromArray(cellValues(sqlType, values), arrowType(sqlType));
  }
  return new Table(vectors);
}

/** Movies as an Arrow IPC stream with the columns filters and cards read (DATE as Date32, genres as List<Utf8>). */
export function moviesToArrow(movies: readonly Movie[]): Uint8Array {
  return tableToIPC(rowsTable(SITE_MOVIE_COLUMNS, movies), "stream");
}

/** The movies' overviews and metadata lists, in the same row order as moviesToArrow's. */
export function movieTextsToArrow(movies: readonly Movie[]): Uint8Array {
  return tableToIPC(rowsTable(SITE_MOVIE_TEXT_COLUMNS, movies), "stream");
}

/** Series as an Arrow IPC stream (`name`, `first_air_date`, otherwise as movies). */
export function seriesToArrow(series: readonly Series[]): Uint8Array {
  return tableToIPC(rowsTable(SITE_SERIES_COLUMNS, series), "stream");
}

function vectorColumn(set: Int8VectorSet): Vector {
  const child = makeData({ type: new Int8(), length: set.data.length, data: set.data });
  const type = new FixedSizeList(set.dims, new Field("value", new Int8(), false));
  return makeVector(makeData({ type, length: set.ids.length, nullCount: 0, child }));
}

/**
 * Movie and series vectors in one Arrow IPC stream: `kind` ("movie" | "series"), `id`,
 * `scale` and `vector` (FixedSizeList<Int8>); value ≈ vector[i] * scale. The embedder id
 * and dimensions travel in the schema metadata.
 */
export function vectorsToArrow(sets: { movies: Int8VectorSet; series: Int8VectorSet }): Uint8Array {
  const { movies, series } = sets;
  if (movies.embedderId !== series.embedderId) {
    throw new SiteDataError(`movie vectors (${movies.embedderId}) and series vectors (${series.embedderId}) come from different embedders`);
  }
  if (movies.dims !== series.dims) throw new SiteDataError(`movie vectors have ${movies.dims} dims, series vectors ${series.dims}`);
  const data = new Int8Array(movies.data.length + series.data.length);
  data.set(movies.data, 0);
  data.set(series.data, movies.data.length);
  const scales = new Float32Array(movies.scales.length + series.scales.length);
  scales.set(movies.scales, 0);
  scales.set(series.scales, movies.scales.length);
  const ids = [...movies.ids, ...series.ids];
  const all: Int8VectorSet = { embedderId: movies.embedderId, dims: movies.dims, ids, data, scales };
  const columns: Record<(typeof SITE_VECTOR_COLUMNS)[number][0], Vector> = {
    kind: vectorFromArray([...movies.ids.map(() => "movie"), ...series.ids.map(() => "series")], new Utf8()),
    id: vectorFromArray(ids, new Int32()),
    scale: makeVector(scales),
    vector: vectorColumn(all),
  };
  const table = new Table(Object.fromEntries(SITE_VECTOR_COLUMNS.map(([name]) => [name, columns[name]])));
  table.schema.metadata.set(SITE_VECTOR_METADATA.embedderId, movies.embedderId);
  table.schema.metadata.set(SITE_VECTOR_METADATA.dims, String(movies.dims));
  return tableToIPC(table, "stream");
}

/** Keeps the first `limit` rows of a vector set (the catalogue is ordered most popular first). */
export function limitVectors(set: Int8VectorSet, limit: number): Int8VectorSet {
  if (set.ids.length <= limit) return set;
  return {
    ...set,
    ids: set.ids.slice(0, limit),
    data: set.data.slice(0, limit * set.dims),
    scales: set.scales.slice(0, limit),
  };
}

/**
 * Precomputed picks as an Arrow IPC stream, rows ordered by series then rank; with the
 * catalogue, each row also carries its card (PICK_CARD_COLUMNS), and rows whose movie or
 * series the catalogue lacks are left out (the page could not show them).
 */
export function picksToArrow(rows: readonly PickRow[], catalog?: Pick<Catalog, "movies" | "series">): Uint8Array {
  const sorted = [...rows].sort((a, b) => a.series_id - b.series_id || a.rank - b.rank);
  if (!catalog) return tableToIPC(rowsTable(PICK_COLUMNS, sorted), "stream");
  const movies = new Map(catalog.movies.map((m) => [m.id, m]));
  const series = new Map(catalog.series.map((s) => [s.id, s]));
  const cards = sorted.flatMap((row) => {
    const movie = movies.get(row.movie_id);
    const show = series.get(row.series_id);
    return movie && show ? [{ ...movie, ...row, series_name: show.name, series_genres: show.genre_names }] : [];
  });
  return tableToIPC(rowsTable([...PICK_COLUMNS, ...PICK_CARD_COLUMNS], cards), "stream");
}

/** Summary of the picks for the pages: how many series, which sources and models. */
export function summarisePicks(rows: readonly PickRow[]): SiteMeta["picks"] {
  const sources: Record<string, number> = {};
  const models = new Set<string>();
  let generatedAt: string | null = null;
  for (const row of rows) {
    sources[row.source] = (sources[row.source] ?? 0) + 1;
    if (row.model) models.add(row.model);
    if (row.generated_at && (generatedAt === null || row.generated_at > generatedAt)) generatedAt = row.generated_at;
  }
  return {
    series: new Set(rows.map((r) => r.series_id)).size,
    llm_series: new Set(rows.filter((r) => r.source === "llm").map((r) => r.series_id)).size,
    rows: rows.length,
    sources,
    models: [...models].sort(),
    generated_at: generatedAt,
  };
}

/** Writes bytes to stdout and resolves once they are flushed (loaders exit right after). */
export function writeStdout(bytes: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Runs a Framework data loader: the job's bytes go to stdout, progress and errors to
 * stderr, and a failure exits non-zero so the build stops instead of shipping nothing.
 */
export async function runLoader(name: string, job: () => Promise<Uint8Array | string>): Promise<void> {
  const started = performance.now();
  try {
    const bytes = await job();
    await writeStdout(bytes);
    const size = typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.byteLength;
    process.stderr.write(`${name}: ${size} bytes in ${Math.round(performance.now() - started)} ms\n`);
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

export interface ArchiveFile {
  name: string;
  bytes: Uint8Array | string;
}

async function packTar(files: readonly ArchiveFile[], mtime: number): Promise<Uint8Array> {
  const archive = pack();
  for (const file of files) archive.entry({ name: file.name, mode: 0o644, mtime: new Date(mtime * 1000) }, file.bytes);
  archive.finalize();
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of archive) chunks.push(chunk as Uint8Array);
  } catch (error) {
    throw new SiteDataError(`could not pack the site archive (${files.map((f) => f.name).join(", ")}): ${(error as Error).message}`, { cause: error });
  }
  return Buffer.concat(chunks);
}

/**
 * A POSIX tar archive of the files, written by tar-stream. The site's data travels as one
 * archive so that one loader run reads the catalogue, computes the vectors and picks once,
 * and every file in it describes the same snapshot; Framework extracts the members pages ask
 * for. Every member gets the same `mtime` (seconds): with a fixed one, equal files give equal bytes.
 * Names are checked before anything is packed, so a bad one throws at the call.
 */
export function tarArchive(files: readonly ArchiveFile[], mtime = Math.floor(Date.now() / 1000)): Promise<Uint8Array> {
  for (const file of files) {
    if (!/^[A-Za-z0-9._-]+$/.test(file.name)) throw new SiteDataError(`archive member name "${file.name}" must be a plain file name`);
  }
  return packTar(files, mtime);
}
