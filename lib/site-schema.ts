// The columns of the Arrow files the site ships (data/site/<name>): loaders/site/arrow.ts
// encodes them and src/components/site-data.ts decodes them, both from these declarations.
// Types are DuckDB SQL names, as in lib/catalog.ts, because the page loads movies.arrow into
// DuckDB-WASM and picks.parquet keeps the picks' columns. In Arrow, INTEGER is Int32, DOUBLE
// Float64, FLOAT Float32, BOOLEAN Bool, VARCHAR Utf8, DATE Date32<DAY>, VARCHAR[] List<Utf8>,
// and the vectors' TINYINT[] a FixedSizeList<Int8> of the embedder's dimensions.
import { MOVIE_COLUMNS, MOVIE_METADATA_COLUMNS, SERIES_COLUMNS, SERIES_METADATA_COLUMNS } from "./catalog.ts";

/** The archive's members, as the pages' FileAttachment("data/site/<name>") calls spell them. */
export const SITE_FILES = {
  movies: "movies.arrow",
  series: "series.arrow",
  vectors: "vectors.arrow",
  picks: "picks.arrow",
  meta: "meta.json",
} as const;

/**
 * movies.arrow: every catalogue movie column, in catalogue order: the core columns, then the
 * metadata lists the browser ranking reads (keywords, collection, companies, directors,
 * writers, cast; MOVIE_METADATA_COLUMNS). Those decode as empty lists (or a null collection)
 * when a title has none.
 */
export const SITE_MOVIE_COLUMNS = MOVIE_COLUMNS;

/** series.arrow: every catalogue series column, metadata (keywords, creators, networks, companies, cast) included. */
export const SITE_SERIES_COLUMNS = SERIES_COLUMNS;

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
