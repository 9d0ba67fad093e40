// Where to watch, on the cards and above the results: the visitor's region (chosen here and
// remembered in fan-state), each card's flatrate / rent / buy providers with their logos and
// TMDB's watch link, and "only on my services". TMDB's data comes from JustWatch, which must be
// credited wherever it shows. A catalogue without providers (the demo, imports) shows none of it.
import { append, h } from "./dom.js";
import { fanStore, type FanState } from "./fan-state.js";
import { offersIn, readWatchProviders, tmdbImageUrl, type WatchOffer, type WatchProviders } from "./lib.bundle.js";

export const JUSTWATCH_CREDIT = "Streaming data from JustWatch";
const KIND_LABELS = { flatrate: "Stream", rent: "Rent", buy: "Buy" } as const;

type WithProviders = { providers?: string | null };

// "Only on my services" reads every movie's offers on each input change: each movie's JSON is
// parsed once, and again only when its text changes (the texts file fills it in after load).
const parsed = new WeakMap<WithProviders, { text: string | null | undefined; providers: WatchProviders | null }>();

function providersOf(movie: WithProviders): WatchProviders | null {
  const known = parsed.get(movie);
  if (known && known.text === movie.providers) return known.providers;
  const providers = readWatchProviders(movie.providers);
  parsed.set(movie, { text: movie.providers, providers });
  return providers;
}

/** The regions the catalogue has providers for (meta.json's catalog.providers), or none. */
export function providerRegions(meta: { catalog?: { providers?: { regions?: string[]; with_providers?: number } } } | null): string[] {
  const p = meta?.catalog?.providers;
  return p && (p.with_providers ?? 0) > 0 ? [...(p.regions ?? [])] : [];
}

/** The region the cards show: the visitor's choice when the catalogue has it, else the first. */
export function activeRegion(state: FanState, regions: readonly string[]): string | null {
  if (regions.length === 0) return null;
  return state.region && regions.includes(state.region) ? state.region : regions[0];
}

// The regions providerSettings was given: the page draws its settings once, before any card,
// and the cards (cards.ts, which knows nothing of the page's meta) read the region through them.
let regionsShown: readonly string[] = [];

/** A card's providers in the chosen region, or null when the catalogue has none for it. */
export function cardProviders(movie: { title: string; providers?: string | null }): HTMLElement | null {
  const region = activeRegion(fanStore().get(), regionsShown);
  if (!region) return null;
  const providers = providersOf(movie);
  const offers = offersIn(providers, region);
  const kinds = (Object.keys(KIND_LABELS) as (keyof typeof KIND_LABELS)[]).filter((k) => offers[k].length);
  const link = providers?.links[region];
  const logo = (offer: WatchOffer) => {
    const src = tmdbImageUrl(offer.logo_path, "w45");
    return h("li", { class: "provider", title: offer.provider }, src ? h("img", { src, alt: offer.provider, width: 24, height: 24, loading: "lazy" }) : null, h("span", { class: src ? "sr-only" : "" }, offer.provider));
  };
  return h(
    "div",
    { class: "providers", "data-providers": region },
    kinds.length
      ? kinds.map((k) => h("div", { class: "provider-kind" }, h("span", { class: "provider-label" }, `${KIND_LABELS[k]} (${region})`), h("ul", { class: "provider-logos" }, offers[k].map(logo))))
      : h("p", { class: "muted" }, `Not streaming in ${region} as far as we know.`),
    h(
      "p",
      { class: "provider-credit" },
      link ? h("a", { href: link, rel: "noopener noreferrer", target: "_blank" }, `Where to watch ${movie.title} on TMDB`) : null,
      link ? " · " : null,
      JUSTWATCH_CREDIT,
    ),
  );
}

/** Streaming services seen in a region among the movies, most common first. */
export function servicesIn(movies: readonly { providers?: string | null }[], region: string): string[] {
  const counts = new Map<string, number>();
  for (const movie of movies) for (const offer of offersIn(providersOf(movie), region).flatrate) counts.set(offer.provider, (counts.get(offer.provider) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name]) => name);
}

/** With services chosen, the movies to leave out: those not streaming on any of them in the region. */
export function notOnMyServices(movies: readonly { id: number; providers?: string | null }[], state: FanState, regions: readonly string[]): number[] {
  const region = activeRegion(state, regions);
  if (!region || state.services.length === 0) return [];
  const mine = new Set(state.services);
  return movies.filter((m) => !offersIn(providersOf(m), region).flatrate.some((o) => mine.has(o.provider))).map((m) => m.id);
}

/** The region picker and "only on my services"; nothing when the catalogue has no providers. */
export function providerSettings(regions: readonly string[], movies: () => Promise<readonly { providers?: string | null }[]>): HTMLElement | null {
  regionsShown = regions;
  if (regions.length === 0) return null;
  const store = fanStore();
  const current = activeRegion(store.get(), regions);
  const select = h("select", { id: "watch-region", "data-watch-region": "" }, regions.map((r) => h("option", { value: r, selected: r === current }, r)));
  select.addEventListener("change", () => store.update((s) => ({ ...s, region: select.value, services: [] })));
  const services = h("fieldset", { class: "my-services", "data-my-services": "" });
  const drawServices = async () => {
    const region = activeRegion(store.get(), regions)!;
    const names = servicesIn(await movies(), region).slice(0, 12);
    const chosen = new Set(store.get().services);
    services.replaceChildren();
    append(services, [
      h("legend", {}, `Only on my services (${region})`),
      names.map((name, i) => {
        const box = h("input", { type: "checkbox", id: `service-${i}`, value: name, checked: chosen.has(name) });
        box.addEventListener("change", () => store.update((s) => ({ ...s, services: box.checked ? [...s.services, name] : s.services.filter((x) => x !== name) })));
        return h("span", { class: "service" }, box, h("label", { for: `service-${i}` }, ` ${name}`));
      }),
    ]);
  };
  void drawServices();
  store.subscribe((state) => {
    if (select.value !== activeRegion(state, regions)) select.value = activeRegion(state, regions)!;
  });
  select.addEventListener("change", () => void drawServices());
  return h("div", { class: "provider-settings" }, h("label", { for: "watch-region" }, "Where to watch: region "), select, services, h("p", { class: "provider-credit" }, JUSTWATCH_CREDIT));
}
