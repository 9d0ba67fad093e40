// Client-side pacing for a rate-limited API: requests and tokens per rolling minute and day.
// Groq's free tier answers a burst with 429s; waiting here first costs the same time without
// spending retries. The clock is injected so tests and benchmarks can run a day in a millisecond.
import { LlmRateLimitError } from "../../lib/llm-errors.ts";

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * Real time plus every sleep skipped: work still takes its real duration, waits take none.
 * `now()` therefore reads what a wall clock would have shown had the waits been real.
 */
export class SimulatedClock implements Clock {
  private skipped = 0;
  sleeps = 0;
  now(): number {
    return Date.now() + this.skipped;
  }
  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    this.skipped += ms;
    this.sleeps += 1;
  }
  get skippedMs(): number {
    return this.skipped;
  }
}

/** A clock that only moves when slept on or advanced: for exact unit tests. */
export class ManualClock implements Clock {
  constructor(private time = 0) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    if (ms > 0) this.time += ms;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export interface RateLimits {
  /** 0 or undefined: no limit. */
  requestsPerMinute?: number;
  requestsPerDay?: number;
  tokensPerMinute?: number;
  tokensPerDay?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

interface Event {
  at: number;
  tokens: number;
}

export interface Reservation {
  /** Replaces the estimate with the tokens the server reported. */
  settle(actualTokens: number): void;
}

export class RateLimiter {
  private events: Event[] = [];
  private pausedUntil = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly limits: RateLimits,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Milliseconds until a request of `tokens` may start under the per-minute limits.
   * Throws LlmRateLimitError when a daily limit is spent: sleeping for hours is never wanted.
   */
  delayFor(tokens: number): number {
    const now = this.clock.now();
    this.forget(now);
    this.assertDailyBudget(now, tokens);
    let wait = Math.max(0, this.pausedUntil - now);
    const minute = this.events.filter((e) => e.at > now - MINUTE);
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = this.limits;
    if (rpm && minute.length >= rpm) {
      wait = Math.max(wait, minute[minute.length - rpm].at + MINUTE - now);
    }
    if (tpm && minute.length > 0) {
      // Wait until enough of the minute's tokens have aged out for this request to fit.
      // A single request larger than the whole budget goes alone once the window is empty.
      let inWindow = minute.reduce((sum, e) => sum + e.tokens, 0);
      for (const event of minute) {
        if (inWindow + tokens <= tpm) break;
        inWindow -= event.tokens;
        wait = Math.max(wait, event.at + MINUTE - now);
      }
    }
    return wait;
  }

  /** Waits until a request may start, then records it. Callers are served in order. */
  acquire(tokens = 0): Promise<Reservation> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const wait = this.delayFor(tokens);
        if (wait <= 0) break;
        await this.clock.sleep(wait);
      }
      const event: Event = { at: this.clock.now(), tokens };
      this.events.push(event);
      return {
        settle: (actual: number) => {
          if (Number.isFinite(actual) && actual >= 0) event.tokens = actual;
        },
      };
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The server said the budget is empty until `until` (from rate-limit headers). */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Requests recorded in the rolling day, for progress reports. */
  usedToday(): { requests: number; tokens: number } {
    const now = this.clock.now();
    this.forget(now);
    return { requests: this.events.length, tokens: this.events.reduce((sum, e) => sum + e.tokens, 0) };
  }

  private forget(now: number): void {
    while (this.events.length > 0 && this.events[0].at <= now - DAY) this.events.shift();
  }

  private assertDailyBudget(now: number, tokens: number): void {
    const { requestsPerDay: rpd, tokensPerDay: tpd } = this.limits;
    if (rpd && this.events.length >= rpd) {
      const retryAfterMs = this.events[this.events.length - rpd].at + DAY - now;
      throw new LlmRateLimitError(
        `daily request budget spent (${rpd} requests in 24 h, LLM_REQUESTS_PER_DAY); next request possible in ${formatWait(retryAfterMs)}`,
        { retryAfterMs },
      );
    }
    if (tpd) {
      const used = this.events.reduce((sum, e) => sum + e.tokens, 0);
      if (used > 0 && used + tokens > tpd) {
        throw new LlmRateLimitError(
          `daily token budget spent (${used} of ${tpd} tokens in 24 h, LLM_TOKENS_PER_DAY); rerun later and the cache keeps what is done`,
          { retryAfterMs: this.events[0].at + DAY - now },
        );
      }
    }
  }
}

export function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
