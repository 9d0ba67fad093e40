// Writes precompressed siblings (`x.wasm.br`, `x.wasm.gz`) beside the compressible files of
// a built site, so that scripts/serve.ts can send compressed bytes without compressing on
// every request. Runs after every `npm run build` (package.json's postbuild).
//
//   tsx scripts/compress-site.ts [dir]      (default: $MARQUEE_SITE_OUTPUT, else dist)
//
// Idempotent: a file whose siblings are both newer than itself is left alone, so running it
// on a site that is already compressed costs only a few stats per file.
import { existsSync, statSync } from "node:fs";
import { readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Extensions worth compressing; images, Parquet and fonts are compressed already. */
export const COMPRESSIBLE_EXTENSIONS: ReadonlySet<string> = new Set([
  ".wasm",
  ".js",
  ".mjs",
  ".css",
  ".html",
  ".json",
  ".arrow",
  ".svg",
  ".csv",
  ".txt",
]);

// Measured on DuckDB-WASM's 34 MB duckdb-eh.wasm (one core, fastest of 2-3 runs): brotli q4
// 6.76 MB in 0.4 s, q5 6.19 MB in 1.0 s, q7 6.01 MB in 1.6 s, q9 5.92 MB in 3.5 s; gzip -6
// 7.71 MB in 0.8 s, -9 7.68 MB in 1.0 s. Past q7 each 1% costs seconds on every build.
export const DEFAULT_BROTLI_QUALITY = 7;
export const DEFAULT_GZIP_LEVEL = 9;
/** Below this a file fits in the first TCP packets anyway. */
export const DEFAULT_MIN_BYTES = 1024;
/** A sibling must be at least this much smaller than the original to be worth a file. */
export const DEFAULT_MIN_SAVING = 0.1;

export type Encoding = "br" | "gzip";
const SUFFIX: Record<Encoding, string> = { br: ".br", gzip: ".gz" };

export interface CompressOptions {
  brotliQuality?: number;
  gzipLevel?: number;
  minBytes?: number;
  minSaving?: number;
  /** Files compressed at once (each runs brotli and gzip in parallel); default: CPU count. */
  concurrency?: number;
  /** Progress lines; default: stderr. */
  log?: (line: string) => void;
}

export interface FileOutcome {
  /** Path relative to the site folder, with forward slashes. */
  file: string;
  bytes: number;
  /** Sibling sizes written (absent: no sibling for that encoding). */
  br?: number;
  gzip?: number;
  /** Why no sibling was written, or "fresh" when the existing siblings were kept. */
  skipped?: "small" | "incompressible" | "fresh";
}

export interface CompressReport {
  dir: string;
  files: FileOutcome[];
  /** Sum of the originals that got at least one sibling, and of their siblings. */
  bytes: number;
  brBytes: number;
  gzipBytes: number;
  ms: number;
}

export class CompressSiteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CompressSiteError";
  }
}

export function isCompressible(file: string): boolean {
  return COMPRESSIBLE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter(isCompressible);
}

async function mtimeOrNull(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return null;
  }
}

// Temp name is a dotfile: the server never serves dotfiles, so a half-written sibling left
// by a crash is invisible.
async function writeAtomic(target: string, data: Uint8Array): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  await writeFile(temp, data);
  await rename(temp, target);
}

async function removeIfPresent(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

function encoders(options: CompressOptions): Record<Encoding, (data: Buffer) => Promise<Buffer>> {
  const quality = options.brotliQuality ?? DEFAULT_BROTLI_QUALITY;
  const level = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  return {
    br: (data) =>
      brotliAsync(data, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: quality,
          [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        },
      }),
    gzip: (data) => gzipAsync(data, { level }),
  };
}

