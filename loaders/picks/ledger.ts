// The precompute's daily LLM allowance, kept on disk so that several runs on one UTC day
// (a rebuild, a retried rebuild, `npm run data:picks`) share it: each run asks for the series
// not yet cached, in popularity order, until the day's requests or tokens are spent, and the
// next day's run carries on where it stopped. Only counts are stored, never a key or a prompt.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { numberSetting } from "../shared/config.ts";

export const LEDGER_FILE = "precompute-usage.json";

export interface DailyLimits {
  requestsPerDay: number;
  tokensPerDay: number;
}

/**
 * LLM_PRECOMPUTE_REQUESTS_PER_DAY (default 1000, Groq's free daily requests for gpt-oss-20b) and
 * LLM_PRECOMPUTE_TOKENS_PER_DAY (default 100,000: half of its free 200k tokens, the other half
 * left to the server's /api/picks, MARQUEE_LIVE_TOKENS_PER_DAY).
 */
export function dailyLimitsFromSettings(): DailyLimits {
  return {
    requestsPerDay: numberSetting("LLM_PRECOMPUTE_REQUESTS_PER_DAY", 1000),
    tokensPerDay: numberSetting("LLM_PRECOMPUTE_TOKENS_PER_DAY", 100_000),
  };
}

interface Usage {
  day: string;
  requests: number;
  tokens: number;
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class DailyLedger {
  private usage: Usage;

  private constructor(
    private readonly file: string,
    readonly limits: DailyLimits,
    private readonly now: () => number,
    usage: Usage,
  ) {
    this.usage = usage;
  }

  /** The ledger under `<cacheDir>/llm/`; a missing, torn or old file starts the day at zero. */
  static async open(cacheDir: string, limits: DailyLimits, now: () => number = Date.now): Promise<DailyLedger> {
    const file = path.join(cacheDir, "llm", LEDGER_FILE);
    const today = utcDay(now());
    let usage: Usage = { day: today, requests: 0, tokens: 0 };
    try {
      const stored = JSON.parse(await readFile(file, "utf8")) as Partial<Usage>;
      if (stored.day === today && Number.isFinite(stored.requests) && Number.isFinite(stored.tokens)) usage = { day: today, requests: stored.requests!, tokens: stored.tokens! };
    } catch {
      // no ledger yet, or unreadable: a fresh day
    }
    return new DailyLedger(file, limits, now, usage);
  }

  private today(): Usage {
    const day = utcDay(this.now());
    if (this.usage.day !== day) this.usage = { day, requests: 0, tokens: 0 };
    return this.usage;
  }

  get requests(): number {
    return this.today().requests;
  }

  get tokens(): number {
    return this.today().tokens;
  }

  /** Why no further request may go today, or null while the allowance lasts. */
  spent(): string | null {
    const usage = this.today();
    if (usage.requests >= this.limits.requestsPerDay) return `today's ${this.limits.requestsPerDay} precompute requests are spent (LLM_PRECOMPUTE_REQUESTS_PER_DAY)`;
    if (usage.tokens >= this.limits.tokensPerDay) return `today's ${this.limits.tokensPerDay} precompute tokens are spent (LLM_PRECOMPUTE_TOKENS_PER_DAY)`;
    return null;
  }

  /** Counts one answered request and saves the ledger (atomically: a killed run leaves the old file). */
  async record(tokens: number): Promise<void> {
    const usage = this.today();
    usage.requests += 1;
    usage.tokens += Math.max(0, Math.round(tokens));
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(usage) + "\n");
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
