// Shown before any series is chosen: a few popular series to start from in one click.
import type { ControlsElement } from "./controls.js";
import { h } from "./dom.js";
import type { LoadedSiteData } from "./site-data.js";

export function quickStart(data: LoadedSiteData, controls: ControlsElement, count = 6): HTMLElement {
  // Series with precomputed picks first: their results appear instantly.
  const withPicks = data.series.filter((s) => data.picks.has(s.id));
  const pool = [...withPicks, ...data.series.filter((s) => !data.picks.has(s.id))].slice(0, count);
  return h(
    "div",
    { class: "quick-start" },
    h("p", {}, "Choose a TV series you love (in the box on the left, or below) to see movies with similar stories."),
    h(
      "div",
      { class: "quick-start-buttons" },
      pool.map((s) =>
        h(
          "button",
          {
            type: "button",
            onclick: () => {
              controls.value = { ...controls.value, seriesIds: [s.id] };
              controls.dispatchEvent(new Event("input", { bubbles: true }));
            },
          },
          s.name,
        ),
      ),
    ),
  );
}
