import { describe, expect, it } from "vitest";
import { LlmRateLimitError } from "../../../lib/llm-errors.ts";
import { ManualClock, RateLimiter, SimulatedClock } from "../../../loaders/llm/pacing.ts";

describe("RateLimiter (fake clock)", () => {
  it("lets requestsPerMinute requests through at once and holds the next until the first leaves the minute", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ requestsPerMinute: 30 }, clock);
    for (let i = 0; i < 30; i++) await limiter.acquire();
    expect(clock.now()).toBe(0);
    await limiter.acquire();
    expect(clock.now()).toBe(60_000);
  });

  it("spaces a long run to the per-minute rate: 90 requests at 30/min take two minutes", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ requestsPerMinute: 30 }, clock);
    for (let i = 0; i < 90; i++) await limiter.acquire();
    expect(clock.now()).toBe(120_000);
  });

  it("waits for tokens to age out when a request would exceed tokensPerMinute", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ tokensPerMinute: 8000 }, clock);
    await limiter.acquire(3000);
    clock.advance(10_000);
    await limiter.acquire(3000);
    expect(clock.now()).toBe(10_000);
    await limiter.acquire(3000);
    // 9000 > 8000: the first request (t=0) must leave the window.
    expect(clock.now()).toBe(60_000);
  });

  it("counts the tokens the server reported once a reservation is settled", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ tokensPerMinute: 8000 }, clock);
    const reservation = await limiter.acquire(6000);
    reservation.settle(1000);
    await limiter.acquire(6000);
    expect(clock.now()).toBe(0);
  });

  it("lets one request larger than the whole token budget through once the window is empty", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ tokensPerMinute: 1000 }, clock);
    await limiter.acquire(5000);
    await limiter.acquire(5000);
    expect(clock.now()).toBe(60_000);
  });

  it("throws instead of sleeping when the daily request budget is spent", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ requestsPerDay: 3 }, clock);
    for (let i = 0; i < 3; i++) await limiter.acquire();
    const error = await limiter.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmRateLimitError);
    expect((error as LlmRateLimitError).retryAfterMs).toBe(86_400_000);
    expect(clock.now()).toBe(0);
  });

  it("throws when the daily token budget would be exceeded", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ tokensPerDay: 10_000 }, clock);
    await limiter.acquire(6000);
    await expect(limiter.acquire(6000)).rejects.toBeInstanceOf(LlmRateLimitError);
  });

  it("frees the daily budget after 24 hours", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ requestsPerDay: 1 }, clock);
    await limiter.acquire();
    clock.advance(86_400_001);
    await expect(limiter.acquire()).resolves.toBeDefined();
  });

  it("honours a pause the server asked for", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({}, clock);
    limiter.pauseUntil(7_500);
    await limiter.acquire();
    expect(clock.now()).toBe(7_500);
  });

  it("serves concurrent callers in order without exceeding the rate", async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ requestsPerMinute: 2 }, clock);
    const starts: number[] = [];
    await Promise.all([0, 1, 2, 3].map(() => limiter.acquire().then(() => starts.push(clock.now()))));
    expect(starts).toEqual([0, 0, 60_000, 60_000]);
  });

  it("SimulatedClock skips waits but reports the time they would have taken", async () => {
    const clock = new SimulatedClock();
    const before = Date.now();
    await clock.sleep(3_600_000);
    expect(clock.now() - before).toBeGreaterThanOrEqual(3_600_000);
    expect(Date.now() - before).toBeLessThan(1000);
  });
});
