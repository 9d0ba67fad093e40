// On-disk cache of embeddings, keyed by embedder id + sha256 of the text, so a rebuild
// embeds only texts it has never seen. One binary file per embedder id under
// cacheDir()/vectors/; vectors of different embedders never share a file.
//
// File layout (little-endian), chosen so 12k x 512 floats load with one read and no parsing:
//   "MQVC1\n" | u32 header length | header JSON {embedderId, dims, count} | zero padding to 4 bytes
//   | count x 32-byte sha256 keys | count x dims float32
import { createHash } from "node:crypto";
//
// Several processes may embed into the same file at once (parallel data loaders, a CLI run
// beside a build). Every save therefore merges what is on disk into what it holds, under
// a short lock, before the atomic rename: no writer drops another's vectors.
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { cacheDir } from "../shared/config.ts";
import { progressReporter, type Embedder } from "./embedders.ts";
import { withFileLock } from "../shared/file-lock.ts";

const MAGIC = Buffer.from("MQVC1\n");
const KEY_BYTES = 32;

export interface VectorCacheOptions {
  /** Directory holding the cache files. Default: cacheDir()/vectors. */
  dir?: string;
  /** Texts sent to the embedder per call. Default 256. */
  chunkSize?: number;
  /** New vectors are saved at least this often, so an interrupted run keeps its work. Default 30. */
  checkpointSeconds?: number;
  /** Where progress lines go. Default: stderr. */
  log?: (line: string) => void;
}

export class VectorCacheError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "VectorCacheError";
  }
}

