// The catalogue store under a bad day: a file of the wrong kind, a writer killed mid-write.
import { execFile, spawnSync } from "node:child_process";
import { copyFile, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CatalogStoreError, readCatalog, writeCatalog } from "../../../loaders/catalog/store.ts";
import { engineCatalog } from "../../fixtures/engine-catalog.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "marquee-store-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("the catalogue store", () => {
  it("refuses a movies.parquet with the series columns, naming the file, the missing columns and the likely cause", async () => {
    const dir = await tempDir();
    await writeCatalog(dir, engineCatalog());
    await copyFile(path.join(dir, "series.parquet"), path.join(dir, "movies.parquet"));
    const error = await readCatalog(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogStoreError);
    expect((error as Error).message).toMatch(/movies\.parquet lacks the movies columns title, release_date \(it has the series columns: was the other file copied over it\?\)/);
  });

  it("makes npm run recommend print one line about it, not a stack trace", async () => {
    const dir = await tempDir();
    await writeCatalog(dir, engineCatalog());
    await copyFile(path.join(dir, "series.parquet"), path.join(dir, "movies.parquet"));
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        path.join(ROOT, "node_modules/.bin/tsx"),
        ["scripts/recommend.ts", "--catalog", dir, "--series", "201", "--no-llm"],
        { cwd: ROOT, env: { ...process.env, MARQUEE_CACHE_DIR: path.join(dir, "cache"), EMBEDDING_BACKEND: "energetic" } },
        (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^recommend: .*movies\.parquet lacks the movies columns/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("removes the temp files a killed writer left, and leaves those of a writer still running", async () => {
    const dir = await tempDir();
    await writeCatalog(dir, engineCatalog());
    const dead = deadPid();
    const leftovers = [`movies.parquet.${dead}.1700000000000.1.tmp`, `meta.json.${dead}.1700000000000.2.tmp`];
    // pid 1 always runs.
    const live = `series.parquet.1.1700000000000.3.tmp`;
    for (const name of [...leftovers, live]) await writeFile(path.join(dir, name), "half a file");
    await writeCatalog(dir, engineCatalog());
    const names = await readdir(dir);
    for (const name of leftovers) expect(names).not.toContain(name);
    expect(names).toContain(live);
    expect((await readCatalog(dir)).movies.length).toBe(engineCatalog().movies.length);
  });
});
