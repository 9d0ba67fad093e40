// The visitor's marks as stored in this browser: one versioned key, every field checked on
// the way in, anything corrupt or foreign read as a fresh start instead of breaking the page.
import { describe, expect, it } from "vitest";
import { EMPTY_FAN_STATE, FAN_STATE_KEY, fanFeedback, parseFanState } from "../../src/components/fan-state.ts";

describe("parseFanState", () => {
  it("reads back what the store writes under its versioned key", () => {
    const stored = { version: 1, seen: [1, 2], notInterested: [3], likes: [4], dislikes: [5], region: "GB", services: ["Mockflix"] };
    expect(FAN_STATE_KEY).toBe("marquee:fans:v1");
    expect(parseFanState(JSON.stringify(stored))).toEqual({ seen: [1, 2], notInterested: [3], likes: [4], dislikes: [5], region: "GB", services: ["Mockflix"] });
  });

  it("starts empty on nothing, broken JSON, another version or something that is not an object", () => {
    for (const text of [null, "", "{not json", JSON.stringify({ version: 2, seen: [1] }), "[1,2,3]", "42", "null"]) {
      expect(parseFanState(text), String(text)).toEqual(EMPTY_FAN_STATE);
    }
  });

  it("keeps only positive whole ids, once each, a two-letter region and short service names", () => {
    const state = parseFanState(JSON.stringify({ version: 1, seen: [1, 1, -2, 3.5, "4", null, 5], likes: "all", region: "<script>", services: ["A", 7, "x".repeat(500)] }));
    expect(state.seen).toEqual([1, 5]);
    expect(state.likes).toEqual([]);
    expect(state.region).toBeNull();
    expect(state.services).toEqual(["A"]);
  });
});

describe("fanFeedback", () => {
  it("leaves out what was seen or is not for me, and passes likes and dislikes on", () => {
    const feedback = fanFeedback({ ...EMPTY_FAN_STATE, seen: [1, 2], notInterested: [2, 3], likes: [4], dislikes: [5] });
    expect(feedback).toEqual({ exclude: [1, 2, 3], likes: [4], dislikes: [5] });
  });
});
