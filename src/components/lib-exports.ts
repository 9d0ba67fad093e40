// The lib/ code the pages use, bundled into lib.bundle.js by loaders/site-build.ts
// (Framework serves no module from outside src/ and does not follow `.ts` imports between
// TypeScript modules). Browser-safe modules only; lib.bundle.d.ts re-exports these types.
export { MOVIE_GENRES, sharedGenres, tmdbImageUrl, tvGenresToMovieGenres } from "../../lib/catalog.ts";
export type { Movie, Series } from "../../lib/catalog.ts";
export { DEFAULT_FILTERS, buildMovieFilterQuery, filtersFromSearchParams, filtersToSearchParams } from "../../lib/filters.ts";
export type { Filters, SqlParam } from "../../lib/filters.ts";
export { languageName } from "../../lib/languages.ts";
export { dequantizeRow, rowOf } from "../../lib/vectors.ts";
export type { Int8VectorSet } from "../../lib/vectors.ts";
export { fallbackRank } from "../../lib/fallback.ts";
export type { PickRow, RerankCandidate } from "../../lib/rerank-types.ts";
export { queryVector, shortlist } from "../../lib/shortlist.ts";
export { LEXICAL_WEIGHT, buildLexicalIndex, lexicalScores, scaledBoosts } from "../../lib/lexical.ts";
export type { LexicalIndex } from "../../lib/lexical.ts";