async function compressFile(abs: string, rel: string, options: CompressOptions, encode: ReturnType<typeof encoders>): Promise<FileOutcome> {
  const minBytes = options.minBytes ?? DEFAULT_MIN_BYTES;
  const minSaving = options.minSaving ?? DEFAULT_MIN_SAVING;
  const { size, mtimeMs } = await stat(abs);
  const siblings = { br: abs + SUFFIX.br, gzip: abs + SUFFIX.gzip };
  if (size < minBytes) {
    await Promise.all([removeIfPresent(siblings.br), removeIfPresent(siblings.gzip)]);
    return { file: rel, bytes: size, skipped: "small" };
  }
  const [brTime, gzipTime] = await Promise.all([mtimeOrNull(siblings.br), mtimeOrNull(siblings.gzip)]);
  // Strictly newer: file times tick coarsely (a few ms), so a file rewritten right after its
  // sibling can carry the very same time.
  if (brTime !== null && gzipTime !== null && brTime > mtimeMs && gzipTime > mtimeMs) {
    return { file: rel, bytes: size, skipped: "fresh" };
  }
  const data = await readFile(abs);
  const outcome: FileOutcome = { file: rel, bytes: size };
  await Promise.all(
    (Object.keys(siblings) as Encoding[]).map(async (encoding) => {
      const packed = await encode[encoding](data);
      if (packed.length <= size * (1 - minSaving)) {
        await writeAtomic(siblings[encoding], packed);
        outcome[encoding] = packed.length;
      } else {
        // A sibling from an earlier build of different content must not outlive it.
        await removeIfPresent(siblings[encoding]);
      }
    }),
  );
  if (outcome.br === undefined && outcome.gzip === undefined) outcome.skipped = "incompressible";
  return outcome;
}

/** Writes `.br` and `.gz` siblings for the compressible files under `dir`. */
export async function compressSite(dir: string, options: CompressOptions = {}): Promise<CompressReport> {
  const root = path.resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new CompressSiteError(`cannot compress ${root}: not a directory; build the site first (npm run build)`);
  }
  const started = performance.now();
  const encode = encoders(options);
  const files = await listFiles(root);
  // Largest first, so the WebAssembly module starts at once and the small files fill in.
  const sized = await Promise.all(files.map(async (file) => ({ file, size: (await stat(file)).size })));
  sized.sort((a, b) => b.size - a.size);
  const outcomes: FileOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < sized.length) {
      const { file } = sized[next++];
      const rel = path.relative(root, file).split(path.sep).join("/");
      try {
        outcomes.push(await compressFile(file, rel, options, encode));
      } catch (error) {
        throw new CompressSiteError(`could not compress ${file}: ${(error as Error).message}`, { cause: error });
      }
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  await Promise.all(Array.from({ length: Math.min(concurrency, sized.length) }, worker));
  outcomes.sort((a, b) => a.file.localeCompare(b.file));
  const written = outcomes.filter((o) => o.br !== undefined || o.gzip !== undefined);
  const report: CompressReport = {
    dir: root,
    files: outcomes,
    bytes: written.reduce((sum, o) => sum + o.bytes, 0),
    brBytes: written.reduce((sum, o) => sum + (o.br ?? 0), 0),
    gzipBytes: written.reduce((sum, o) => sum + (o.gzip ?? 0), 0),
    ms: performance.now() - started,
  };
  (options.log ?? ((line) => process.stderr.write(`${line}\n`)))(summarise(report));
  return report;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function summarise(report: CompressReport): string {
  const count = (kind: FileOutcome["skipped"]) => report.files.filter((o) => o.skipped === kind).length;
  const written = report.files.filter((o) => o.br !== undefined || o.gzip !== undefined).length;
  const parts = [written ? `compress-site: ${written} files (${mb(report.bytes)}) -> br ${mb(report.brBytes)}, gzip ${mb(report.gzipBytes)}` : "compress-site: nothing new to compress"];
  const skipped = [`${count("fresh")} already compressed`, `${count("small")} too small`, `${count("incompressible")} incompressible`].filter((s) => !s.startsWith("0 "));
  if (skipped.length) parts.push(`skipped ${skipped.join(", ")}`);
  return `${parts.join("; ")}; ${(report.ms / 1000).toFixed(1)} s in ${report.dir}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = process.argv[2] ?? process.env.MARQUEE_SITE_OUTPUT ?? "dist";
  compressSite(dir).catch((error) => {
    console.error(`compress-site: ${(error as Error).message}`);
    process.exit(1);
  });
}
