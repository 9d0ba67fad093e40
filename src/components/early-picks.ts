// The Recommend page's first view for a shared link to one series: its precomputed picks,
// drawn from picks.arrow alone (each pick carries its card, lib/site-schema.ts
// PICK_CARD_COLUMNS) while the catalogue files are still on their way. The full view
// (recommend-view.ts) replaces it with the same picks once the page has its data.
import { h } from "./dom.js";
import { decodePickCards, decodePicks, fetchBytes } from "./site-data.js";
import { picksRecommendation } from "./recommend.js";
import { resultsView } from "./results.js";
import { DEFAULT_FILTERS, FAVOURITE_PARAM } from "./lib.bundle.js";
import { cachedRange } from "./range-cache.js";
import { fetchRange, fetchSeriesPicks } from "./ranking-files.js";
import type { SiteSeries } from "./site-data.js";

/**
 * The series id when the address asks for exactly one series and nothing else (a favourite
 * mark aside): only then do the default-filter picks apply before the filters can be read.
 */
export function picksOnlySeries(search: string): number | null {
  const params = new URLSearchParams(search);
  const series = params.getAll("series");
  if (series.length !== 1 || [...params.keys()].some((key) => key !== "series" && key !== FAVOURITE_PARAM)) return null;
  const id = Number(series[0]);
  return Number.isInteger(id) ? id : null;
}

export interface FirstPicksUrls {
  /** picks.arrow: every series' picks. */
  picks: string;
  /** ranking-index.json and series-picks.bin: one series' picks by a byte range. */
  rankingIndex: string;
  seriesPicks: string;
}

/**
 * The picks the first view needs: for a link to one series, that series' own chunk of
 * series-picks.bin (a few KB; `partial`: picks.arrow still to load), else, or for a build
 * without chunks, picks.arrow.
 */
export async function firstPicks(search: string, urls: FirstPicksUrls): Promise<{ bytes: Uint8Array; partial: boolean }> {
  const seriesId = picksOnlySeries(search);
  if (seriesId !== null) {
    const chunk = await fetchSeriesPicks(urls.rankingIndex, urls.seriesPicks, seriesId, (url, start, end) => cachedRange(url, start, end, fetchRange)).catch(() => null);
    if (chunk) return { bytes: chunk, partial: true };
  }
  return { bytes: await fetchBytes(urls.picks), partial: false };
}

/**
 * The picks' results block for the address, or null when the address is not one series'
 * default picks, the file carries no cards, or it fails to load (the full view then shows
 * whatever applies, with its own error messages).
 */
export async function earlyPicksView(search: string, picksBytes: Promise<Uint8Array | null>): Promise<HTMLElement | null> {
  const seriesId = picksOnlySeries(search);
  if (seriesId === null) return null;
  try {
    const bytes = await picksBytes;
    if (!bytes) return null;
    const cards = decodePickCards(bytes);
    const series = cards?.series.get(seriesId);
    if (!cards || !series) return null;
    const rec = picksRecommendation(
      { picks: decodePicks(bytes), movieById: cards.movies, seriesById: cards.series },
      { seriesIds: [seriesId], filters: { ...DEFAULT_FILTERS } },
    );
    // The results block reads only the series' name for its heading.
    return rec ? h("div", { class: "recommend-output early-picks" }, resultsView(rec, { series: [series as SiteSeries] })) : null;
  } catch {
    return null;
  }
}
