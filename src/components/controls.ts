// The Recommend page's inputs as one form whose value is the whole state
// ({seriesIds, filters}); it fires one "input" event per change, so the page has a single
// reactive value to compute from and to mirror into the URL. Native, labelled controls.
import { h, uid } from "./dom.js";
import { languageName, normaliseFilters, tmdbImageUrl } from "./lib.bundle.js";
import { picker, type PickerElement } from "./picker.js";
import type { SiteMovie, SiteSeries } from "./site-data.js";
import type { RecommendState } from "./lib.bundle.js";

export interface ControlsOptions {
  series: readonly SiteSeries[];
  movies: readonly SiteMovie[];
  genres: readonly string[];
  initial: RecommendState;
}

export type ControlsElement = HTMLFormElement & { value: RecommendState };

const STEPS = 1000;

/** A slider over [0, max] on a log(1 + x) scale: most titles sit near the low end. */
function logSlider(label: string, max: number, value: number | undefined, format: (n: number) => string) {
  const id = uid("slider");
  const scale = Math.log1p(Math.max(1, max));
  const toValue = (position: number) => {
    const raw = Math.expm1((position / STEPS) * scale);
    // Round to a tidy figure so the URL and the label stay readable.
    const magnitude = raw < 10 ? 1 : 10 ** Math.floor(Math.log10(raw) - 1);
    return Math.round(raw / magnitude) * magnitude;
  };
  const toPosition = (v: number) => Math.round((Math.log1p(Math.max(0, v)) / scale) * STEPS);
  const input = h("input", { id, type: "range", min: 0, max: STEPS, step: 1 });
  const output = h("output", { for: id, class: "slider-value" });
  // A value set from a link is kept exactly until the slider moves: positions are coarser
  // than values, and a reload must reproduce the same results.
  let exact: { value: number | undefined; position: number } = { value: undefined, position: 0 };
  const current = () => (input.valueAsNumber === exact.position ? exact.value : input.valueAsNumber === 0 ? undefined : toValue(input.valueAsNumber));
  const show = () => {
    const v = current();
    output.textContent = v === undefined ? "any" : `≥ ${format(v)}`;
  };
  const set = (v: number | undefined) => {
    const position = toPosition(v ?? 0);
    exact = { value: v === 0 ? undefined : v, position };
    input.valueAsNumber = position;
    show();
  };
  input.addEventListener("input", show);
  set(value);
  const root = h("div", { class: "control" }, h("label", { for: id }, label), h("div", { class: "slider" }, input, output));
  return {
    root,
    get value(): number | undefined {
      return current();
    },
    set value(v: number | undefined) {
      set(v);
    },
  };
}

function yearInput(label: string, min: number, max: number, value: number | undefined) {
  const id = uid("year");
  const input = h("input", { id, type: "number", min, max, step: 1, inputmode: "numeric", placeholder: String(label.startsWith("From") ? min : max) });
  if (value !== undefined) input.value = String(value);
  return {
    root: h("div", { class: "control year" }, h("label", { for: id }, label), input),
    input,
    get value(): number | undefined {
      const n = input.valueAsNumber;
      return Number.isInteger(n) ? n : undefined;
    },
    set value(v: number | undefined) {
      input.value = v === undefined ? "" : String(v);
    },
  };
}

function count(n: number, what: string): string {
  return `${n.toLocaleString("en")} ${what}`;
}

