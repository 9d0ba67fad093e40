// The page's one polite live region. Screen readers announce a change of its text without
// moving focus: a series added or removed, new results. One region, created once and kept,
// because a region inserted together with its text is often not announced, and several
// regions speaking at once interrupt each other.
import { h } from "./dom.js";

/** Messages this close together are read as one ("Added Fargo. Showing 10 movies for …"). */
const JOIN_MS = 1500;

let region: HTMLElement | null = null;
let parts: { topic: string; text: string }[] = [];
let lastAt = -Infinity;

/** The region element (created on first use); place it inside a landmark of the page. */
export function liveRegion(): HTMLElement {
  region ??= h("div", { class: "sr-only", role: "status", "aria-live": "polite", "aria-atomic": "true", "data-live-region": "" });
  return region;
}

/**
 * Says `message` through the live region. A message soon after the previous one joins it
 * rather than replacing it, so an action and its outcome are both heard; within that time a
 * newer message on the same `topic` (say, results of a second, faster engine) replaces the
 * older one instead of repeating it.
 */
export function announce(message: string, topic = message): void {
  const text = message.trim();
  if (!text) return;
  const element = liveRegion();
  if (!element.isConnected) (document.querySelector("main") ?? document.body).append(element);
  const now = performance.now();
  if (now - lastAt >= JOIN_MS) parts = [];
  parts = [...parts.filter((p) => p.topic !== topic), { topic, text }];
  lastAt = now;
  element.textContent = parts.map((p) => p.text).join(" ");
}
