// Settings from the environment (and `.env` in the project root when present).
// Node only: the browser never sees this module, so keys cannot reach the bundle.
import { existsSync } from "node:fs";
import path from "node:path";

let envLoaded = false;

/** Loads `.env` once; variables already set in the environment win. */
export function loadDotEnv(file = path.resolve(".env")): void {
  if (envLoaded) return;
  envLoaded = true;
  if (existsSync(file)) process.loadEnvFile(file);
}

export function setting(name: string): string | undefined {
  loadDotEnv();
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

export function numberSetting(name: string, fallback: number): number {
  const raw = setting(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  }
  return value;
}

/** A yes/no setting: 1/true/yes or 0/false/no (any case); anything else is an error naming it. */
export function booleanSetting(name: string, fallback: boolean): boolean {
  const raw = setting(name);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new Error(`${name} must be 1 or 0 (true or false), got "${raw}"`);
}

/** Where the active catalogue lives (TMDB refresh or import output). */
export function catalogDir(): string {
  return path.resolve(setting("MARQUEE_CATALOG_DIR") ?? "data/catalog");
}

/** Git-ignored working files: the demo catalogue build, vector and LLM caches. */
export function cacheDir(): string {
  return path.resolve(setting("MARQUEE_CACHE_DIR") ?? "data/cache");
}

/**
 * The real TMDB data shared beside the repository (`../shared/data/raw`), used by tests and
 * benchmarks only; they skip with a notice when it is absent. `MARQUEE_RAW_DIR` overrides it.
 */
export function sharedRawDir(): string {
  return path.resolve(setting("MARQUEE_RAW_DIR") ?? "../shared/data/raw");
}
