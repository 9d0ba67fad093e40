// Per-series signal lists: what each retrieval of lib/pipeline.ts finds for one series over the
// whole catalogue, computed at build time, so that the page ranks a selection without the
// story vectors and the movies' texts (most of its bytes). Each list is read `depth` deep;
// a filter keeps the prefix of the movies it allows, which is exactly the filtered retrieval
// (every retrieval scores first and filters after, ties broken alike) as long as the prefix
// holds RETRIEVAL_DEPTH movies or the list is complete. Otherwise signalsFromLists() says
// so (null) and the page ranks from the full data, as before. Pure and browser-safe.
import { tvGenresToMovieGenres } from "./catalog.ts";
import { lexicalScores } from "./lexical.ts";
import {
  RESULT_LIMIT,
  RETRIEVAL_DEPTH,
  SHORTLIST_SIZE,
  fuseSignals,
  placedCandidates,
  rerankSeriesOf,
  seriesSignals,
  shareByWeight,
  type FusionContext,
  type RankableSeries,
  type RankingContext,
  type RankingInput,
  type RankingSource,
  type SeriesRanking,
  type SeriesSignals,
} from "./pipeline.ts";
import type { Filters } from "./filters.ts";

/**
 * How deep the build reads each retrieval: exact for any filter that keeps a twentieth of the
 * movies near the top. On the imported 11.7k movies (bench/signal-lists.ts, 300 random
 * selections and filter sets) depth 2000 answered 54% of them at 21 KB a series, 4000 answered
 * 66% at 33 KB, 8000 77% at 54 KB; the rest rank from the full data (2.7 MB more).
 */
export const SIGNAL_LIST_DEPTH = 4000;

/**
 * How deep the second tier reads (series-signals-deep.bin): every movie of a catalogue up to
 * this size, so the page ranks a filter too narrow for the first tier from 70 KB a series
 * instead of the vectors and every text; past it, such a filter still needs the full data.
 */
export const DEEP_SIGNAL_LIST_DEPTH = 20_000;

/** One retrieval's movies for a series, best first, with the query's cosine to each. */
export interface RankedList {
  ids: Int32Array;
  /** Dense: the shortlist's similarity; the others: the query's cosine (fuseSignals needs both kinds). */
  cosines: Float32Array;
  /** True when the list holds every movie the retrieval finds (shorter than the depth). */
  complete: boolean;
}

export interface FranchiseEntry {
  id: number;
  strength: number;
  kind: "title" | "entity";
  sharedNames: string[];
  cosine: number;
}

export interface SeriesSignalLists {
  seriesId: number;
  dense: RankedList;
  lexical: RankedList;
  metadata: RankedList;
  /** Every franchise match, whatever the filters. */
  franchise: FranchiseEntry[];
  /** Every movie whose title repeats part of the series' name, with the share (lexicalScores). */
  overlaps: Map<number, number>;
}

export class SignalListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignalListError";
  }
}

/** The series' lists over every movie of the context (the build runs this once per series). */
export function buildSignalLists(context: RankingContext, series: RankableSeries, depth = SIGNAL_LIST_DEPTH): SeriesSignalLists {
  const ids = [...context.movieById.keys()];
  const all = new Set(ids);
  const signals = seriesSignals(context, series, all, ids, undefined, {}, depth);
  const list = (found: readonly number[], cosine: (id: number, i: number) => number): RankedList => ({
    ids: Int32Array.from(found),
    cosines: Float32Array.from(found, (id, i) => cosine(id, i)),
    complete: found.length < depth,
  });
  return {
    seriesId: series.id,
    dense: list(
      signals.dense.map((hit) => hit.id),
      (_, i) => signals.dense[i].cosine,
    ),
    lexical: list(signals.lexical, signals.cosine),
    metadata: list(signals.metadata, signals.cosine),
    franchise: signals.franchise.map((m) => ({ id: m.id, strength: m.strength, kind: m.kind, sharedNames: m.sharedNames, cosine: signals.cosine(m.id) })),
    overlaps: lexicalScores(context.lexicon, [series.name]),
  };
}

/**
 * The lists `depth` deep, cut from deeper ones: a retrieval's best `depth` are the first
 * `depth` of its best more (each list is in rank order), so the build reads each series once.
 */
export function truncateSignalLists(lists: SeriesSignalLists, depth: number): SeriesSignalLists {
  const cut = (list: RankedList): RankedList =>
    list.ids.length < depth ? list : { ids: list.ids.slice(0, depth), cosines: list.cosines.slice(0, depth), complete: list.complete && list.ids.length < depth };
  return { ...lists, dense: cut(lists.dense), lexical: cut(lists.lexical), metadata: cut(lists.metadata) };
}

// Per lists object: every input change of the page ranks from the same lists again.
const cosineLookups = new WeakMap<SeriesSignalLists, Map<number, number>>();

