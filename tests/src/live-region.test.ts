// The page's one live region (src/components/live-region.ts), in a linkedom document: an
// action and its outcome are heard together, a newer message on the same topic replaces the
// older one, and after a pause a message stands alone.
import { parseHTML } from "linkedom";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

let live: typeof import("../../src/components/live-region.ts");
const { document } = parseHTML("<!DOCTYPE html><html><body><main></main></body></html>");

beforeAll(async () => {
  (globalThis as { document?: unknown }).document = document;
  live = await import("../../src/components/live-region.ts");
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["performance"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("live region", () => {
  it("is one polite, atomic status region, placed in <main> on first use", () => {
    const region = live.liveRegion();
    expect(live.liveRegion()).toBe(region);
    expect(region.getAttribute("aria-live")).toBe("polite");
    expect(region.getAttribute("aria-atomic")).toBe("true");
    expect(region.getAttribute("role")).toBe("status");
    live.announce("Hello.");
    expect(region.parentElement).toBe(document.querySelector("main"));
    expect(document.querySelectorAll("[data-live-region]").length).toBe(1);
  });

  it("joins messages close together, replaces a message of the same topic, and starts afresh after a pause", () => {
    const region = live.liveRegion();
    vi.advanceTimersByTime(10_000);
    live.announce("Added Fargo.", "picker");
    vi.advanceTimersByTime(200);
    live.announce("Showing 4 movies for Fargo.", "results");
    expect(region.textContent).toBe("Added Fargo. Showing 4 movies for Fargo.");
    vi.advanceTimersByTime(200);
    // A second ranking for the same inputs: said once, with its newer figure.
    live.announce("Showing 5 movies for Fargo.", "results");
    expect(region.textContent).toBe("Added Fargo. Showing 5 movies for Fargo.");
    vi.advanceTimersByTime(5_000);
    live.announce("Removed Fargo.", "picker");
    expect(region.textContent).toBe("Removed Fargo.");
    live.announce("   ");
    expect(region.textContent).toBe("Removed Fargo.");
  });
});
