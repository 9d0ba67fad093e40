// npm run data:vectors -- [--catalog DIR]: embeds the catalogue (vector cache first) into the
// int8 vector files beside it, ahead of a site build. Exit codes: 0 written, 1 failure, 2 bad arguments.
import { parseArgs } from "node:util";
import { buildCatalogVectors } from "../loaders/vectors/files.ts";

const USAGE = "usage: npm run data:vectors -- [--catalog DIR]";

class UsageError extends Error {}

function parseCli(argv: string[]): { catalog?: string } {
  try {
    const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { catalog: { type: "string" } } });
    return { catalog: values.catalog };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; ${USAGE}`);
  }
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
  const started = performance.now();
  const result = await buildCatalogVectors({ catalogDir: args.catalog });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(
    `vectors: wrote ${result.movies.ids.length} movie and ${result.series.ids.length} series vectors (${result.embedderId}, int8) ` +
      `to ${result.dir}; ${result.embedded} texts embedded, the rest from the cache; ${seconds} s\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`vectors: failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
