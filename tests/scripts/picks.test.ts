// `npm run data:picks` as a child process: precomputed picks written beside the catalogue.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { readPicksParquet } from "../../loaders/picks/store.ts";
import { engineCatalog } from "../fixtures/engine-catalog.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
let tmp: string;

function picksCli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, "node_modules/.bin/tsx"),
      ["scripts/picks.ts", ...args],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, MARQUEE_CACHE_DIR: path.join(tmp, "cache"), EMBEDDING_BACKEND: "energetic", GROQ_API_KEY: "", LLM_BASE_URL: "", TMDB_API_KEY: "", TMDB_READ_TOKEN: "" },
      },
      (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "marquee-picks-cli-"));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("npm run data:picks", () => {
  it("writes fallback picks for the N most popular series to picks.parquet when no LLM is configured", async () => {
    const dir = path.join(tmp, "catalog");
    await writeCatalog(dir, engineCatalog());
    const run = await picksCli(["--catalog", dir, "--limit", "2"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\[picks\] wrote \d+ picks for 2 series/);
    const rows = await readPicksParquet(path.join(dir, "picks.parquet"));
    expect(new Set(rows.map((r) => r.series_id)).size).toBe(2);
    expect(rows.every((r) => r.source === "fallback" && r.reason.length > 0)).toBe(true);
  }, 120_000);

  it("exits 2 with its usage on a bad --limit or an unknown option", async () => {
    for (const args of [["--limit", "0"], ["--catalogue", "x"]]) {
      const run = await picksCli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/usage: npm run data:picks -- \[--catalog DIR\] \[--out FILE\] \[--limit N\]/);
    }
  }, 60_000);
});
