import { existsSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Catalog, Movie, Series } from "../../../lib/catalog.ts";
import {
  createEmbedder,
  createEnergeticEmbedder,
  ENERGETIC_EMBEDDER_ID,
  EmbedderUnavailableError,
  type Embedder,
} from "../../../loaders/vectors/embedders.ts";
import { dequantizeRow, dot, embeddingText, normalise, quantizeInt8, type VectorSet } from "../../../lib/vectors.ts";
import { embedWithCache, vectorCacheFile } from "../../../loaders/vectors/cache.ts";
import { loadCatalogVectors, readVectorsParquet, writeVectorsParquet } from "../../../loaders/vectors/catalog-vectors.ts";
import { buildTinyModel, type TinyModel } from "../../helpers/tiny-model.ts";

const tempDir = (prefix: string) => mkdtemp(path.join(tmpdir(), `marquee-${prefix}-`));

/** A loopback port with nothing listening, so a download attempt is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function norm(v: Float32Array): number {
  return Math.sqrt(dot(v, 0, v, 0, v.length));
}

/** Wraps a real embedder to count the texts it is asked to embed (and optionally rename it). */
function counting(inner: Embedder, id = inner.id) {
  const counter = { texts: 0, calls: 0 };
  const embedder: Embedder = {
    id,
    dims: inner.dims,
    embed: async (texts) => {
      counter.calls++;
      counter.texts += texts.length;
      return inner.embed(texts);
    },
  };
  return { embedder, counter };
}

let tiny: TinyModel;
let tinyEmbedder: Embedder;

beforeAll(async () => {
  tiny = await buildTinyModel();
  tinyEmbedder = await createEmbedder({
    backend: "transformers",
    modelsDir: tiny.dir,
    model: tiny.name,
    dtype: "fp32",
    downloadDir: path.join(tiny.dir, "downloads"),
    allowRemote: false,
  });
});

describe("transformers backend on the tiny test model", () => {
  it("loads from the models directory and names itself by model and dtype", () => {
    expect(tinyEmbedder.id).toBe(`transformers:${tiny.name}:fp32`);
    expect(tinyEmbedder.dims).toBe(tiny.dims);
  });

  it("returns the normalised mean of the token embeddings, [CLS] and [SEP] included", async () => {
    const text = "A detective hunts the killer";
    const [vector] = await tinyEmbedder.embed([text]);
    const ids = tiny.tokenIds(text);
    const mean = new Float32Array(tiny.dims);
    for (const id of ids) for (let i = 0; i < tiny.dims; i++) mean[i] += tiny.table[id * tiny.dims + i] / ids.length;
    const expected = normalise(mean);
    expect(norm(vector)).toBeCloseTo(1, 5);
    for (let i = 0; i < tiny.dims; i++) expect(vector[i]).toBeCloseTo(expected[i], 5);
  });

  it("gives the same vectors in batches (with padding) as one text at a time", async () => {
    const texts = ["space", "a lost crew in the space ship", "love", "the killer in the city hunts", "detective"];
    const batched = await createEmbedder({
      backend: "transformers",
      modelsDir: tiny.dir,
      model: tiny.name,
      dtype: "fp32",
      allowRemote: false,
      batchSize: 2,
    });
    const together = await batched.embed(texts);
    const single = await Promise.all(texts.map(async (t) => (await tinyEmbedder.embed([t]))[0]));
    together.forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(single[i][j], 5)));
  });

  it("loads a copy downloaded earlier into the download directory without the network", async () => {
    const downloads = await tempDir("downloads");
    await buildTinyModel(downloads);
    const embedder = await createEmbedder({
      backend: "transformers",
      modelsDir: await tempDir("no-models"),
      downloadDir: downloads,
      model: tiny.name,
      dtype: "fp32",
      allowRemote: false,
    });
    const [vector] = await embedder.embed(["love"]);
    const [expected] = await tinyEmbedder.embed(["love"]);
    expect(Array.from(vector)).toEqual(Array.from(expected));
  });

  it("refuses with a clear error when the model is absent and downloading is not allowed", async () => {
    const empty = await tempDir("no-models");
    const attempt = createEmbedder({ backend: "transformers", modelsDir: empty, model: tiny.name, allowRemote: false });
    await expect(attempt).rejects.toThrow(EmbedderUnavailableError);
    await expect(attempt).rejects.toThrow(path.join(empty, tiny.name));
  });
});

