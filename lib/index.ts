// The public surface of lib/: pure, browser-safe domain code shared by the loaders, the command
// line, the server and the pages (src/components/lib-exports.ts bundles exactly this).
// Nothing under lib/ imports a node: module or touches `process` (tests/lib/purity.test.ts).
export * from "./catalog.ts";
export * from "./filters.ts";
export * from "./languages.ts";
export * from "./vectors.ts";
export * from "./shortlist.ts";
export * from "./lexical.ts";
export * from "./words.ts";
export * from "./bm25.ts";
export * from "./franchise.ts";
export * from "./metadata-links.ts";
export * from "./priors.ts";
export * from "./pipeline.ts";
export * from "./series-lookup.ts";
export * from "./fallback.ts";
export * from "./rerank-types.ts";
export * from "./site-schema.ts";
export * from "./rerank-output.ts";
export * from "./prompt.ts";
export * from "./llm-types.ts";
export * from "./llm-errors.ts";
export * from "./url-state.ts";
