// A tiny element builder. Children that are strings become text nodes, so text from the
// catalogue (untrusted TMDB data) can never turn into markup.
export type Child = Node | string | number | null | undefined | false | readonly Child[];

export type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Ids unique within the page, for label/input pairs. */
let counter = 0;
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A Framework-style `.card` with a title and an optional subtitle around some content. */
export function card(title: string, subtitle: string | null, ...content: Child[]): HTMLElement {
  return h("div", { class: "card" }, h("h2", {}, title), subtitle ? h("h3", {}, subtitle) : null, ...content);
}
