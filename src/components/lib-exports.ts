// The entry of lib.bundle.js, built by loaders/site/build-hooks.ts: Framework serves no module
// from outside src/ and does not follow `.ts` imports between TypeScript modules, so the pages
// import lib/'s public surface (lib/index.ts) through this one bundle. lib.bundle.d.ts gives it types.
export * from "../../lib/index.ts";
