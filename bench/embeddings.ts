// Embedding throughput per available backend, on real TMDB overviews.
// Usage: node_modules/.bin/tsx bench/embeddings.ts [texts=256]
// Prints one JSON line on stdout; progress on stderr. The transformers figure is reported only
// for the real configured model found locally (never for the tiny test model).
import path from "node:path";
import { cacheDir, setting } from "../loaders/shared/config.ts";
import {
  createEnergeticEmbedder,
  createTransformersEmbedder,
  DEFAULT_EMBEDDING_MODEL,
  findLocalModel,
  type Embedder,
} from "../loaders/vectors/embedders.ts";
import { rawMovieTexts, RAW_TOP10K } from "./raw-overviews.ts";

const count = Number(process.argv[2] ?? 256);
const texts = await rawMovieTexts(count);
if (!texts) {
  console.log(JSON.stringify({ bench: "embeddings", skipped: `raw data absent: ${RAW_TOP10K}` }));
  process.exit(0);
}

async function measure(create: () => Promise<Embedder>, batchSizes: number[]) {
  const loadStart = performance.now();
  const first = await create();
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const runs: Record<string, number> = {};
  for (const batchSize of batchSizes) {
    const embedder = batchSize === batchSizes[0] ? first : await create();
    await embedder.embed(texts!.slice(0, 8)); // warm-up
    const start = performance.now();
    const chunks: string[][] = [];
    for (let i = 0; i < texts!.length; i += batchSize) chunks.push(texts!.slice(i, i + batchSize));
    for (const chunk of chunks) await embedder.embed(chunk);
    runs[`batch${batchSize}`] = Number((texts!.length / ((performance.now() - start) / 1000)).toFixed(1));
    process.stderr.write(`${embedder.id} batch ${batchSize}: ${runs[`batch${batchSize}`]} texts/s\n`);
  }
  return { id: first.id, dims: first.dims, loadSeconds: Number(loadSeconds.toFixed(2)), textsPerSecond: runs };
}

const model = setting("EMBEDDING_MODEL") ?? DEFAULT_EMBEDDING_MODEL;
const modelsDir = path.resolve(setting("MARQUEE_MODELS_DIR") ?? "data/models");
const local = findLocalModel([modelsDir, path.join(cacheDir(), "models")], model, "q8");

const result = {
  bench: "embeddings",
  texts: texts.length,
  meanChars: Math.round(texts.reduce((n, t) => n + t.length, 0) / texts.length),
  energetic: await measure(() => createEnergeticEmbedder(), [64, 128]),
  transformers: local
    ? await measure(() => createTransformersEmbedder({ model, allowRemote: false, batchSize: 32 }), [32])
    : { available: false, reason: `${model} (q8) not found in ${modelsDir} or the download cache` },
};
console.log(JSON.stringify(result));
