// Spaces requests evenly so a job never exceeds an API's request rate, however many
// requests run concurrently. Spacing (rather than a bursty token bucket) keeps every
// one-second window at or under the limit, which is what rate-limited APIs count.
import { setTimeout as sleep } from "node:timers/promises";

export class IntervalLimiter {
  readonly #interval: number;
  #next = 0;

  /** `requestsPerSecond` of 0 or Infinity disables the spacing. */
  constructor(requestsPerSecond: number) {
    if (!(requestsPerSecond >= 0)) throw new RangeError(`requestsPerSecond must be >= 0, got ${requestsPerSecond}`);
    this.#interval = requestsPerSecond > 0 && Number.isFinite(requestsPerSecond) ? 1000 / requestsPerSecond : 0;
  }

  /** Resolves when the caller may send its request; each call reserves the next free slot. */
  async wait(signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.#next);
    this.#next = slot + this.#interval;
    if (slot > now) await sleep(slot - now, undefined, { signal });
  }

  /** Holds every later caller back until `ms` from now (a server asked us to wait). */
  pauseFor(ms: number): void {
    this.#next = Math.max(this.#next, performance.now() + ms);
  }
}
