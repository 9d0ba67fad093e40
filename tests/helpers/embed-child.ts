// Child process for the cross-process vector cache test: prints "ready", waits for a line on
// stdin (so sibling processes start embedding together), embeds the texts in a JSON file
// through the cache with a slow fake embedder, checkpointing after every chunk, and prints
// how many texts it embedded.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { embedWithCache } from "../../loaders/vectors/cache.ts";
import { fakeEmbedder } from "./fake-embedder.ts";

const [dir, textsFile, id] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(textsFile, "utf8")) as string[];
const { embedder, counter } = fakeEmbedder({ id, delayMs: 10 });
process.stdout.write("ready\n");
await once(process.stdin, "data");
process.stdin.pause();
await embedWithCache(embedder, texts, { dir, chunkSize: 2, checkpointSeconds: 0, log: () => {} });
process.stdout.write(`embedded ${counter.texts}\n`);
