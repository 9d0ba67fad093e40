// Serialises the catalogue, its vectors and the precomputed picks for the browser.
// The browser reads Arrow IPC streams: DuckDB-WASM ingests them without the Parquet
// extension (which it would fetch from a CDN at run time), and apache-arrow decodes them
// in a few milliseconds. The canonical catalogue stays Parquet.
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
  type Vector,
} from "apache-arrow";
import type { CatalogMeta, Movie, Series } from "../../lib/catalog.ts";
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
    rows: number;
    sources: Record<string, number>;
    models: string[];
    generated_at: string | null;
  };
  built_at: string;
}

const STRING_LIST = new List(new Field("item", new Utf8(), true));

function dayValues(dates: readonly (string | null)[]): (Date | null)[] {
  return dates.map((d) => (d ? new Date(`${d}T00:00:00Z`) : null));
}

function titleTable(rows: readonly (Movie | Series)[], name: "title" | "name", date: "release_date" | "first_air_date"): Table {
  const pick = <T>(f: (r: Movie & Series) => T) => rows.map((r) => f(r as Movie & Series));
  const columns: Record<string, Vector> = {
    id: vectorFromArray(pick((r) => r.id), new Int32()),
    [name]: vectorFromArray(pick((r) => r[name]), new Utf8()),
    overview: vectorFromArray(pick((r) => r.overview), new Utf8()),
    [date]: vectorFromArray(dayValues(pick((r) => r[date])), new DateDay()),
    popularity: vectorFromArray(pick((r) => r.popularity), new Float64()),
    vote_average: vectorFromArray(pick((r) => r.vote_average), new Float64()),
    vote_count: vectorFromArray(pick((r) => r.vote_count), new Int32()),
    genre_names: vectorFromArray(pick((r) => r.genre_names), STRING_LIST),
    language: vectorFromArray(pick((r) => r.language), new Utf8()),
    adult: vectorFromArray(pick((r) => r.adult), new Bool()),
    age_appropriate: vectorFromArray(pick((r) => r.age_appropriate), new Bool()),
    poster_path: vectorFromArray(pick((r) => r.poster_path), new Utf8()),
    backdrop_path: vectorFromArray(pick((r) => r.backdrop_path), new Utf8()),
  };
  return new Table(columns);
}

/** Movies as an Arrow IPC stream with the catalogue's columns (DATE as Date32, genres as List<Utf8>). */
export function moviesToArrow(movies: readonly Movie[]): Uint8Array {
  return tableToIPC(titleTable(movies, "title", "release_date"), "stream");
}

/** Series as an Arrow IPC stream (`name`, `first_air_date`, otherwise as movies). */
export function seriesToArrow(series: readonly Series[]): Uint8Array {
  return tableToIPC(titleTable(series, "name", "first_air_date"), "stream");
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
  const table = new Table({
    kind: vectorFromArray([...movies.ids.map(() => "movie"), ...series.ids.map(() => "series")], new Utf8()),
    id: vectorFromArray(ids, new Int32()),
    scale: makeVector(scales),
    vector: vectorColumn(all),
  });
  table.schema.metadata.set("embedder_id", movies.embedderId);
  table.schema.metadata.set("dims", String(movies.dims));
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

/** Precomputed picks as an Arrow IPC stream, rows ordered by series then rank. */
export function picksToArrow(rows: readonly PickRow[]): Uint8Array {
  const sorted = [...rows].sort((a, b) => a.series_id - b.series_id || a.rank - b.rank);
  const col = <T>(f: (r: PickRow) => T) => sorted.map(f);
  const table = new Table({
    series_id: vectorFromArray(col((r) => r.series_id), new Int32()),
    rank: vectorFromArray(col((r) => r.rank), new Int32()),
    movie_id: vectorFromArray(col((r) => r.movie_id), new Int32()),
    reason: vectorFromArray(col((r) => r.reason), new Utf8()),
    similarity: vectorFromArray(col((r) => r.similarity), new Float64()),
    source: vectorFromArray(col((r) => r.source), new Utf8()),
    model: vectorFromArray(col((r) => r.model), new Utf8()),
    generated_at: vectorFromArray(col((r) => r.generated_at), new Utf8()),
  });
  return tableToIPC(table, "stream");
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

function tarHeader(name: string, size: number, mtime: number): Uint8Array {
  const header = new Uint8Array(512);
  const put = (text: string, offset: number, length: number) => {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length > length) throw new SiteDataError(`tar field too long: ${text}`);
    header.set(bytes, offset);
  };
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0");
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\u000000", 257, 8);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8);
  return header;
}

/**
 * A POSIX tar archive of the files. The site's data travels as one archive so that one
 * loader run reads the catalogue, computes the vectors and picks once, and every file in
 * it describes the same snapshot; Framework extracts the members pages ask for.
 */
export function tarArchive(files: readonly ArchiveFile[], mtime = Math.floor(Date.now() / 1000)): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const file of files) {
    if (!/^[A-Za-z0-9._-]+$/.test(file.name)) throw new SiteDataError(`archive member name "${file.name}" must be a plain file name`);
    const bytes = typeof file.bytes === "string" ? new TextEncoder().encode(file.bytes) : file.bytes;
    parts.push(tarHeader(file.name, bytes.length, mtime), bytes, new Uint8Array((512 - (bytes.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
