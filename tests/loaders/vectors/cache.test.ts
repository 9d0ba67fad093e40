// The vector cache under concurrent writers: runs that embed into the same cache file at the
// same time (in one process or in several) must end with every vector any of them computed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withFileLock } from "../../../loaders/shared/file-lock.ts";
import { embedWithCache, readVectorCache, textKey, vectorCacheFile } from "../../../loaders/vectors/cache.ts";
import { fakeEmbedder } from "../../helpers/fake-embedder.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-vector-cache-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tempDir = (prefix: string) => mkdtempSync(path.join(work, `${prefix}-`));
const textsOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} story number ${i}`);
const quiet = { log: () => {} };

async function cachedKeys(dir: string, id: string): Promise<string[]> {
  const contents = await readVectorCache(vectorCacheFile(dir, id), id);
  return [...(contents?.vectors.keys() ?? [])].sort();
}

describe("vector cache with concurrent writers", () => {
  it("keeps the union of two runs that checkpoint into the same file at the same time", async () => {
    const dir = tempDir("union");
    const a = fakeEmbedder({ delayMs: 5 });
    const b = fakeEmbedder({ delayMs: 7 });
    const textsA = textsOf("heist", 24);
    const textsB = textsOf("space", 24);
    const options = { dir, chunkSize: 2, checkpointSeconds: 0, ...quiet };
    await Promise.all([embedWithCache(a.embedder, textsA, options), embedWithCache(b.embedder, textsB, options)]);
    expect(a.counter.texts).toBe(24);
    expect(b.counter.texts).toBe(24);
    expect(await cachedKeys(dir, "test:fake")).toEqual([...textsA, ...textsB].map(textKey).sort());
  });

  it("embeds nothing on a third run over both runs' texts", async () => {
    const dir = tempDir("third");
    const textsA = textsOf("heist", 20);
    const textsB = textsOf("space", 20);
    const options = { dir, chunkSize: 3, checkpointSeconds: 0, ...quiet };
    await Promise.all([
      embedWithCache(fakeEmbedder({ delayMs: 6 }).embedder, textsA, options),
      embedWithCache(fakeEmbedder({ delayMs: 4 }).embedder, textsB, options),
    ]);
    const third = fakeEmbedder();
    const vectors = await embedWithCache(third.embedder, [...textsA, ...textsB], options);
    expect(third.counter.texts).toBe(0);
    expect(vectors).toHaveLength(40);
  });

  it("keeps the union when the writers are separate processes", async () => {
    const dir = tempDir("processes");
    const sets = [textsOf("western", 30), textsOf("romance", 30)];
    const children = sets.map((texts, i) => {
      const file = path.join(dir, `texts-${i}.json`);
      writeFileSync(file, JSON.stringify(texts));
      const child = spawn(path.resolve("node_modules/.bin/tsx"), ["tests/helpers/embed-child.ts", path.join(dir, "vectors"), file, "test:fake"], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      let out = "";
      const ready = new Promise<void>((resolve) => child.stdout.on("data", (chunk) => (out += chunk) && out.includes("ready") && resolve()));
      const done = new Promise<string>((resolve, reject) =>
        child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`child ${i} exited ${code}`)))),
      );
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const { child } of children) child.stdin.end("go\n");
    const outputs = await Promise.all(children.map((c) => c.done));
    expect(outputs.map((o) => o.match(/embedded (\d+)/)?.[1])).toEqual(["30", "30"]);
    expect(await cachedKeys(path.join(dir, "vectors"), "test:fake")).toEqual(sets.flat().map(textKey).sort());
    expect(readdirSync(path.join(dir, "vectors")).filter((f) => f.endsWith(".lock") || f.endsWith(".tmp"))).toEqual([]);
  }, 30_000);
});

describe("file lock", () => {
  it("runs waiting jobs one at a time, each after the previous one finished", async () => {
    const lock = path.join(tempDir("lock"), "x.lock");
    const events: string[] = [];
    const job = (name: string) => async () => {
      events.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push(`${name} end`);
    };
    await Promise.all([withFileLock(lock, job("a")), withFileLock(lock, job("b")), withFileLock(lock, job("c"))]);
    for (let i = 0; i < events.length; i += 2) expect(events[i + 1]).toBe(events[i].replace("start", "end"));
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a lock left behind by a process that died", async () => {
    const lock = path.join(tempDir("lock"), "x.lock");
    const dead = spawnSync("true").pid;
    writeFileSync(lock, `${dead}\nleftover\n`);
    await expect(withFileLock(lock, async () => "ran")).resolves.toBe("ran");
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a lock older than the stale limit even when its pid is alive", async () => {
    const lock = path.join(tempDir("lock"), "x.lock");
    writeFileSync(lock, `${process.pid}\nother-token\n`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await expect(withFileLock(lock, async () => "ran", { staleMs: 10 })).resolves.toBe("ran");
  });
});
