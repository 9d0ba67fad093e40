// Build-time chores for the Framework site that Framework itself has no hook for; the
// site configuration (observablehq.config.ts) runs both before every build or preview.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cacheDir, catalogDir, setting } from "../shared/config.ts";

/** Where the pages' single import of lib/ code comes from, relative to the source root. */
export const LIB_ENTRY = "components/lib-exports.ts";
export const LIB_BUNDLE = "components/lib.bundle.js";

function writeIfChanged(file: string, content: string): boolean {
  if (existsSync(file) && readFileSync(file, "utf8") === content) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
  return true;
}

/**
 * Bundles the browser-safe lib/ modules the pages use into one ES module inside the
 * source root. The file is rewritten only when its content changes, so a preview server
 * does not reload for nothing.
 */
export async function bundleBrowserLib(root: string): Promise<string> {
  const entry = path.resolve(root, LIB_ENTRY);
  const outfile = path.resolve(root, LIB_BUNDLE);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    legalComments: "none",
    logLevel: "silent",
    banner: { js: "// Generated from lib/ by loaders/site/build-hooks.ts; do not edit." },
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${entry}`);
  writeIfChanged(outfile, output.text);
  return outfile;
}

function statEntries(dir: string, recursive: boolean, out: string[], skip: (name: string) => boolean = () => false): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive && entry.name !== "node_modules" && !entry.name.startsWith(".")) statEntries(file, true, out);
    } else if (entry.isFile()) {
      const { mtimeMs, size } = statSync(file);
      out.push(`${file}\t${mtimeMs}\t${size}`);
    }
  }
}

// Settings that change what the data loaders emit. Secrets enter only as present/absent.
const OUTPUT_SETTINGS = [
  "MARQUEE_CATALOG_DIR",
  "MARQUEE_CACHE_DIR",
  "EMBEDDING_BACKEND",
  "EMBEDDING_MODEL",
  "MARQUEE_MODELS_DIR",
  "LLM_MODEL",
  "LLM_BASE_URL",
  "LLM_PRECOMPUTE_LIMIT",
  "LLM_FUSION_WEIGHT",
  "MARQUEE_SITE_VECTOR_LIMIT",
  "MARQUEE_VECTOR_DIMS",
];

/**
 * A digest of everything the data loaders read: the catalogue files, the demo data, the
 * caches they consult, the code they run and the settings that steer them.
 */
export function dataFingerprint(projectRoot = process.cwd()): string {
  const lines: string[] = [`catalog=${catalogDir()}`, `cache=${cacheDir()}`];
  for (const name of OUTPUT_SETTINGS) lines.push(`${name}=${setting(name) ?? ""}`);
  lines.push(`llm-key=${setting("GROQ_API_KEY") ? "yes" : "no"}`);
  lines.push(`tmdb-key=${setting("TMDB_API_KEY") || setting("TMDB_READ_TOKEN") ? "yes" : "no"}`);
  // The build itself writes the vector files beside the catalogue; they follow from the
  // catalogue and the embedder settings above, so counting them would force a second run.
  // Lock and temp files come and go during a refresh.
  statEntries(catalogDir(), false, lines, (name) => name.endsWith("-vectors.parquet") || name.startsWith(".") || name.endsWith(".tmp"));
  statEntries(path.join(projectRoot, "data", "demo"), true, lines);
  statEntries(path.join(projectRoot, "lib"), true, lines);
  statEntries(path.join(projectRoot, "loaders"), true, lines);
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/**
 * Removes cached data-loader outputs when the fingerprint changed since the last build,
 * so Framework reruns the loaders. Returns true when it removed them.
 */
export function invalidateStaleData(root: string, projectRoot = process.cwd()): boolean {
  const cache = path.resolve(root, ".observablehq", "cache");
  const stamp = path.join(cache, "marquee-data.fingerprint");
  const current = dataFingerprint(projectRoot);
  const previous = existsSync(stamp) ? readFileSync(stamp, "utf8") : "";
  if (previous === current) return false;
  rmSync(path.join(cache, "data"), { recursive: true, force: true });
  writeIfChanged(stamp, current);
  if (previous) console.error("marquee: catalogue, caches or loader code changed; data loaders will rerun");
  return previous !== "";
}
