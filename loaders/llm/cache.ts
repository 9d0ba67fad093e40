// Disk cache for LLM answers (reranks and proposals): one JSON file per (endpoint, model, prompt
// version, input) under <cacheDir>/llm/, so rebuilds and resumed precomputes repeat no call.
// Only model output and its bookkeeping are stored, never the key. Node only.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Proposal } from "../../lib/proposals.ts";
import type { RerankResult } from "../../lib/rerank-types.ts";

export interface CacheEntry {
  key: string;
  model: string;
  /** The server's normalised base URL (never the key), for whoever reads the file; the key already covers it. */
  endpoint?: string;
  prompt_version: string;
  created_at: string;
  result: RerankResult;
}

/** A proposal call's validated answer (titles and years, unresolved: the catalogue may change). */
export interface ProposalCacheEntry extends Omit<CacheEntry, "result"> {
  proposals: Proposal[];
}

/** JSON with object keys sorted, so equal inputs hash equally whatever order they were built in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Everything that shapes the answer: the model, the prompt version and settings (the endpoint
 * among them), the input. Settings that are undefined leave the key as it was without them.
 */
export function cacheKey(model: string, promptVersion: string, input: unknown, settings: Record<string, unknown> = {}): string {
  return createHash("sha256").update(canonical({ model, promptVersion, settings, input })).digest("hex");
}

export function cacheFile(cacheDir: string, key: string): string {
  return path.join(cacheDir, "llm", `${key}.json`);
}

/** The cached entry, or null when absent or unreadable (a torn or foreign file is a miss, not an error). */
export async function readCached(cacheDir: string, key: string): Promise<CacheEntry | null> {
  try {
    const entry = JSON.parse(await readFile(cacheFile(cacheDir, key), "utf8")) as CacheEntry;
    return entry.key === key && Array.isArray(entry.result?.picks) ? entry : null;
  } catch {
    return null;
  }
}

/** The cached proposals, or null when absent, unreadable or of another shape. */
export async function readCachedProposals(cacheDir: string, key: string): Promise<ProposalCacheEntry | null> {
  try {
    const entry = JSON.parse(await readFile(cacheFile(cacheDir, key), "utf8")) as ProposalCacheEntry;
    return entry.key === key && Array.isArray(entry.proposals) ? entry : null;
  } catch {
    return null;
  }
}

export async function writeCached(cacheDir: string, entry: CacheEntry | ProposalCacheEntry): Promise<void> {
  const file = cacheFile(cacheDir, entry.key);
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(entry, null, 2) + "\n");
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