/** The query's cosine with each movie the lexical, metadata and franchise lists hold. */
function cosineLookup(lists: SeriesSignalLists): Map<number, number> {
  let cosines = cosineLookups.get(lists);
  if (!cosines) {
    cosines = new Map();
    for (const list of [lists.lexical, lists.metadata]) list.ids.forEach((id, i) => cosines!.set(id, list.cosines[i]));
    for (const entry of lists.franchise) cosines.set(entry.id, entry.cosine);
    cosineLookups.set(lists, cosines);
  }
  return cosines;
}

/**
 * The series' signals for the movies `allowed` lets through, exactly as seriesSignals() would
 * compute them from the full data; null when a truncated list has too few allowed movies.
 */
export function signalsFromLists(lists: SeriesSignalLists, series: Pick<RankableSeries, "language" | "genre_names">, allowed: ReadonlySet<number>, depth = RETRIEVAL_DEPTH): SeriesSignals | null {
  const prefix = (list: RankedList): number[] | null => {
    const rows: number[] = [];
    for (let i = 0; i < list.ids.length && rows.length < depth; i++) if (allowed.has(list.ids[i])) rows.push(i);
    return rows.length < depth && !list.complete ? null : rows;
  };
  const dense = prefix(lists.dense);
  const lexical = prefix(lists.lexical);
  const metadata = prefix(lists.metadata);
  if (!dense || !lexical || !metadata) return null;
  const cosines = cosineLookup(lists);
  return {
    seriesId: lists.seriesId,
    language: series.language,
    genres: tvGenresToMovieGenres(series.genre_names),
    cosine: (id) => {
      const cosine = cosines.get(id);
      // Every movie fuseSignals asks about is in a list: a miss is a build that disagrees with this code.
      if (cosine === undefined) throw new SignalListError(`the signal lists of series ${lists.seriesId} lack movie ${id}; rebuild the site`);
      return cosine;
    },
    dense: dense.map((i) => ({ id: lists.dense.ids[i], cosine: lists.dense.cosines[i] })),
    lexical: lexical.map((i) => lists.lexical.ids[i]),
    metadata: metadata.map((i) => lists.metadata.ids[i]),
    franchise: lists.franchise.filter((m) => allowed.has(m.id)).map(({ id, strength, kind, sharedNames }) => ({ id, strength, kind, sharedNames })),
  };
}

export interface ListRankingRequest {
  series: readonly { series: RankableSeries; weight?: number }[];
  allowedIds: readonly number[];
  filters: Filters;
  limit?: number;
  k?: number;
}

/** A selection ranked from the signal lists, before the candidates' texts are in. */
export interface ListRanking {
  /** The candidates' movie ids: their overviews and metadata must be loaded before input(). */
  ids: number[];
  /** The reranker's input, as rankingInput() gives it; `keywordFrequency` counts a keyword's movies. */
  input(keywordFrequency: (keyword: string) => number): RankingInput;
}

/**
 * rankingInput() for a selection without feedback or start movie, from the series' signal
 * lists (`listsOf`; undefined: the series has no vector); null when a list is too short
 * for the filters, and the caller ranks from the full data instead.
 */
export function listRanking(context: FusionContext, request: ListRankingRequest, listsOf: (seriesId: number) => SeriesSignalLists | undefined): ListRanking | null {
  const limit = request.limit ?? RESULT_LIMIT;
  const k = Math.max(request.k ?? SHORTLIST_SIZE, limit);
  const withLists = request.series.filter(({ series }) => listsOf(series.id) !== undefined);
  const missingVectors = request.series.filter((s) => !withLists.includes(s)).map((s) => s.series);
  const sources: RankingSource[] = withLists.map(({ series, weight }) => ({ series, weight: weight ?? 1 }));
  const base = { series: rerankSeriesOf(sources), filters: request.filters, limit, missingVectors };
  if (sources.length === 0 || request.allowedIds.length === 0) return { ids: [], input: () => ({ ...base, candidates: [] }) };
  const allowed = new Set(request.allowedIds);
  const rankings: SeriesRanking[] = [];
  for (const { series } of sources) {
    const signals = signalsFromLists(listsOf(series.id)!, series, allowed);
    if (!signals) return null;
    rankings.push(fuseSignals(context, signals));
  }
  const overlaps = new Map<number, number>();
  for (const { series } of sources) {
    for (const [id, share] of listsOf(series.id)!.overlaps) overlaps.set(id, Math.max(overlaps.get(id) ?? 0, share));
  }
  const weights = sources.map(({ weight }) => weight);
  return {
    ids: shareByWeight(rankings, weights, k).map((placed) => placed.id),
    input: (keywordFrequency) => ({ ...base, candidates: placedCandidates(context.movieById, sources, rankings, k, { overlaps, keywordFrequency }) }),
  };
}

// The file format: one chunk per series, each deflated on its own so the page fetches one
// series by a byte range. A chunk is a little-endian header, JSON (the counts, flags and the
// franchise matches), then the lists as typed arrays of catalogue rows and cosines.
const MAGIC = 0x4c53514d; // "MQSL"
const VERSION = 1;

