// The Recommend page's first view for a link to one series (src/components/early-picks.ts):
// its picks drawn from picks.arrow alone, the same the full page then shows.
import { parseHTML } from "linkedom";
import { beforeAll, describe, expect, it } from "vitest";
import { picksToArrow, type PickRow } from "../../loaders/site/arrow.ts";
import { bundleBrowserLib } from "../../loaders/site/build-hooks.ts";
import { siteCatalog } from "../fixtures/site-catalog.ts";

let early: typeof import("../../src/components/early-picks.ts");
const catalog = siteCatalog();
const picks: PickRow[] = [
  { series_id: 8003, rank: 2, movie_id: 9015, reason: "An army of the dead from the north.", similarity: 0.7, source: "llm", model: "openai/gpt-oss-20b", generated_at: "2026-11-02T10:00:00.000Z" },
  { series_id: 8003, rank: 1, movie_id: 9014, reason: "Dragons and a contested throne.", similarity: 0.8, source: "llm", model: "openai/gpt-oss-20b", generated_at: "2026-11-02T10:00:00.000Z" },
  { series_id: 8001, rank: 1, movie_id: 9002, reason: "A cartel on the border.", similarity: 0.6, source: "fallback", model: null, generated_at: null },
];

beforeAll(async () => {
  // The view builds DOM nodes with the page's document; linkedom stands in for it.
  const { document, Node } = parseHTML("<!DOCTYPE html><html><body></body></html>");
  Object.assign(globalThis, { document, Node });
  await bundleBrowserLib("src");
  early = await import("../../src/components/early-picks.ts");
});

describe("the early picks", () => {
  it("apply to an address with exactly one series and nothing else but a favourite mark", () => {
    expect(early.picksOnlySeries("?series=8003")).toBe(8003);
    expect(early.picksOnlySeries("?series=8003&fav=8003")).toBe(8003);
    expect(early.picksOnlySeries("?series=8003&genre=Drama")).toBeNull();
    expect(early.picksOnlySeries("?series=8003&series=8001")).toBeNull();
    expect(early.picksOnlySeries("")).toBeNull();
    expect(early.picksOnlySeries("?series=abc")).toBeNull();
  });

  it("show one series' picks in rank order with their cards, from picks.arrow alone", async () => {
    const view = (await early.earlyPicksView("?series=8003", Promise.resolve(picksToArrow(picks, catalog))))!;
    const section = view.querySelector("section[data-results]")!;
    expect(section.getAttribute("data-kind")).toBe("picks");
    const ids = [...section.querySelectorAll("[data-movie-id]")].map((card) => Number(card.getAttribute("data-movie-id")));
    expect(ids).toEqual([9014, 9015]);
    const movie = catalog.movies.find((m) => m.id === 9014)!;
    expect(section.querySelector("[data-movie-id='9014'] h3")!.textContent).toContain(movie.title);
    expect(section.querySelector("h2")!.textContent).toBe(`Because you like ${catalog.series.find((s) => s.id === 8003)!.name}`);
    expect(section.textContent).toContain("Dragons and a contested throne.");
  });

  it("stay out of the way for live ranking, a file without cards, or a file that fails to load", async () => {
    const withCards = Promise.resolve(picksToArrow(picks, catalog));
    expect(await early.earlyPicksView("?series=8003&genre=Drama", withCards)).toBeNull();
    expect(await early.earlyPicksView("?series=8005", withCards)).toBeNull();
    expect(await early.earlyPicksView("?series=8003", Promise.resolve(picksToArrow(picks)))).toBeNull();
    expect(await early.earlyPicksView("?series=8003", Promise.reject(new Error("HTTP 500")))).toBeNull();
  });
});
