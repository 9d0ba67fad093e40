// The vectors Parquet artefact: what buildCatalogVectors writes beside a catalogue, when the
// site loader and the engine reuse those files, and when they rebuild them first.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ENERGETIC_EMBEDDER_ID, type Embedder } from "../../../loaders/vectors/embedders.ts";
import { DEFAULT_VECTOR_DIMS, VECTOR_FILES, buildCatalogVectors, catalogVectorFiles, vectorDims } from "../../../loaders/vectors/files.ts";
import { connectDuckDB, readCatalog, sqlPath, writeCatalog } from "../../../loaders/catalog/store.ts";
import { openEngine } from "../../../loaders/engine.ts";
import { buildSiteArchive } from "../../../loaders/site/sources.ts";
import { readVectorsParquet } from "../../../loaders/vectors/catalog-vectors.ts";
import { bundleBrowserLib } from "../../../loaders/site/build-hooks.ts";
import { engineCatalog } from "../../fixtures/engine-catalog.ts";
import { fakeEmbedder } from "../../helpers/fake-embedder.ts";

// site-data.ts reads the file schema through the generated lib bundle, so build it first.
await bundleBrowserLib("src");
const { decodeVectors } = await import("../../../src/components/site-data.ts");

const work = mkdtempSync(path.join(tmpdir(), "marquee-build-vectors-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const quiet = () => undefined;
const catalog = engineCatalog();
const movieFile = (dir: string) => path.join(dir, VECTOR_FILES.movies);
const seriesFile = (dir: string) => path.join(dir, VECTOR_FILES.series);
const mtimes = (dir: string) => [statSync(movieFile(dir)).mtimeMs, statSync(seriesFile(dir)).mtimeMs];

/** A catalogue in a fresh directory, with its own vector cache. */
async function freshCatalog(name: string) {
  const dir = path.join(work, name, "catalog");
  await writeCatalog(dir, catalog);
  return { dir, cache: path.join(work, name, "cache") };
}

/** Movie and series ids in catalogue order (as stored: most popular first). */
async function storedIds(dir: string) {
  const stored = await readCatalog(dir);
  return { movies: stored.movies.map((m) => m.id), series: stored.series.map((s) => s.id) };
}

/** An embedder with the fake's id that fails the test if it is asked to embed anything. */
function mustNotEmbed(id = "test:fake"): Embedder {
  return {
    id,
    dims: 16,
    embed: async (texts) => {
      throw new Error(`embedded ${texts.length} texts although the vector files were fresh`);
    },
  };
}

/** Dates the vector files a minute before the catalogue, as if the catalogue was rewritten since. */
function ageVectorFiles(dir: string) {
  const earlier = new Date(statSync(path.join(dir, "meta.json")).mtimeMs - 60_000);
  for (const file of [movieFile(dir), seriesFile(dir)]) utimesSync(file, earlier, earlier);
}

function expectNewerThanCatalogue(dir: string) {
  const meta = statSync(path.join(dir, "meta.json")).mtimeMs;
  for (const time of mtimes(dir)) expect(time).toBeGreaterThanOrEqual(meta);
}

describe("building the vector files", () => {
  it("keeps MARQUEE_VECTOR_DIMS dimensions, projected alike for movies and series, and rebuilds files of other dimensions", async () => {
    const { dir, cache } = await freshCatalog("projected");
    vi.stubEnv("MARQUEE_VECTOR_DIMS", "6");
    try {
      const built = await buildCatalogVectors({ catalogDir: dir, embedder: fakeEmbedder().embedder, cacheDir: cache, log: quiet });
      expect([built.movies.dims, built.series.dims]).toEqual([6, 6]);
      expect((await readVectorsParquet(movieFile(dir))).dims).toBe(6);
      vi.stubEnv("MARQUEE_VECTOR_DIMS", "0");
      const lines: string[] = [];
      const full = await catalogVectorFiles({ catalogDir: dir, embedder: fakeEmbedder().embedder, cacheDir: cache, log: (line) => lines.push(line) });
      expect(full.movies.dims).toBe(16);
      expect(lines.join("\n")).toContain("they have 6 dimensions, MARQUEE_VECTOR_DIMS asks for 16");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("refuses a MARQUEE_VECTOR_DIMS that is not a whole number", () => {
    vi.stubEnv("MARQUEE_VECTOR_DIMS", "12.5");
    try {
      expect(() => vectorDims(512)).toThrow(/MARQUEE_VECTOR_DIMS must be a whole number, got 12.5/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("writes id, embedder_id, scale and an int8 vector per title, in catalogue order", async () => {
    const { dir, cache } = await freshCatalog("columns");
    await buildCatalogVectors({ catalogDir: dir, embedder: fakeEmbedder().embedder, cacheDir: cache, log: quiet });
    const ids = await storedIds(dir);
    const db = await connectDuckDB();
    try {
      for (const [file, expected] of [
        [movieFile(dir), ids.movies],
        [seriesFile(dir), ids.series],
      ] as const) {
        const schema = (await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(file)})`)).getRowObjectsJS();
        expect(schema.map((c) => [c.column_name, c.column_type])).toEqual([
          ["id", "INTEGER"],
          ["embedder_id", "VARCHAR"],
          ["scale", "FLOAT"],
          ["vector", "TINYINT[]"],
        ]);
        const rows = (await db.runAndReadAll(`SELECT id, embedder_id, len(vector)::INTEGER AS dims FROM read_parquet(${sqlPath(file)})`)).getRowObjectsJS();
        expect(rows.map((r) => r.id)).toEqual(expected);
        expect(new Set(rows.map((r) => r.embedder_id))).toEqual(new Set(["test:fake"]));
        expect(new Set(rows.map((r) => r.dims))).toEqual(new Set([16]));
      }
    } finally {
      db.closeSync();
    }
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("embeds nothing when built again over an unchanged catalogue", async () => {
    const { dir, cache } = await freshCatalog("second");
    const first = fakeEmbedder();
    const built = await buildCatalogVectors({ catalogDir: dir, embedder: first.embedder, cacheDir: cache, log: quiet });
    expect(built.embedded).toBe(catalog.movies.length + catalog.series.length);
    const second = fakeEmbedder();
    const rebuilt = await buildCatalogVectors({ catalogDir: dir, embedder: second.embedder, cacheDir: cache, log: quiet });
    expect(second.counter.texts).toBe(0);
    expect(rebuilt.embedded).toBe(0);
    expect(Array.from((await readVectorsParquet(movieFile(dir))).data)).toEqual(Array.from(built.movies.data));
  });
});

describe("reusing the vector files", () => {
  it("reads files newer than the catalogue without embedding or rewriting them", async () => {
    const { dir, cache } = await freshCatalog("fresh");
    await buildCatalogVectors({ catalogDir: dir, embedder: fakeEmbedder().embedder, cacheDir: cache, log: quiet });
    const before = mtimes(dir);
    const files = await catalogVectorFiles({ catalogDir: dir, embedder: mustNotEmbed(), cacheDir: cache, log: quiet });
    expect(files.built).toBe(false);
    expect(files.movies.ids).toEqual((await storedIds(dir)).movies);
    expect(mtimes(dir)).toEqual(before);
  });

  it("rebuilds files older than the catalogue", async () => {
    const { dir, cache } = await freshCatalog("older");
    await buildCatalogVectors({ catalogDir: dir, embedder: fakeEmbedder().embedder, cacheDir: cache, log: quiet });
    ageVectorFiles(dir);
    const lines: string[] = [];
    const files = await catalogVectorFiles({ catalogDir: dir, embedder: fakeEmbedder().embedder, cacheDir: cache, log: (l) => lines.push(l) });
    expect(files.built).toBe(true);
    expect(lines.join("\n")).toMatch(/older than the catalogue/);
    expectNewerThanCatalogue(dir);
  });

  it("rebuilds files made with another embedder than the configured one", async () => {
    const { dir, cache } = await freshCatalog("other-embedder");
    await buildCatalogVectors({ catalogDir: dir, embedder: fakeEmbedder().embedder, cacheDir: cache, log: quiet });
    const other = fakeEmbedder({ id: "test:other" });
    const files = await catalogVectorFiles({ catalogDir: dir, embedder: other.embedder, cacheDir: cache, log: quiet });
    expect(files.built).toBe(true);
    expect(other.counter.texts).toBe(catalog.movies.length + catalog.series.length);
    expect((await readVectorsParquet(seriesFile(dir))).embedderId).toBe("test:other");
  });

  it("lets the engine recommend from the files, embedding nothing", async () => {
    const { dir, cache } = await freshCatalog("engine");
    await buildCatalogVectors({ catalogDir: dir, embedder: fakeEmbedder().embedder, cacheDir: cache, log: quiet });
    const engine = await openEngine({ catalogDir: dir, embedder: mustNotEmbed(), log: quiet });
    try {
      expect(engine.vectors.embedderId).toBe("test:fake");
      expect(engine.vectors.movies.ids).toEqual((await storedIds(dir)).movies);
      const result = await engine.recommend({ series: [201], limit: 3, useLlm: false });
      expect(result.picks).toHaveLength(3);
    } finally {
      engine.close();
    }
  });
});

describe("the site archive and the vector files", () => {
  const saved: Record<string, string | undefined> = {};
  const names = ["MARQUEE_CATALOG_DIR", "MARQUEE_CACHE_DIR", "TMDB_API_KEY", "TMDB_READ_TOKEN"];
  let dir: string;

  beforeEach(async (context) => {
    for (const name of names) saved[name] = process.env[name];
    const root = path.join(work, `site-${context.task.id}`);
    dir = path.join(root, "catalog");
    await writeCatalog(dir, catalog);
    process.env.MARQUEE_CATALOG_DIR = dir;
    process.env.MARQUEE_CACHE_DIR = path.join(root, "cache");
    delete process.env.TMDB_API_KEY;
    delete process.env.TMDB_READ_TOKEN;
  });

  afterEach(() => {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  function shippedVectors(archive: Uint8Array) {
    const into = mkdtempSync(path.join(work, "untar-"));
    execFileSync("tar", ["-xf", "-", "-C", into], { input: archive });
    return {
      vectors: decodeVectors(new Uint8Array(readFileSync(path.join(into, "vectors.arrow"))))!,
      meta: JSON.parse(readFileSync(path.join(into, "meta.json"), "utf8")),
    };
  }

  const archive = (embedder: Embedder) => buildSiteArchive({ embedder, picks: async () => [], log: quiet });

  it("ships the vectors of fresh files as they are, without rebuilding them", async () => {
    const built = await buildCatalogVectors({ embedder: fakeEmbedder().embedder, log: quiet });
    expect(built.dir).toBe(dir);
    const before = mtimes(dir);
    const { vectors, meta } = shippedVectors(await archive(mustNotEmbed()));
    expect(mtimes(dir)).toEqual(before);
    expect(meta.embedder).toEqual({ id: "test:fake", dims: 16 });
    expect(vectors.movies.ids).toEqual(built.movies.ids);
    expect(Array.from(vectors.movies.data)).toEqual(Array.from(built.movies.data));
    expect(Array.from(vectors.series.scales)).toEqual(Array.from(built.series.scales));
  });

  it("builds missing files before shipping", async () => {
    const { meta } = shippedVectors(await archive(fakeEmbedder().embedder));
    expect(meta.embedder.id).toBe("test:fake");
    expect((await readVectorsParquet(movieFile(dir))).ids).toEqual((await storedIds(dir)).movies);
  });

  it("rebuilds files older than the catalogue before shipping, from the vector cache", async () => {
    await buildCatalogVectors({ embedder: fakeEmbedder().embedder, log: quiet });
    ageVectorFiles(dir);
    const again = fakeEmbedder();
    await archive(again.embedder);
    expect(again.counter.texts).toBe(0);
    expectNewerThanCatalogue(dir);
  });

  it("rebuilds files of another embedder and ships the configured embedder's vectors", async () => {
    await buildCatalogVectors({ embedder: fakeEmbedder().embedder, log: quiet });
    const { vectors, meta } = shippedVectors(await archive(fakeEmbedder({ id: "test:other" }).embedder));
    expect(meta.embedder.id).toBe("test:other");
    expect(vectors.series.embedderId).toBe("test:other");
    expect((await readVectorsParquet(movieFile(dir))).embedderId).toBe("test:other");
  });
});

describe("npm run data:vectors", () => {
  const run = promisify(execFile);

  it("writes both files with the configured embedder's id and reports what it embedded", async () => {
    const { dir, cache } = await freshCatalog("cli");
    const { stderr } = await run(path.resolve("node_modules/.bin/tsx"), ["scripts/vectors.ts", "--catalog", dir], {
      env: { ...process.env, EMBEDDING_BACKEND: "energetic", MARQUEE_CACHE_DIR: cache },
    });
    expect(stderr).toMatch(new RegExp(`wrote ${catalog.movies.length} movie and ${catalog.series.length} series vectors \\(${ENERGETIC_EMBEDDER_ID}, int8\\)`));
    expect(stderr).toContain(`${catalog.movies.length + catalog.series.length} texts embedded`);
    const series = await readVectorsParquet(seriesFile(dir));
    expect(series.embedderId).toBe(ENERGETIC_EMBEDDER_ID);
    // The offline encoder's 512 dimensions, projected to the default.
    expect(series.dims).toBe(DEFAULT_VECTOR_DIMS);
  }, 60_000);

  it("refuses unknown arguments with its usage", async () => {
    await expect(run(path.resolve("node_modules/.bin/tsx"), ["scripts/vectors.ts", "--catalogue", "x"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/usage: npm run data:vectors -- \[--catalog DIR\]/),
    });
  }, 60_000);
});
