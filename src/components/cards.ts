// Result cards. Every piece of catalogue text goes in as a text node (see dom.ts).
import { cardActions } from "./card-actions.js";
import { h } from "./dom.js";
import { cardProviders } from "./providers.js";
import { languageName, tmdbImageUrl } from "./lib.bundle.js";
import type { SiteMovie } from "./site-data.js";

export interface ResultItem {
  movie: SiteMovie;
  rank: number;
  /** Cosine similarity to the chosen series, when known. */
  similarity: number | null;
  sharedGenres: string[];
  reason: string;
  /** Names of the chosen series this pick is there for, first the one whose share it fills (several series only). */
  because: string[];
  /** The overview, fetched when the card's "Story" is first opened, when the movie does not carry it yet. */
  story?: () => Promise<string>;
  /** Titles of the liked movies that brought this pick ("Because you liked Heat"). */
  liked?: string[];
}

const number = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en");

function initials(title: string): string {
  const words = title.split(/\s+/).filter((w) => /\p{L}|\p{N}/u.test(w));
  return words
    .slice(0, 2)
    .map((w) => [...w][0])
    .join("")
    .toUpperCase();
}

export function posterPlaceholder(title: string): HTMLElement {
  return h("div", { class: "poster poster-placeholder", role: "img", "aria-label": `No poster for ${title}` }, h("span", { "aria-hidden": "true" }, initials(title)));
}

/** The TMDB poster when the catalogue has a path, a tidy placeholder otherwise or on error. */
export function poster(title: string, path: string | null, size = "w185"): HTMLElement {
  const url = tmdbImageUrl(path, size);
  if (!url) return posterPlaceholder(title);
  const img = h("img", { class: "poster", src: url, alt: `Poster: ${title}`, loading: "lazy", decoding: "async", width: 120, height: 180 });
  img.addEventListener("error", () => img.replaceWith(posterPlaceholder(title)));
  return img;
}

function listNames(names: readonly string[]): string {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function stat(label: string, value: string, title?: string): HTMLElement {
  return h("div", { class: "stat", title }, h("dt", {}, label), h("dd", {}, value));
}

/** The "Story" disclosure; with only a loader, the text is fetched the first time it is opened. */
function storyDetails(overview: string, load?: () => Promise<string>): HTMLElement | null {
  if (overview) return h("details", { class: "overview" }, h("summary", {}, "Story"), h("p", {}, overview));
  if (!load) return null;
  const text = h("p", {}, "Loading the story…");
  const details = h("details", { class: "overview" }, h("summary", {}, "Story"), text);
  details.addEventListener(
    "toggle",
    () =>
      void load().then(
        (story) => text.replaceChildren(story || "The catalogue has no story for this movie."),
        (error: unknown) => text.replaceChildren(`The story could not be loaded (${error instanceof Error ? error.message : String(error)}); close and open it to try again.`),
      ),
  );
  return details;
}

export function resultCard(item: ResultItem): HTMLElement {
  const { movie } = item;
  const shared = new Set(item.sharedGenres);
  return h(
    "li",
    { class: "card result-card", "data-movie-id": movie.id },
    poster(movie.title, movie.poster_path),
    h(
      "div",
      { class: "result-body" },
      h("h3", { class: "result-title" }, h("span", { class: "result-rank" }, `${item.rank}. `), movie.title, movie.year ? h("span", { class: "result-year" }, ` (${movie.year})`) : null),
      h(
        "ul",
        { class: "genres", "aria-label": "Genres" },
        movie.genre_names.map((g) => h("li", { class: shared.has(g) ? "genre shared" : "genre", title: shared.has(g) ? "Shared with your series" : undefined }, g)),
        movie.language ? h("li", { class: "genre language" }, languageName(movie.language)) : null,
      ),
      h(
        "dl",
        { class: "stats" },
        stat("Rating", `${number.format(movie.vote_average)}/10`, `${whole.format(movie.vote_count)} votes`),
        stat("Votes", whole.format(movie.vote_count)),
        stat("Popularity", number.format(movie.popularity)),
        item.similarity === null ? null : stat("Similarity", item.similarity.toFixed(2), "Cosine similarity of the story to your series (0 to 1)"),
      ),
      item.because.length ? h("p", { class: "because" }, `Because you like ${listNames(item.because)}`) : null,
      item.liked?.length ? h("p", { class: "because liked" }, `Because you liked ${listNames(item.liked.slice(0, 2))}`) : null,
      h("p", { class: "reason" }, item.reason),
      storyDetails(movie.overview, item.story),
      cardProviders(movie),
      cardActions(movie),
    ),
  );
}

export function resultCards(items: readonly ResultItem[]): HTMLElement {
  return h("ol", { class: "results-grid" }, items.map(resultCard));
}
