// The files that let the Recommend page rank without the story vectors and every movie's
// texts: each series' signal lists (lib/signal-lists.ts) in two tiers (the first 4,000 deep;
// the deep one for narrow filters), each movie's record (lib/movie-records.ts) and each
// series' picks, each deflated on its own and laid end to end, so the page fetches exactly
// the series chosen and the cards shown by byte ranges; plus the index of them all.
import { deflateRawSync } from "node:zlib";
import type { Catalog, Movie, Series } from "../../lib/catalog.ts";
import { buildMetadataIndex, keywordFrequency } from "../../lib/metadata-links.ts";
import type { MovieRecord } from "../../lib/movie-records.ts";
import { createRankingContext, type RankableMovie, type RankableSeries, type RankingVectors } from "../../lib/pipeline.ts";
import { DEEP_SIGNAL_LIST_DEPTH, SIGNAL_LIST_DEPTH, buildSignalLists, encodeSignalLists, truncateSignalLists } from "../../lib/signal-lists.ts";
import { rowOf } from "../../lib/vectors.ts";
import { picksToArrow, type PickRow } from "./arrow.ts";

/** ranking-index.json: where each series' lists and each movie's record sit in their files. */
export interface RankingIndex {
  version: 1;
  /** How deep each list reads (lib/signal-lists.ts SIGNAL_LIST_DEPTH at build time). */
  depth: number;
  /** [series id, byte offset, byte length] in series-signals.bin, for every series with a vector. */
  series: [number, number, number][];
  /** The same in series-signals-deep.bin: the lists DEEP_SIGNAL_LIST_DEPTH deep, for filters the first tier is too short for. */
  deep: [number, number, number][];
  deepDepth: number;
  /** [series id, byte offset, byte length] in series-picks.bin: each series' precomputed picks as picks.arrow rows. */
  picks: [number, number, number][];
}

/**
 * movie-records.json: the byte length of each movie's record in movie-records.bin, in
 * movies.arrow's row order. Apart from the ranking index, which the page preloads, because it
 * grows with the catalogue (0.15 MB at 100k movies) and only live ranking reads it.
 */
export interface RecordIndex {
  version: 1;
  records: number[];
}

export interface RankingFiles {
  index: RankingIndex;
  recordIndex: RecordIndex;
  signals: Uint8Array;
  deepSignals: Uint8Array;
  records: Uint8Array;
  picks: Uint8Array;
}

const yearOf = (date: string | null) => (date ? Number(date.slice(0, 4)) : null);

/** The movie's record: its text columns and its keywords' catalogue counts. */
export function movieRecord(movie: Movie, frequency: (keyword: string) => number): MovieRecord {
  const keywords = movie.keywords ?? [];
  return {
    id: movie.id,
    overview: movie.overview ?? "",
    keywords,
    collection: movie.collection ?? null,
    companies: movie.companies ?? [],
    directors: movie.directors ?? [],
    writers: movie.writers ?? [],
    cast: movie.cast ?? [],
    providers: movie.providers ?? null,
    keyword_df: keywords.map(frequency),
  };
}

const deflate = (bytes: Uint8Array | string) => deflateRawSync(bytes, { level: 9 });

function concatenate(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}

/**
 * The lists of every series with a vector, ranked on `vectors` (the ones the page ships, so a
 * list ranks as the page's full path would), and every movie's record.
 */
export function buildRankingFiles(
  catalog: Pick<Catalog, "movies" | "series">,
  vectors: RankingVectors,
  options: { depth?: number; deepDepth?: number; log?: (line: string) => void; picks?: readonly PickRow[] } = {},
): RankingFiles {
  const depth = options.depth ?? SIGNAL_LIST_DEPTH;
  const deepDepth = Math.max(depth, options.deepDepth ?? DEEP_SIGNAL_LIST_DEPTH);
  const log = options.log ?? (() => undefined);
  const movies: RankableMovie[] = catalog.movies.map((m) => ({ ...m, year: yearOf(m.release_date) }));
  const context = createRankingContext(movies, vectors);
  const movieIds = catalog.movies.map((m) => m.id);
  const withVectors = catalog.series.filter((s) => rowOf(vectors.series, s.id) >= 0);
  const tiers = { first: { chunks: [] as Uint8Array[], index: [] as RankingIndex["series"], offset: 0 }, deep: { chunks: [] as Uint8Array[], index: [] as RankingIndex["series"], offset: 0 } };
  const add = (tier: keyof typeof tiers, id: number, chunk: Uint8Array) => {
    const t = tiers[tier];
    t.index.push([id, t.offset, chunk.length]);
    t.chunks.push(chunk);
    t.offset += chunk.length;
  };
  const started = performance.now();
  withVectors.forEach((s, i) => {
    const rankable: RankableSeries = { ...s, year: yearOf(s.first_air_date) };
    // Read once, deep; the first tier is its head.
    const deep = buildSignalLists(context, rankable, deepDepth);
    add("first", s.id, deflate(encodeSignalLists(truncateSignalLists(deep, depth), movieIds)));
    add("deep", s.id, deflate(encodeSignalLists(deep, movieIds)));
    if ((i + 1) % 100 === 0 || i + 1 === withVectors.length) log(`site: signal lists for ${i + 1} of ${withVectors.length} series (${Math.round(performance.now() - started)} ms)`);
  });
  const frequency = keywordFrequency(buildMetadataIndex(catalog.movies));
  const records = catalog.movies.map((m) => deflate(JSON.stringify(movieRecord(m, frequency))));
  // One series' picks as their own small Arrow stream (picks.arrow's rows with their cards):
  // a link to one series shows them after a few KB instead of every series' picks.
  const bySeries = new Map<number, PickRow[]>();
  for (const row of options.picks ?? []) bySeries.set(row.series_id, [...(bySeries.get(row.series_id) ?? []), row]);
  const pickChunks: Uint8Array[] = [];
  const picks: RankingIndex["picks"] = [];
  let pickOffset = 0;
  const movieById = new Map(catalog.movies.map((m) => [m.id, m]));
  const seriesById = new Map(catalog.series.map((s) => [s.id, s]));
  for (const [seriesId, rows] of [...bySeries].sort((a, b) => a[0] - b[0])) {
    // picksToArrow looks the cards up in the catalogue it is given: just this series' movies.
    const cards = { movies: rows.map((r) => movieById.get(r.movie_id)).filter((m): m is Movie => m !== undefined), series: [seriesById.get(seriesId)].filter((x): x is Series => x !== undefined) };
    const chunk = deflate(picksToArrow(rows, cards));
    picks.push([seriesId, pickOffset, chunk.length]);
    pickChunks.push(chunk);
    pickOffset += chunk.length;
  }
  return {
    index: { version: 1, depth, series: tiers.first.index, deep: tiers.deep.index, deepDepth, picks },
    recordIndex: { version: 1, records: records.map((r) => r.length) },
    signals: concatenate(tiers.first.chunks),
    deepSignals: concatenate(tiers.deep.chunks),
    records: concatenate(records),
    picks: concatenate(pickChunks),
  };
}
