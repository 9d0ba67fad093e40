// planPages decides how many discover pages each popularity-sorted source is asked for next.
import { describe, expect, it } from "vitest";
import { planPages, type PageSource } from "../../../loaders/tmdb/page-plan.ts";

const fresh = (remaining = 500): PageSource => ({ floor: Infinity, remaining });

describe("planPages", () => {
  it("asks every source never read for exactly one page, to learn its slope", () => {
    expect(planPages({ sources: [fresh(), fresh(), fresh()], kept: [], target: 1000, keptPerPage: 20 })).toEqual([1, 1, 1]);
  });

  it("spreads the deficit evenly when no slope is known yet", () => {
    const sources: PageSource[] = [
      { floor: 100, remaining: 400 },
      { floor: 90, remaining: 400 },
    ];
    // 200 titles missing at 20 per page: 10 pages, 5 each.
    expect(planPages({ sources, kept: Array(100).fill(200), target: 300, keptPerPage: 20 })).toEqual([5, 5]);
  });

  it("never asks a source for more pages than it can serve", () => {
    const sources: PageSource[] = [{ floor: 100, slope: 0.001, remaining: 3 }];
    const plan = planPages({ sources, kept: [], target: 100_000, keptPerPage: 20 });
    expect(plan[0]).toBeLessThanOrEqual(3);
    expect(plan[0]).toBeGreaterThan(0);
  });

  it("reads the steeper-falling source less: its next titles drop below the level sooner", () => {
    const sources: PageSource[] = [
      { floor: 100, slope: 1, remaining: 500 },
      { floor: 100, slope: 10, remaining: 500 },
    ];
    const [gentle, steep] = planPages({ sources, kept: [], target: 400, keptPerPage: 20 });
    expect(gentle).toBeGreaterThan(steep);
    expect(steep).toBeGreaterThan(0);
  });

  it("asks nothing of a source whose floor is already below the level the others reach", () => {
    const sources: PageSource[] = [
      { floor: 1000, slope: 1, remaining: 500 },
      { floor: 1, slope: 1, remaining: 500 },
    ];
    const [high, low] = planPages({ sources, kept: [], target: 40, keptPerPage: 20 });
    expect(high).toBeGreaterThan(0);
    expect(low).toBe(0);
  });

  it("plans at least one page when every floor ties at the level", () => {
    const sources: PageSource[] = [
      { floor: 50, slope: 1, remaining: 10 },
      { floor: 50, slope: 1, remaining: 10 },
    ];
    const plan = planPages({ sources, kept: Array(99).fill(60), target: 100, keptPerPage: 20 });
    expect(plan.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
