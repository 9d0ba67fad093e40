// "Hidden (n)": the movies the visitor took out of the list (seen, not for me, disliked),
// each with a button that puts it back; and the liked ones, each with one that takes the like
// back. Redrawn whenever the marks change.
import { append, h } from "./dom.js";
import { fanStore, type FanState, type MarkKind } from "./fan-state.js";

const WHY: Record<Exclude<MarkKind, "likes">, string> = { seen: "seen", notInterested: "not for me", dislikes: "disliked" };

export function hiddenList(titleOf: (id: number) => string | null): HTMLElement {
  const store = fanStore();
  const root = h("div", { class: "fan-lists", "data-hidden-list": "" });
  const row = (id: number, why: string, kind: MarkKind, undo: string) => {
    const title = titleOf(id) ?? `Movie ${id}`;
    return h(
      "li",
      { "data-movie-id": id },
      h("span", {}, title),
      h("span", { class: "muted" }, ` (${why}) `),
      h("button", { type: "button", class: "card-action", "data-restore": kind, "aria-label": `${undo} ${title}`, onclick: () => store.toggle(kind, id) }, undo),
    );
  };
  const render = (state: FanState) => {
    const hidden = (Object.keys(WHY) as (keyof typeof WHY)[]).flatMap((kind) => state[kind].map((id) => ({ id, kind })));
    root.replaceChildren();
    append(root, [
      h(
        "details",
        { class: "hidden-list" },
        h("summary", {}, `Hidden (${hidden.length})`),
        hidden.length ? h("ul", {}, hidden.map(({ id, kind }) => row(id, WHY[kind], kind, "Restore"))) : h("p", { class: "muted" }, "Movies you mark Seen, Not for me or Dislike leave the list and wait here."),
        hidden.length > 1 ? h("button", { type: "button", class: "card-action", "data-restore": "all", onclick: () => store.update((s) => ({ ...s, seen: [], notInterested: [], dislikes: [] })) }, "Restore all") : null,
      ),
      state.likes.length
        ? h("details", { class: "liked-list" }, h("summary", {}, `Liked (${state.likes.length})`), h("ul", {}, state.likes.map((id) => row(id, "liked", "likes", "Unlike"))))
        : null,
    ]);
  };
  render(store.get());
  store.subscribe(render);
  return root;
}
