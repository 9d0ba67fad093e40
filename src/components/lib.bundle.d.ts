// Types for the generated lib.bundle.js: exactly what lib-exports.ts exports.
export * from "./lib-exports.ts";
