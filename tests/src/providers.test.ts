// Where to watch on the page (src/components/providers.ts), in a linkedom document: hidden
// cleanly without providers, the chosen region's offers with JustWatch's credit and TMDB's
// link when there are some, provider names as text, and "only on my services".
import { parseHTML } from "linkedom";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleBrowserLib } from "../../loaders/site/build-hooks.ts";

let ui: typeof import("../../src/components/providers.ts");
let fans: typeof import("../../src/components/fan-state.ts");
const { document, Node } = parseHTML("<!DOCTYPE html><html><body><main></main></body></html>");

const providers = (offers: { region: string; kind: string; provider: string }[]) =>
  JSON.stringify({ links: { US: "https://www.themoviedb.org/movie/1/watch?locale=US" }, offers: offers.map((o) => ({ ...o, logo_path: null })) });
const MOVIES = [
  { id: 1, title: "Heat", providers: providers([{ region: "US", kind: "flatrate", provider: "Mockflix" }, { region: "US", kind: "rent", provider: "<img src=x onerror=alert(1)>" }]) },
  { id: 2, title: "Thief", providers: providers([{ region: "US", kind: "flatrate", provider: "Streamzone" }]) },
  { id: 3, title: "Ronin", providers: null },
];

beforeAll(async () => {
  Object.assign(globalThis, { document, Node });
  // The components import lib/ through the generated bundle, as the pages do.
  await bundleBrowserLib(path.resolve("src"));
  ui = await import("../../src/components/providers.ts");
  fans = await import("../../src/components/fan-state.ts");
}, 60_000);

describe("where to watch on the page", () => {
  it("shows nothing at all when the catalogue has no providers (the demo, imports)", () => {
    expect(ui.providerRegions({ catalog: {} })).toEqual([]);
    expect(ui.providerRegions({ catalog: { providers: { regions: ["US"], with_providers: 0 } } })).toEqual([]);
    expect(ui.providerSettings([], async () => MOVIES)).toBeNull();
    expect(ui.cardProviders(MOVIES[0])).toBeNull();
  });

  it("shows a card's offers in the region, with TMDB's link and JustWatch's credit, names as text", () => {
    const settings = ui.providerSettings(["US"], async () => MOVIES)!;
    expect(settings.textContent).toContain("Streaming data from JustWatch");
    const card = ui.cardProviders(MOVIES[0])!;
    expect(card.getAttribute("data-providers")).toBe("US");
    expect([...card.querySelectorAll(".provider-label")].map((l) => l.textContent)).toEqual(["Stream (US)", "Rent (US)"]);
    expect(card.querySelector("img")).toBeNull();
    expect(card.textContent).toContain("<img src=x onerror=alert(1)>");
    expect(card.querySelector("a")!.getAttribute("href")).toBe("https://www.themoviedb.org/movie/1/watch?locale=US");
    expect(card.textContent).toContain("Streaming data from JustWatch");
    expect(ui.cardProviders(MOVIES[2])!.textContent).toContain("Not streaming in US as far as we know.");
  });

  it("leaves out, with services chosen, the movies that do not stream on any of them", () => {
    const state = { ...fans.EMPTY_FAN_STATE, services: ["Mockflix"] };
    expect(ui.notOnMyServices(MOVIES, state, ["US"])).toEqual([2, 3]);
    expect(ui.notOnMyServices(MOVIES, { ...state, services: [] }, ["US"])).toEqual([]);
    expect(ui.servicesIn(MOVIES, "US")).toEqual(["Mockflix", "Streamzone"]);
  });
});
