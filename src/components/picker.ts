// A searchable multi-select: type to find, pick with the mouse or the keyboard, remove with
// the chip's button. Its `value` is the list of chosen ids and it fires "input" when that
// changes, so it works with Observable's view() and inside Inputs.form-like wrappers.
//
// Keyboard, as WAI-ARIA's editable combobox with list autocomplete: typing or ↓ opens the
// list; ↓/↑ move through the options (wrapping), Home/End jump to the first/last while one is
// active; Enter adds the active option (or the first when none is); Escape closes the list,
// and a second Escape clears the text; Backspace in an empty box removes the last chip. Focus
// stays in the text box and `aria-activedescendant` names the active option, so screen readers
// read it. Adding and removing are announced through the page's live region.
import { h, uid } from "./dom.js";
import { announce } from "./live-region.js";

export interface PickerItem {
  id: number | string;
  label: string;
  /** Secondary text (a year, a count). */
  detail?: string;
  /** Thumbnail URL, when there is one. */
  image?: string | null;
}

export interface PickerOptions {
  label: string;
  items: readonly PickerItem[];
  value?: readonly (number | string)[];
  placeholder?: string;
  /** Suggestions shown at once. */
  limit?: number;
  /** Words for the screen-reader hint when nothing is chosen. */
  emptyText?: string;
  /** A star toggle on each chip (a favourite counts more); its ids are the element's `starred`. */
  star?: { label: string; value?: readonly (number | string)[] };
}

export type PickerElement = HTMLDivElement & { value: (number | string)[]; starred: (number | string)[] };

function normalise(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase();
}

function thumbnail(item: PickerItem, className: string): HTMLElement {
  if (item.image) {
    const img = h("img", { src: item.image, alt: "", loading: "lazy", class: className, width: 32, height: 48 });
    // A missing poster falls back to the same placeholder as items without one.
    img.addEventListener("error", () => img.replaceWith(h("span", { class: `${className} placeholder`, "aria-hidden": "true" })));
    return img;
  }
  return h("span", { class: `${className} placeholder`, "aria-hidden": "true" });
}