describe("energetic backend", () => {
  let energetic: Embedder;
  beforeAll(async () => {
    energetic = await createEnergeticEmbedder();
  });

  it("gives 512-d unit vectors", async () => {
    const vectors = await energetic.embed(["A detective hunts a serial killer.", "Friends share a flat in New York."]);
    expect(energetic.id).toBe(ENERGETIC_EMBEDDER_ID);
    for (const v of vectors) {
      expect(v.length).toBe(512);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
  });

  it("scores related texts higher than unrelated ones", async () => {
    const [a, b, c] = await energetic.embed([
      "A detective investigates a string of murders in the city.",
      "Police officers hunt a serial killer through dark streets.",
      "A young chef opens a bakery and falls in love.",
    ]);
    expect(dot(a, 0, b, 0, 512)).toBeGreaterThan(dot(a, 0, c, 0, 512));
  });
});

describe("auto backend", () => {
  it("falls back to the offline encoder with one notice naming the cause and the fix", async () => {
    const lines: string[] = [];
    const empty = await tempDir("no-models");
    const started = Date.now();
    const embedder = await createEmbedder({
      backend: "auto",
      modelsDir: empty,
      downloadDir: path.join(empty, "downloads"),
      remoteHost: `http://127.0.0.1:${await closedPort()}/`,
      log: (line) => lines.push(line),
    });
    expect(embedder.id).toBe(ENERGETIC_EMBEDDER_ID);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("Xenova/all-MiniLM-L6-v2");
    expect(lines[0]).toContain(empty);
    expect(lines[0]).toContain(ENERGETIC_EMBEDDER_ID);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("uses the transformers model when a local copy exists", async () => {
    const lines: string[] = [];
    const embedder = await createEmbedder({
      backend: "auto",
      modelsDir: tiny.dir,
      model: tiny.name,
      dtype: "fp32",
      log: (line) => lines.push(line),
    });
    expect(embedder.id).toBe(`transformers:${tiny.name}:fp32`);
    expect(lines).toEqual([]);
  });
});

describe("vector cache", () => {
  const texts = ["a detective hunts a killer", "a lost space crew", "love in the city", "a lost space crew"];

  it("embeds each distinct text once, and nothing on a rerun with the same texts", async () => {
    const dir = await tempDir("vector-cache");
    const { embedder, counter } = counting(tinyEmbedder);
    const first = await embedWithCache(embedder, texts, { dir });
    expect(counter.texts).toBe(3);
    const second = await embedWithCache(embedder, texts, { dir });
    expect(counter.texts).toBe(3);
    expect(second.map((v) => Array.from(v))).toEqual(first.map((v) => Array.from(v)));
  });

  it("embeds only the new texts when the catalogue grows", async () => {
    const dir = await tempDir("vector-cache");
    const { embedder, counter } = counting(tinyEmbedder);
    await embedWithCache(embedder, texts, { dir });
    await embedWithCache(embedder, [...texts, "the ship"], { dir });
    expect(counter.texts).toBe(4);
  });

  it("keeps the chunks finished before an interrupted run", async () => {
    const dir = await tempDir("vector-cache");
    let calls = 0;
    const failing: Embedder = {
      ...tinyEmbedder,
      embed: async (batch) => {
        if (++calls === 2) throw new Error("interrupted");
        return tinyEmbedder.embed(batch);
      },
    };
    const distinct = [...new Set(texts)];
    await expect(embedWithCache(failing, distinct, { dir, chunkSize: 1, checkpointSeconds: 0, log: () => {} })).rejects.toThrow("interrupted");
    const { embedder, counter } = counting(tinyEmbedder);
    await embedWithCache(embedder, distinct, { dir });
    expect(counter.texts).toBe(distinct.length - 1);
  });

  it("keeps vectors of different embedder ids apart", async () => {
    const dir = await tempDir("vector-cache");
    const a = counting(tinyEmbedder, "test:a");
    const b = counting(tinyEmbedder, "test:b");
    await embedWithCache(a.embedder, texts, { dir });
    await embedWithCache(b.embedder, texts, { dir });
    expect(b.counter.texts).toBe(3);
    expect(vectorCacheFile(dir, "test:a")).not.toBe(vectorCacheFile(dir, "test:b"));
    expect((await readdir(dir)).sort()).toEqual(
      [path.basename(vectorCacheFile(dir, "test:a")), path.basename(vectorCacheFile(dir, "test:b"))].sort(),
    );
  });
});

function randomUnitSet(rows: number, dims: number, seed = 1): VectorSet {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const data = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) data.set(normalise(Array.from({ length: dims }, rand)), r * dims);
  return { embedderId: "test:random", dims, ids: Array.from({ length: rows }, (_, i) => 1000 + i), data };
}

describe("int8 quantisation", () => {
  it("keeps every value within half a step and every row's cosine above 0.999", () => {
    const set = randomUnitSet(50, 384);
    const q = quantizeInt8(set);
    for (let r = 0; r < 50; r++) {
      const row = dequantizeRow(q, r);
      for (let i = 0; i < 384; i++) expect(Math.abs(row[i] - set.data[r * 384 + i])).toBeLessThanOrEqual(q.scales[r] / 2 + 1e-7);
      expect(dot(normalise(row), 0, set.data, r * 384, 384)).toBeGreaterThan(0.999);
    }
  });
});

describe("vector Parquet files", () => {
  it("round-trip ids, embedder id, scales and int8 rows in order", async () => {
    const file = path.join(await tempDir("vectors"), "movies.vectors.parquet");
    const q = quantizeInt8(randomUnitSet(20, 16));
    await writeVectorsParquet(q, file);
    const back = await readVectorsParquet(file);
    expect(back.embedderId).toBe(q.embedderId);
    expect(back.dims).toBe(16);
    expect(back.ids).toEqual(q.ids);
    expect(Array.from(back.data)).toEqual(Array.from(q.data));
    expect(Array.from(back.scales)).toEqual(Array.from(q.scales));
    expect((await readdir(path.dirname(file))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("catalogue vectors", () => {
  const movie = (id: number, title: string, overview: string) => ({ id, title, overview }) as Movie;
  const series = (id: number, name: string, overview: string) => ({ id, name, overview }) as Series;
  const catalog = {
    movies: [movie(1, "Night City", "A detective hunts a killer."), movie(2, "Ship", "A lost crew in space.")],
    series: [series(10, "Love", "Love in the city.")],
    meta: {} as Catalog["meta"],
  } as Catalog;

  it("embeds title and overview of movies and series with one embedder, rows in catalogue order", async () => {
    const dir = await tempDir("vector-cache");
    const vectors = await loadCatalogVectors(catalog, { embedder: tinyEmbedder, cacheDir: dir });
    expect(vectors.embedderId).toBe(tinyEmbedder.id);
    expect(vectors.movies.ids).toEqual([1, 2]);
    expect(vectors.series.ids).toEqual([10]);
    const [expected] = await tinyEmbedder.embed([embeddingText("Love", "Love in the city.")]);
    expect(Array.from(vectors.series.data)).toEqual(Array.from(expected));
    expect(existsSync(vectorCacheFile(dir, tinyEmbedder.id))).toBe(true);
  });
});