interface ChunkHeader {
  seriesId: number;
  rowBytes: 2 | 4;
  lists: { name: "dense" | "lexical" | "metadata"; count: number; complete: boolean }[];
  overlaps: number;
  franchise: { row: number; strength: number; kind: "title" | "entity"; sharedNames: string[]; cosine: number }[];
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** A series' lists as one chunk, movies as rows of `movieIds` (the catalogue order movies.arrow keeps). */
export function encodeSignalLists(lists: SeriesSignalLists, movieIds: readonly number[]): Uint8Array {
  const rowOf = new Map(movieIds.map((id, row) => [id, row]));
  const row = (id: number) => {
    const found = rowOf.get(id);
    if (found === undefined) throw new SignalListError(`movie ${id} of series ${lists.seriesId}'s lists is not in the catalogue`);
    return found;
  };
  const rowBytes: 2 | 4 = movieIds.length <= 0xffff ? 2 : 4;
  const named = [
    ["dense", lists.dense],
    ["lexical", lists.lexical],
    ["metadata", lists.metadata],
  ] as const;
  const header: ChunkHeader = {
    seriesId: lists.seriesId,
    rowBytes,
    lists: named.map(([name, list]) => ({ name, count: list.ids.length, complete: list.complete })),
    overlaps: lists.overlaps.size,
    franchise: lists.franchise.map(({ id, strength, kind, sharedNames, cosine }) => ({ row: row(id), strength, kind, sharedNames, cosine })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const parts: { bytes: Uint8Array; alignTo: number }[] = [];
  const rows = (ids: ArrayLike<number>) => {
    const out = rowBytes === 2 ? new Uint16Array(ids.length) : new Uint32Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = row(ids[i]);
    return new Uint8Array(out.buffer);
  };
  for (const [, list] of named) {
    parts.push({ bytes: rows(list.ids), alignTo: rowBytes });
    parts.push({ bytes: new Uint8Array(Float32Array.from(list.cosines).buffer), alignTo: 4 });
  }
  const overlapIds = [...lists.overlaps.keys()];
  parts.push({ bytes: rows(overlapIds), alignTo: rowBytes });
  parts.push({ bytes: new Uint8Array(Float64Array.from(overlapIds, (id) => lists.overlaps.get(id)!).buffer), alignTo: 8 });
  let size = 12 + json.length;
  const offsets = parts.map((part) => {
    const at = align(size, part.alignTo);
    size = at + part.bytes.length;
    return at;
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  parts.forEach((part, i) => out.set(part.bytes, offsets[i]));
  return out;
}

/** A chunk back into lists; `movieIds` as given to encodeSignalLists (movies.arrow's ids in row order). */
export function decodeSignalLists(bytes: Uint8Array, movieIds: ArrayLike<number>): SeriesSignalLists {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== MAGIC) throw new SignalListError("not a signal list chunk (bad magic); rebuild the site");
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new SignalListError(`signal list chunk version ${version}, this page reads ${VERSION}; rebuild the site`);
  const jsonLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as ChunkHeader;
  let at = 12 + jsonLength;
  // Copies, so the typed arrays are aligned whatever the chunk's offset in its buffer.
  const take = (count: number, width: number): ArrayBuffer => {
    at = align(at, width);
    const end = at + count * width;
    if (end > bytes.byteLength) throw new SignalListError(`signal list chunk of series ${header.seriesId} is cut short; rebuild the site`);
    // A plain Uint8Array's slice copies (a Node Buffer's would share its pool).
    const slice = new Uint8Array(bytes.buffer, bytes.byteOffset + at, end - at).slice().buffer;
    at = end;
    return slice;
  };
  const idOf = (row: number) => {
    if (row >= movieIds.length) throw new SignalListError(`signal list row ${row} is past the catalogue's ${movieIds.length} movies; rebuild the site`);
    return movieIds[row];
  };
  const ids = (count: number) => {
    const rows = header.rowBytes === 2 ? new Uint16Array(take(count, 2)) : new Uint32Array(take(count, 4));
    return Int32Array.from(rows, idOf);
  };
  const lists = {} as Record<"dense" | "lexical" | "metadata", RankedList>;
  for (const { name, count, complete } of header.lists) {
    const listIds = ids(count);
    lists[name] = { ids: listIds, cosines: new Float32Array(take(count, 4)), complete };
  }
  const overlapIds = ids(header.overlaps);
  const shares = new Float64Array(take(header.overlaps, 8));
  return {
    seriesId: header.seriesId,
    dense: lists.dense,
    lexical: lists.lexical,
    metadata: lists.metadata,
    franchise: header.franchise.map(({ row, strength, kind, sharedNames, cosine }) => ({ id: idOf(row), strength, kind, sharedNames, cosine })),
    overlaps: new Map(Array.from(overlapIds, (id, i) => [id, shares[i]])),
  };
}
