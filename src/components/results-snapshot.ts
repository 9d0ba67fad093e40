// A repeat visit's first view: the results this browser last showed for the same address,
// the same build and the same marks, drawn from localStorage before the catalogue is even
// decoded. The page then loads and ranks as always, and its results take the snapshot's place
// (index.md's hand-over); they are the same, since everything they depend on is in the key.
// Kept in this browser only, like the marks (fan-state.ts); the last few addresses only.
import { h } from "./dom.js";
import { FAN_STATE_KEY } from "./fan-state.js";
import type { Recommendation } from "./recommend.js";
import { resultsView, type ResultsViewOptions } from "./results.js";
import type { SiteSeries } from "./site-data.js";

export const SNAPSHOT_KEY = "marquee:results:v1";
/** How many addresses keep their last results. */
export const SNAPSHOT_LIMIT = 8;

interface Snapshot {
  key: string;
  savedAt: number;
  rec: Recommendation;
  series: Pick<SiteSeries, "id" | "name" | "genre_names">[];
  shapedBy?: ResultsViewOptions["shapedBy"];
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** FNV-1a of a string, as 8 hex digits: keys stay short whatever the marks hold. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * What a snapshot's results depend on: the address (series, filters), the build (`build`:
 * a URL that changes with every build, so new data or new code never shows old results) and
 * the visitor's marks (seen, likes, services).
 */
export function snapshotKey(search: string, build: string): string {
  const marks = storage()?.getItem(FAN_STATE_KEY) ?? "";
  return `${build}|${search}|${hash(marks)}`;
}

function read(store: Storage): Snapshot[] {
  try {
    const value = JSON.parse(store.getItem(SNAPSHOT_KEY) ?? "[]") as unknown;
    return Array.isArray(value) ? (value as Snapshot[]) : [];
  } catch {
    return [];
  }
}

/** Keeps the results shown for `key` (cards only: the chart and the stories' loaders stay out). */
export function saveResults(key: string, rec: Recommendation, series: readonly Pick<SiteSeries, "id" | "name" | "genre_names">[], shapedBy?: ResultsViewOptions["shapedBy"]): void {
  const store = storage();
  if (!store || rec.kind === "empty") return;
  const snapshot: Snapshot = {
    key,
    savedAt: Date.now(),
    rec: { ...rec, points: [], items: rec.items.map(({ story: _, ...item }) => item) },
    series: series.map(({ id, name, genre_names }) => ({ id, name, genre_names })),
    ...(shapedBy ? { shapedBy } : {}),
  };
  const kept = [snapshot, ...read(store).filter((s) => s.key !== key)].slice(0, SNAPSHOT_LIMIT);
  try {
    store.setItem(SNAPSHOT_KEY, JSON.stringify(kept));
  } catch {
    // Storage full or refused: the next visit just ranks first, as a first visit does.
  }
}

/** The saved results for `key` as a results block, or null when this browser has none. */
export function savedResultsView(key: string): HTMLElement | null {
  const store = storage();
  const snapshot = store ? read(store).find((s) => s.key === key) : undefined;
  if (!snapshot || !Array.isArray(snapshot.rec?.items) || snapshot.rec.items.length === 0) return null;
  try {
    const view = resultsView(snapshot.rec, { series: snapshot.series as SiteSeries[], shapedBy: snapshot.shapedBy });
    view.dataset.snapshot = "";
    return h("div", { class: "recommend-output early-results" }, view);
  } catch {
    return null;
  }
}
