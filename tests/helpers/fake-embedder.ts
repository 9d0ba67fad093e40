// A stand-in embedder for cache and pipeline tests: each text's vector is a deterministic
// function of the text (seeded by its hash), calls can be slowed down so concurrent runs
// interleave, and every call is counted.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Embedder } from "../../loaders/vectors/embedders.ts";
import { randomUnitVector, seededRandom } from "../fixtures/synthetic-vectors.ts";

export interface FakeEmbedderOptions {
  id?: string;
  dims?: number;
  /** Milliseconds each embed call waits before answering. */
  delayMs?: number;
}

export function fakeVector(text: string, dims: number): Float32Array {
  const seed = createHash("sha256").update(text).digest().readUInt32LE(0);
  return randomUnitVector(dims, seededRandom(seed));
}

export function fakeEmbedder(options: FakeEmbedderOptions = {}) {
  const { id = "test:fake", dims = 16, delayMs = 0 } = options;
  const counter = { calls: 0, texts: 0, embedded: [] as string[] };
  const embedder: Embedder = {
    id,
    dims,
    embed: async (texts) => {
      counter.calls++;
      counter.texts += texts.length;
      counter.embedded.push(...texts);
      if (delayMs > 0) await sleep(delayMs);
      return texts.map((t) => fakeVector(t, dims));
    },
  };
  return { embedder, counter };
}
