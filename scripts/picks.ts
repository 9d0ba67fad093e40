// npm run data:picks -- [--catalog DIR] [--out FILE] [--limit N]: precomputes the top picks
// with reasons for the LLM_PRECOMPUTE_LIMIT (or N) most popular series, then LLM picks for the
// rest of the catalogue in popularity order within today's allowance
// (LLM_PRECOMPUTE_REQUESTS_PER_DAY, LLM_PRECOMPUTE_TOKENS_PER_DAY), written to
// <catalogue>/picks.parquet (LLM when configured, else the deterministic fallback ranker).
// Exit codes: 0 written, 1 failure, 2 bad arguments.
import path from "node:path";
import { parseArgs } from "node:util";
import { openEngine } from "../loaders/engine.ts";
import { createLlmClient } from "../loaders/llm/client.ts";
import { formatWait } from "../loaders/llm/pacing.ts";
import { engineShortlister, precomputePicks, precomputePlan } from "../loaders/picks/precompute.ts";
import { PICKS_FILE, writePicksParquet } from "../loaders/picks/store.ts";
import { cacheDir } from "../loaders/shared/config.ts";

const USAGE = "usage: npm run data:picks -- [--catalog DIR] [--out FILE] [--limit N]";

class UsageError extends Error {}

function parseCli(argv: string[]): { catalog?: string; out?: string; limit?: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { catalog: { type: "string" }, out: { type: "string" }, limit: { type: "string" } },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; ${USAGE}`);
  }
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number, got "${values.limit}"; ${USAGE}`);
  }
  return { catalog: values.catalog, out: values.out, limit };
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const engine = await openEngine({ catalogDir: args.catalog, log });
  try {
    const plan = args.limit === undefined ? precomputePlan(engine) : precomputePlan(engine, args.limit);
    const client = createLlmClient({ log });
    if (client) log(`[picks] ${plan.seriesIds.length} series, then up to ${plan.moreSeriesIds.length} more within today's allowance, with ${client.model}; answers cached under ${path.join(cacheDir(), "llm")}`);
    const { rows, stats } = await precomputePicks({ ...plan, shortlistFor: engineShortlister(engine), client, cacheDir: cacheDir(), log });
    const file = path.resolve(args.out ?? path.join(engine.dir, PICKS_FILE));
    await writePicksParquet(rows, file);
    log(
      `[picks] wrote ${rows.length} picks for ${stats.series} series to ${file}: ${stats.llm} from the LLM (${stats.cacheHits} cached, ${stats.calls} calls), ${stats.fallback} fallback, ${formatWait(stats.wallMs)}`,
    );
  } finally {
    engine.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[picks] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