export function picker(options: PickerOptions): PickerElement {
  const { items, limit = 8 } = options;
  const byId = new Map(items.map((item) => [item.id, item]));
  const search = items.map((item) => normalise(item.label));
  let value: (number | string)[] = (options.value ?? []).filter((id) => byId.has(id));
  let starred = new Set((options.star?.value ?? []).filter((id) => value.includes(id)));
  let suggestions: PickerItem[] = [];
  let active = -1;

  const inputId = uid("picker-input");
  const listId = uid("picker-list");
  const input = h("input", {
    id: inputId,
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    placeholder: options.placeholder ?? "Type to search",
  });
  const list = h("ul", { id: listId, role: "listbox", class: "picker-options", hidden: true, "aria-label": `${options.label} suggestions` });
  const chips = h("ul", { class: "picker-chips", "aria-label": `Chosen: ${options.label}` });
  const root = h(
    "div",
    { class: "picker" },
    h("label", { for: inputId, class: "picker-label" }, options.label),
    chips,
    h("div", { class: "picker-field" }, input, list),
  ) as PickerElement;

  function emit() {
    root.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function renderChips() {
    chips.replaceChildren(
      ...value.map((id) => {
        const item = byId.get(id)!;
        return h(
          "li",
          { class: "picker-chip" },
          h("span", { class: "picker-chip-label" }, item.label, item.detail ? h("span", { class: "picker-detail" }, ` ${item.detail}`) : null),
          options.star
            ? h(
                "button",
                {
                  type: "button",
                  class: "picker-star",
                  "data-id": String(id),
                  "aria-pressed": starred.has(id) ? "true" : "false",
                  "aria-label": `${options.star.label}: ${item.label}`,
                  title: `${options.star.label}: ${item.label}`,
                  onclick: () => toggleStar(id),
                },
                starred.has(id) ? "♥" : "♡",
              )
            : null,
          h(
            "button",
            {
              type: "button",
              class: "picker-remove",
              "aria-label": `Remove ${item.label}`,
              title: `Remove ${item.label}`,
              onclick: () => remove(id, true),
            },
            "×",
          ),
        );
      }),
    );
    if (value.length === 0 && options.emptyText) chips.append(h("li", { class: "picker-empty" }, options.emptyText));
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  /** Renders the suggestions for the current text; `active` is kept when still in range, else none. */
  function renderList() {
    const query = normalise(input.value.trim());
    const chosen = new Set(value);
    const starts: PickerItem[] = [];
    const contains: PickerItem[] = [];
    for (let i = 0; i < items.length && starts.length < limit; i++) {
      if (chosen.has(items[i].id)) continue;
      const at = query ? search[i].indexOf(query) : 0;
      if (at === 0) starts.push(items[i]);
      else if (at > 0 && contains.length < limit) contains.push(items[i]);
    }
    suggestions = [...starts, ...contains].slice(0, limit);
    if (active >= suggestions.length) active = -1;
    list.replaceChildren(
      ...(suggestions.length
        ? suggestions.map((item, i) =>
            h(
              "li",
              {
                id: `${listId}-${i}`,
                role: "option",
                class: "picker-option",
                "aria-selected": i === active ? "true" : "false",
                // mousedown, not click: the input must not lose focus (and close the list) first.
                onmousedown: (event: Event) => {
                  event.preventDefault();
                  add(item.id);
                },
              },
              thumbnail(item, "picker-thumb"),
              h("span", { class: "picker-option-label" }, item.label),
              item.detail ? h("span", { class: "picker-detail" }, item.detail) : null,
            ),
          )
        : [h("li", { class: "picker-none", role: "option", "aria-disabled": "true" }, query ? `Nothing matches “${input.value.trim()}”` : "Everything is chosen")]),
    );
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", `${listId}-${active}`);
      list.children[active]?.scrollIntoView?.({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  /** Makes option `index` active (opening the list first when it is closed). */
  function move(index: (count: number) => number) {
    if (list.hidden) renderList();
    active = suggestions.length ? index(suggestions.length) : -1;
    renderList();
  }

  function add(id: number | string) {
    if (!value.includes(id)) value = [...value, id];
    announce(`Added ${byId.get(id)!.label}.`, "picker");
    input.value = "";
    renderChips();
    // Closed so the list does not cover the controls below; typing or ↓ opens it again.
    close();
    emit();
  }

  function toggleStar(id: number | string) {
    if (starred.has(id)) starred.delete(id);
    else starred.add(id);
    renderChips();
    // The chips were redrawn: give focus back to the same star, not to the page.
    chips.querySelector<HTMLButtonElement>(`.picker-star[data-id="${CSS.escape(String(id))}"]`)?.focus();
    emit();
  }

  function remove(id: number | string, refocus = false) {
    value = value.filter((v) => v !== id);
    starred.delete(id);
    announce(`Removed ${byId.get(id)!.label}.`, "picker");
    renderChips();
    if (!list.hidden) renderList();
    // The removed chip's button had focus; the text box is the natural place to go on.
    if (refocus) input.focus();
    emit();
  }

  // The text box's own input events are typing, not a change of the picker's value.
  input.addEventListener("input", (event) => {
    event.stopPropagation();
    active = -1;
    renderList();
  });
  // A click opens the list; reaching the box with Tab does not, so the list never covers
  // the controls a keyboard user is tabbing past.
  input.addEventListener("click", () => {
    if (list.hidden) renderList();
  });
  input.addEventListener("blur", () => close());
  input.addEventListener("keydown", (event) => {
    const open = !list.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      move((n) => (open && active >= 0 ? (active + 1) % n : 0));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      move((n) => (open && active >= 0 ? (active - 1 + n) % n : n - 1));
    } else if ((event.key === "Home" || event.key === "End") && open && active >= 0) {
      event.preventDefault();
      move((n) => (event.key === "Home" ? 0 : n - 1));
    } else if (event.key === "Enter") {
      event.preventDefault();
      const chosen = open ? suggestions[active >= 0 ? active : 0] : undefined;
      if (chosen) add(chosen.id);
    } else if (event.key === "Escape") {
      // A search box clears itself on Escape; the first Escape only closes the list.
      event.preventDefault();
      if (open) close();
      else input.value = "";
    } else if (event.key === "Backspace" && input.value === "" && value.length > 0) {
      remove(value[value.length - 1]);
    }
  });

  Object.defineProperty(root, "value", {
    get: () => value.slice(),
    set: (next: (number | string)[]) => {
      value = (next ?? []).filter((id) => byId.has(id));
      starred = new Set([...starred].filter((id) => value.includes(id)));
      renderChips();
    },
  });
  Object.defineProperty(root, "starred", {
    get: () => value.filter((id) => starred.has(id)),
    set: (next: (number | string)[]) => {
      starred = new Set((next ?? []).filter((id) => value.includes(id)));
      renderChips();
    },
  });
  renderChips();
  return root;
}
