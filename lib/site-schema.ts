// The columns of the Arrow files the site ships (data/site/<name>): loaders/site/arrow.ts
// encodes them and src/components/site-data.ts decodes them, both from these declarations.
// Types are DuckDB SQL names, as in lib/catalog.ts, because picks.parquet keeps the picks'
// columns and the catalogue's own schema is declared that way. In Arrow, INTEGER is Int32, DOUBLE
// Float64, FLOAT Float32, BOOLEAN Bool, VARCHAR Utf8, DATE Date32<DAY>, VARCHAR[] List<Utf8>,
// and the vectors' TINYINT[] a FixedSizeList<Int8> of the embedder's dimensions.
import { MOVIE_COLUMNS, MOVIE_METADATA_COLUMNS, MOVIE_PROVIDER_COLUMNS, SERIES_COLUMNS, SERIES_METADATA_COLUMNS } from "./catalog.ts";

/**
 * The archive's members, as the pages' FileAttachment("data/site/<name>") calls spell them.
 * The movies travel in two files so that a page shows results before the heavy part
 * arrives: movies.arrow holds what the filters and a card's first view read, movie-texts.arrow
 * the overviews and metadata that only live ranking and an opened "Story" need.
 */
export const SITE_FILES = {
  movies: "movies.arrow",
  movieTexts: "movie-texts.arrow",
  series: "series.arrow",
  vectors: "vectors.arrow",
  picks: "picks.arrow",
  meta: "meta.json",
  /** Where each series' signal lists and each movie's record sit (loaders/site/ranking-files.ts). */
  rankingIndex: "ranking-index.json",
  /** Each series' signal lists, deflated one by one (lib/signal-lists.ts), fetched by byte range. */
  signals: "series-signals.bin",
  /** The same lists read deeper (every movie of a catalogue up to 20,000), for filters too narrow for the first. */
  deepSignals: "series-signals-deep.bin",
  /** Each movie's texts, deflated one by one (lib/movie-records.ts), fetched by byte range. */
  records: "movie-records.bin",
  /** The byte length of each record in movie-records.bin, in movies.arrow's row order. */
  recordIndex: "movie-records.json",
  /** Each series' precomputed picks (picks.arrow's rows), deflated one by one, fetched by byte range. */
  seriesPicks: "series-picks.bin",
} as const;

/** Movie columns that live in movie-texts.arrow rather than movies.arrow. */
const TEXT_COLUMN_NAMES: ReadonlySet<string> = new Set(["overview", ...MOVIE_METADATA_COLUMNS.map(([name]) => name), "providers"]);

/**
 * movies.arrow: the catalogue's movie columns the filters and the cards' first view read, in
 * catalogue order: everything but the overview, the metadata and the backdrop (no page shows one).
 */
export const SITE_MOVIE_COLUMNS = MOVIE_COLUMNS.filter(([name]) => !TEXT_COLUMN_NAMES.has(name) && name !== "backdrop_path");

/**
 * movie-texts.arrow: per movie, in the same row order as movies.arrow, its id, overview and
 * the metadata lists the browser ranking reads (keywords, collection, companies, directors,
 * writers, cast; MOVIE_METADATA_COLUMNS). Those decode as empty lists (or a null collection)
 * when a title has none.
 */
export const SITE_MOVIE_TEXT_COLUMNS = MOVIE_COLUMNS.filter(([name]) => name === "id" || TEXT_COLUMN_NAMES.has(name));

/** series.arrow: every catalogue series column, metadata (keywords, creators, networks, companies, cast) included. */
export const SITE_SERIES_COLUMNS = SERIES_COLUMNS;

/** The watch providers (JSON text, lib/providers.ts), in movie-texts.arrow; read as optional, absent means none. */
export const SITE_MOVIE_PROVIDER_COLUMNS = MOVIE_PROVIDER_COLUMNS;

/** The metadata columns of each file, which the decoder reads as optional. */
export const SITE_MOVIE_METADATA_COLUMNS = MOVIE_METADATA_COLUMNS;
export const SITE_SERIES_METADATA_COLUMNS = SERIES_METADATA_COLUMNS;

/** picks.arrow and picks.parquet: one row per (series, rank), ordered by series then rank. */
export const PICK_COLUMNS = [
  ["series_id", "INTEGER"],
  ["rank", "INTEGER"],
  ["movie_id", "INTEGER"],
  ["reason", "VARCHAR"],
  ["similarity", "DOUBLE"],
  ["source", "VARCHAR"],
  ["model", "VARCHAR"],
  ["generated_at", "VARCHAR"],
] as const;

/**
 * picks.arrow only (not picks.parquet), after PICK_COLUMNS: what a pick's card and heading
 * show, copied from its movie and series, so that the page shows one series' picks from this
 * one small file before the catalogue files arrive. Absent columns read as no cards.
 */
const PICK_CARD_MOVIE_FIELDS: ReadonlySet<string> = new Set(["title", "release_date", "popularity", "vote_average", "vote_count", "genre_names", "language", "poster_path"]);
export const PICK_CARD_COLUMNS = [
  ["series_name", "VARCHAR"],
  ["series_genres", "VARCHAR[]"],
  // The movie's own columns, with the catalogue's types.
  ...MOVIE_COLUMNS.filter(([name]) => PICK_CARD_MOVIE_FIELDS.has(name)),
] as const;

/**
 * vectors.arrow: the movie rows, then the series rows; kind is "movie" or "series", and a
 * value is about vector[i] * scale.
 */
export const SITE_VECTOR_COLUMNS = [
  ["kind", "VARCHAR"],
  ["id", "INTEGER"],
  ["scale", "FLOAT"],
  ["vector", "TINYINT[]"],
] as const;

/** vectors.arrow's schema metadata keys: the embedder's id and its dimensions. */
export const SITE_VECTOR_METADATA = { embedderId: "embedder_id", dims: "dims" } as const;
