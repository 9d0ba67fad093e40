// Where to watch a movie: TMDB's watch providers (data from JustWatch) for the regions a
// refresh asked for, as the catalogue's `providers` column carries them (JSON text, so one
// VARCHAR column travels through Parquet, Arrow and the page unchanged). Pure and browser-safe;
// the column is read back here with the same checks it was written with.

export const PROVIDER_KINDS = ["flatrate", "rent", "buy"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface WatchOffer {
  /** ISO 3166-1 region, e.g. "US". */
  region: string;
  kind: ProviderKind;
  provider: string;
  /** TMDB image path of the provider's logo. */
  logo_path: string | null;
}

export interface WatchProviders {
  /** TMDB's watch page per region (TMDB asks that the data link there). */
  links: Record<string, string>;
  offers: WatchOffer[];
}

/** Bounds on one movie's providers: TMDB lists at most a few dozen per region. */
export const PROVIDER_LIMITS = { offersPerRegion: 60, nameChars: 80, pathChars: 200 } as const;

const REGION = /^[A-Z]{2}$/;
// Only TMDB's own pages: the link is rendered as an anchor, and a catalogue file is input like any other.
const TMDB_WATCH_LINK = /^https:\/\/www\.themoviedb\.org\/[\w\-./?=&%]+$/;
const LOGO_PATH = /^\/[\w\-.]+$/;

/** Parses a TMDB_WATCH_REGIONS-style list ("US,GB"), refusing anything that is not two-letter codes. */
export function parseRegions(text: string): string[] {
  const regions = [...new Set(text.split(",").map((r) => r.trim().toUpperCase()).filter(Boolean))];
  const bad = regions.filter((r) => !REGION.test(r));
  if (bad.length || regions.length === 0) throw new RangeError(`watch regions must be two-letter codes separated by commas, e.g. US,GB,DE,FR; got "${text}"`);
  return regions;
}

function offerOf(value: unknown): WatchOffer | null {
  if (typeof value !== "object" || value === null) return null;
  const o = value as Record<string, unknown>;
  const region = typeof o.region === "string" && REGION.test(o.region) ? o.region : null;
  const kind = PROVIDER_KINDS.find((k) => k === o.kind);
  const provider = typeof o.provider === "string" ? o.provider.replace(/[\s\p{Cc}]+/gu, " ").trim().slice(0, PROVIDER_LIMITS.nameChars) : "";
  if (!region || !kind || provider === "") return null;
  const logo = typeof o.logo_path === "string" && o.logo_path.length <= PROVIDER_LIMITS.pathChars && LOGO_PATH.test(o.logo_path) ? o.logo_path : null;
  return { region, kind, provider, logo_path: logo };
}

/** The providers with every offer and link checked; what fails a check is dropped, never thrown. */
export function normaliseWatchProviders(value: unknown): WatchProviders {
  const raw = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const links: Record<string, string> = {};
  if (typeof raw.links === "object" && raw.links !== null) {
    for (const [region, link] of Object.entries(raw.links as Record<string, unknown>)) {
      if (REGION.test(region) && typeof link === "string" && link.length <= 500 && TMDB_WATCH_LINK.test(link)) links[region] = link;
    }
  }
  const perRegion = new Map<string, number>();
  const seen = new Set<string>();
  const offers: WatchOffer[] = [];
  for (const item of Array.isArray(raw.offers) ? raw.offers : []) {
    const offer = offerOf(item);
    if (!offer) continue;
    const key = `${offer.region}|${offer.kind}|${offer.provider}`;
    const count = perRegion.get(offer.region) ?? 0;
    if (seen.has(key) || count >= PROVIDER_LIMITS.offersPerRegion) continue;
    seen.add(key);
    perRegion.set(offer.region, count + 1);
    offers.push(offer);
  }
  return { links, offers };
}

/** The column's text for a movie's providers; null when it has none. */
export function watchProvidersText(providers: WatchProviders): string | null {
  return providers.offers.length || Object.keys(providers.links).length ? JSON.stringify(providers) : null;
}

/** A movie's providers from the column's text; null for none or for text that is not ours. */
export function readWatchProviders(text: string | null | undefined): WatchProviders | null {
  if (!text) return null;
  try {
    const providers = normaliseWatchProviders(JSON.parse(text));
    return providers.offers.length || Object.keys(providers.links).length ? providers : null;
  } catch {
    return null;
  }
}

/** A movie's offers in one region, by kind, in the order TMDB listed them. */
export function offersIn(providers: WatchProviders | null, region: string): Record<ProviderKind, WatchOffer[]> {
  const out: Record<ProviderKind, WatchOffer[]> = { flatrate: [], rent: [], buy: [] };
  for (const offer of providers?.offers ?? []) if (offer.region === region) out[offer.kind].push(offer);
  return out;
}