export function textKey(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The cache file for an embedder id: readable slug plus a hash, so distinct ids never collide. */
export function vectorCacheFile(dir: string, embedderId: string): string {
  const slug = embedderId.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  const hash = createHash("sha256").update(embedderId).digest("hex").slice(0, 12);
  return path.join(dir, `${slug}-${hash}.bin`);
}

interface CacheContents {
  dims: number;
  vectors: Map<string, Float32Array>;
}

export async function readVectorCache(file: string, embedderId: string): Promise<CacheContents | undefined> {
  if (!existsSync(file)) return undefined;
  const bytes = await readFile(file);
  try {
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error("not a vector cache file");
    const headerLength = bytes.readUInt32LE(MAGIC.length);
    const headerStart = MAGIC.length + 4;
    const header = JSON.parse(bytes.toString("utf8", headerStart, headerStart + headerLength)) as {
      embedderId: string;
      dims: number;
      count: number;
    };
    if (header.embedderId !== embedderId) throw new Error(`holds vectors of ${header.embedderId}`);
    const keysStart = align4(headerStart + headerLength);
    const dataStart = keysStart + header.count * KEY_BYTES;
    const dataBytes = header.count * header.dims * 4;
    if (bytes.length !== dataStart + dataBytes) throw new Error("truncated");
    // Copy into a fresh aligned buffer: Float32Array views need 4-byte alignment.
    const data = new Float32Array(header.count * header.dims);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + dataBytes));
    const vectors = new Map<string, Float32Array>();
    for (let i = 0; i < header.count; i++) {
      const key = bytes.toString("hex", keysStart + i * KEY_BYTES, keysStart + (i + 1) * KEY_BYTES);
      vectors.set(key, data.subarray(i * header.dims, (i + 1) * header.dims));
    }
    return { dims: header.dims, vectors };
  } catch (error) {
    throw new VectorCacheError(
      `vector cache ${file} is unreadable (${(error as Error).message}); delete it and rebuild`,
      { cause: error },
    );
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

export async function writeVectorCache(file: string, embedderId: string, contents: CacheContents): Promise<void> {
  const { dims, vectors } = contents;
  const header = Buffer.from(JSON.stringify({ embedderId, dims, count: vectors.size }), "utf8");
  const keysStart = align4(MAGIC.length + 4 + header.length);
  const dataStart = keysStart + vectors.size * KEY_BYTES;
  const out = Buffer.alloc(dataStart + vectors.size * dims * 4);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  const data = new Float32Array(vectors.size * dims);
  let i = 0;
  for (const [key, vector] of vectors) {
    out.write(key, keysStart + i * KEY_BYTES, KEY_BYTES, "hex");
    data.set(vector, i * dims);
    i++;
  }
  Buffer.from(data.buffer).copy(out, dataStart);
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temp, out);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new VectorCacheError(`could not write vector cache ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Identity of the file's current version; a rename by another writer changes it. */
async function fileVersion(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function checkDims(file: string, embedder: Embedder, dims: number): void {
  if (dims !== embedder.dims) {
    throw new VectorCacheError(
      `vector cache ${file} has ${dims}-d vectors but ${embedder.id} gives ${embedder.dims}-d; delete the file and rebuild`,
    );
  }
}

/**
 * Saves `contents` to `file` without losing vectors another process saved meanwhile: under
 * the file's lock, whatever is on disk (when it changed since `seen`) is merged into
 * `contents` first. Returns the version written, the next call's `seen`.
 */
async function saveMerged(file: string, embedder: Embedder, contents: CacheContents, seen: string | undefined): Promise<string | undefined> {
  return withFileLock(`${file}.lock`, async () => {
    const version = await fileVersion(file);
    if (version !== undefined && version !== seen) {
      const onDisk = await readVectorCache(file, embedder.id);
      if (onDisk) {
        checkDims(file, embedder, onDisk.dims);
        for (const [key, vector] of onDisk.vectors) if (!contents.vectors.has(key)) contents.vectors.set(key, vector);
      }
    }
    await writeVectorCache(file, embedder.id, contents);
    return fileVersion(file);
  });
}

/**
 * Embeds `texts` with `embedder`, reusing cached vectors; only texts not seen before with
 * this embedder id are sent to it (each distinct text once). Returns one vector per text.
 */
export async function embedWithCache(
  embedder: Embedder,
  texts: string[],
  options: VectorCacheOptions = {},
): Promise<Float32Array[]> {
  const file = vectorCacheFile(options.dir ?? path.join(cacheDir(), "vectors"), embedder.id);
  // Version before contents: if the file is replaced in between, the next save merges again.
  let seen = await fileVersion(file);
  const cached = await readVectorCache(file, embedder.id);
  if (cached) checkDims(file, embedder, cached.dims);
  const contents: CacheContents = cached ?? { dims: embedder.dims, vectors: new Map() };
  const keys = texts.map(textKey);
  const missing = new Map<string, string>();
  keys.forEach((key, i) => {
    if (!contents.vectors.has(key)) missing.set(key, texts[i]);
  });
  const pending = [...missing];
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const chunk = Math.max(1, options.chunkSize ?? 256);
  if (pending.length > chunk) {
    log(`vectors: embedding ${pending.length} new texts with ${embedder.id} (${contents.vectors.size} cached)`);
  }
  const report = progressReporter(`vectors ${embedder.id}`, pending.length, log);
  let lastSave = Date.now();
  for (let start = 0; start < pending.length; start += chunk) {
    const part = pending.slice(start, start + chunk);
    const vectors = await embedder.embed(part.map(([, text]) => text));
    if (vectors.length !== part.length) {
      throw new VectorCacheError(`${embedder.id} returned ${vectors.length} vectors for ${part.length} texts`);
    }
    part.forEach(([key], i) => {
      if (vectors[i].length !== embedder.dims) {
        throw new VectorCacheError(`${embedder.id} returned a ${vectors[i].length}-d vector, expected ${embedder.dims}`);
      }
      contents.vectors.set(key, vectors[i]);
    });
    const done = start + part.length;
    if (done === pending.length || Date.now() - lastSave >= (options.checkpointSeconds ?? 30) * 1000) {
      seen = await saveMerged(file, embedder, contents, seen);
      lastSave = Date.now();
    }
    report(done);
  }
  return keys.map((key) => contents.vectors.get(key)!);
}