export function recommendControls(options: ControlsOptions): ControlsElement {
  const { series, movies, genres, initial } = options;
  const years = movies.map((m) => m.year).filter((y): y is number => y !== null);
  // reduce, not Math.min(...years): spreading a very large catalogue overflows the call stack.
  const minYear = years.length ? years.reduce((a, b) => Math.min(a, b)) : 1900;
  const maxYear = years.length ? years.reduce((a, b) => Math.max(a, b)) : new Date().getFullYear();
  const maxPopularity = movies.reduce((m, x) => Math.max(m, x.popularity), 0);
  const maxVotes = movies.reduce((m, x) => Math.max(m, x.vote_count), 0);

  const seriesPicker = picker({
    label: "TV series you love",
    placeholder: "Search series by name",
    emptyText: "None chosen yet",
    items: series.map((s) => ({ id: s.id, label: s.name, detail: s.year ? String(s.year) : undefined, image: tmdbImageUrl(s.poster_path, "w92") })),
    value: initial.seriesIds,
    // A favourite weighs FAVOURITE_WEIGHT times a liked series in the shared list.
    star: { label: "Favourite", value: initial.favourites ?? [] },
  });

  const languageCounts = new Map<string, number>();
  for (const m of movies) languageCounts.set(m.language, (languageCounts.get(m.language) ?? 0) + 1);
  const languagePicker = picker({
    label: "Languages",
    placeholder: "Any language; type to choose",
    items: [...languageCounts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([code, n]) => ({ id: code, label: languageName(code), detail: count(n, n === 1 ? "movie" : "movies") })),
    value: initial.filters.languages ?? [],
  });

  const excludePicker = picker({
    label: "Titles to exclude",
    placeholder: "Movies you have seen",
    items: movies.map((m) => ({ id: m.id, label: m.title, detail: m.year ? String(m.year) : undefined })),
    value: initial.filters.excludeIds ?? [],
  });

  const genreBoxes = genres.map((genre) => {
    const id = uid("genre");
    const box = h("input", { id, type: "checkbox", value: genre, name: "genre" });
    return { genre, box, root: h("label", { class: "check", for: id }, box, genre) };
  });
  const modeName = uid("mode");
  const modeRadios = (["any", "all"] as const).map((mode) => {
    const id = uid("mode");
    const radio = h("input", { id, type: "radio", name: modeName, value: mode });
    return { mode, radio, root: h("label", { class: "check", for: id }, radio, mode === "any" ? "any of them" : "all of them") };
  });

  const popularity = logSlider("Minimum popularity", maxPopularity, initial.filters.minPopularity, (n) => n.toLocaleString("en"));
  const votes = logSlider("Minimum votes", maxVotes, initial.filters.minVotes, (n) => n.toLocaleString("en"));
  const yearFrom = yearInput("From year", minYear, maxYear, initial.filters.yearFrom);
  const yearTo = yearInput("To year", minYear, maxYear, initial.filters.yearTo);
  const ageId = uid("age");
  const age = h("input", { id: ageId, type: "checkbox", role: "switch" });

  const reset = h("button", { type: "button", class: "reset" }, "Reset filters");

  const filters = h(
    "div",
    { class: "filters" },
    h("fieldset", { class: "control genres" }, h("legend", {}, "Movie genres"), h("div", { class: "checks" }, genreBoxes.map((g) => g.root))),
    h("fieldset", { class: "control mode" }, h("legend", {}, "Match"), h("div", { class: "checks" }, modeRadios.map((r) => r.root))),
    h("div", { class: "control" }, languagePicker),
    popularity.root,
    votes.root,
    h("div", { class: "years" }, yearFrom.root, yearTo.root),
    h("div", { class: "control toggle" }, h("label", { for: ageId, class: "check" }, age, "Age-appropriate titles only")),
    h("div", { class: "control" }, excludePicker),
    h("div", { class: "control actions" }, reset),
  );
  const summary = h("summary", {}, "Filters");
  // Folded on phones, where the results would otherwise sit a screen below the inputs.
  const folded = typeof matchMedia === "function" && matchMedia("(max-width: 959px)").matches;
  const form = h(
    "form",
    { class: "controls", "aria-label": "What to recommend" },
    h("div", { class: "control series" }, seriesPicker),
    h("details", { class: "filters-panel", open: !folded }, summary, filters),
  ) as ControlsElement;

  function read(): RecommendState {
    const chosenGenres = genreBoxes.filter((g) => g.box.checked).map((g) => g.genre);
    const mode = modeRadios.find((r) => r.radio.checked)?.mode ?? "any";
    return {
      seriesIds: (seriesPicker as PickerElement).value as number[],
      favourites: (seriesPicker as PickerElement).starred as number[],
      filters: normaliseFilters({
        genres: chosenGenres,
        genreMode: mode,
        languages: languagePicker.value as string[],
        minPopularity: popularity.value,
        minVotes: votes.value,
        yearFrom: yearFrom.value,
        yearTo: yearTo.value,
        ageAppropriateOnly: age.checked,
        excludeIds: excludePicker.value as number[],
      }),
    };
  }

  function write(state: RecommendState) {
    const f = state.filters;
    seriesPicker.value = state.seriesIds;
    (seriesPicker as PickerElement).starred = state.favourites ?? [];
    for (const g of genreBoxes) g.box.checked = f.genres?.includes(g.genre) ?? false;
    for (const r of modeRadios) r.radio.checked = r.mode === (f.genreMode ?? "any");
    languagePicker.value = f.languages ?? [];
    popularity.value = f.minPopularity;
    votes.value = f.minVotes;
    yearFrom.value = f.yearFrom;
    yearTo.value = f.yearTo;
    age.checked = f.ageAppropriateOnly !== false;
    excludePicker.value = f.excludeIds ?? [];
  }

  let value = read();
  write(initial);
  value = read();
  summarise();

  /** "Filters · 2 active", so a folded panel still tells what is narrowing the results. */
  function summarise() {
    const f = value.filters;
    const active =
      (f.genres ? 1 : 0) +
      (f.languages ? 1 : 0) +
      (f.minPopularity !== undefined ? 1 : 0) +
      (f.minVotes !== undefined ? 1 : 0) +
      (f.yearFrom !== undefined || f.yearTo !== undefined ? 1 : 0) +
      (f.ageAppropriateOnly === false ? 1 : 0) +
      (f.excludeIds ? 1 : 0);
    summary.textContent = active ? `Filters · ${active} active` : "Filters";
  }

  function changed() {
    value = read();
    summarise();
    form.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Child events become one event from the form, carrying the whole state.
  form.addEventListener("input", (event) => {
    if (event.target === form) return;
    event.stopPropagation();
    // Year boxes commit on "change" so typing 1990 does not filter by 1, 19 and 199 first.
    if (event.target === yearFrom.input || event.target === yearTo.input) return;
    changed();
  });
  form.addEventListener("change", (event) => {
    if (event.target === yearFrom.input || event.target === yearTo.input) changed();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  reset.addEventListener("click", () => {
    write({ seriesIds: (seriesPicker as PickerElement).value as number[], favourites: (seriesPicker as PickerElement).starred as number[], filters: { ageAppropriateOnly: true } });
    changed();
  });

  Object.defineProperty(form, "value", {
    get: () => value,
    set: (next: RecommendState) => {
      write(next);
      value = read();
      summarise();
    },
  });
  return form;
}
