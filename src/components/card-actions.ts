// The buttons under each result card: seen, not for me, like, dislike, more like this. Real
// buttons whose names start with their visible text and say which movie they act on; like and dislike are toggles (aria-pressed),
// so a second press undoes them. "More like this" asks the page (an event) to start from the
// movie, which puts ?movie=<id> in the address.
import { h } from "./dom.js";
import { fanStore, type MarkKind } from "./fan-state.js";

export const MORE_LIKE_THIS_EVENT = "marquee:more-like-this";

export function cardActions(movie: { id: number; title: string }): HTMLElement {
  const store = fanStore();
  const state = store.get();
  const mark = (kind: MarkKind) => () => store.toggle(kind, movie.id);
  const toggle = (action: string, kind: "likes" | "dislikes", label: string) =>
    h("button", { type: "button", class: "card-action", "data-action": action, "aria-pressed": state[kind].includes(movie.id) ? "true" : "false", "aria-label": `${label}: ${movie.title}`, onclick: mark(kind) }, label);
  return h(
    "div",
    { class: "card-actions", role: "group", "aria-label": `Your verdict on ${movie.title}` },
    h("button", { type: "button", class: "card-action", "data-action": "seen", "aria-label": `Seen: ${movie.title}`, onclick: mark("seen") }, "Seen"),
    h("button", { type: "button", class: "card-action", "data-action": "not-interested", "aria-label": `Not for me: ${movie.title}`, onclick: mark("notInterested") }, "Not for me"),
    toggle("like", "likes", "Like"),
    toggle("dislike", "dislikes", "Dislike"),
    h(
      "button",
      {
        type: "button",
        class: "card-action",
        "data-action": "more-like-this",
        "aria-label": `More like this: ${movie.title}`,
        onclick: (event: Event) => (event.currentTarget as HTMLElement).dispatchEvent(new CustomEvent(MORE_LIKE_THIS_EVENT, { bubbles: true, detail: movie.id })),
      },
      "More like this",
    ),
  );
}
