// Importing a watch history in the browser: Letterboxd, Trakt, IMDb or Netflix exports are read
// and matched here (lib/history/), nothing is uploaded. The report shows what matched, lets the
// visitor choose for ambiguous rows, lists what this catalogue lacks, and applies only on request:
// seen movies leave the list, highly rated ones may become likes, series found are offered.
import { append, h } from "./dom.js";
import { fanStore } from "./fan-state.js";
import {
  LIKE_RATING,
  historyOutcome,
  matchHistory,
  parseHistoryFiles,
  stateToSearch,
  type AmbiguousEntry,
  type HistoryReport,
  type MatchableTitle,
} from "./lib.bundle.js";

export interface ImportCatalogue {
  movies: readonly MatchableTitle[];
  series: readonly MatchableTitle[];
}

const FORMAT_NAMES = { letterboxd: "Letterboxd", trakt: "Trakt", imdb: "IMDb", netflix: "Netflix" } as const;

function describe(entry: { title: string; year: number | null }): string {
  return entry.year ? `${entry.title} (${entry.year})` : entry.title;
}

export function historyImport(catalogue: () => ImportCatalogue): HTMLElement {
  const input = h("input", { type: "file", id: "history-file", "data-import": "history", multiple: true, accept: ".csv,.json,text/csv,application/json" });
  const report = h("div", { class: "import-report", "data-import-report": "" });
  const root = h(
    "details",
    { class: "history-import" },
    h("summary", {}, "Import what you have watched"),
    h("p", { class: "muted" }, "Letterboxd (watched, diary, ratings), Trakt JSON, IMDb ratings or lists, or Netflix viewing history. The files are read in this browser; nothing is uploaded."),
    h("label", { for: "history-file" }, "History files"),
    input,
    report,
  );

  input.addEventListener("change", async () => {
    const files = [...(input.files ?? [])];
    if (files.length === 0) return;
    let parsed;
    try {
      parsed = parseHistoryFiles(await Promise.all(files.map(async (file) => ({ name: file.name, text: await file.text() }))));
    } catch (error) {
      // One broken file stops the whole import: nothing is applied.
      report.replaceChildren(h("p", { class: "import-error", role: "alert" }, `Nothing was imported. ${(error as Error).message}`));
      return;
    }
    showReport(matchHistory(parsed, catalogue()));
  });

  function showReport(result: HistoryReport) {
    const chosen = new Map<AmbiguousEntry, number>();
    const movies = result.matched.filter((m) => m.entry.kind === "movie");
    const seriesFound = result.matched.filter((m) => m.entry.kind === "series");
    const rated = movies.filter((m) => (m.entry.rating ?? 0) >= LIKE_RATING);
    const likeBox = h("input", { type: "checkbox", id: "import-likes", checked: rated.length > 0 });
    const titleOf = new Map(catalogue().series.map((s) => [s.id, s.title]));
    const ambiguous = result.ambiguous.map((a, i) => {
      const select = h(
        "select",
        { id: `import-choice-${i}`, "data-choice": i },
        h("option", { value: "" }, "None of these"),
        a.choices.map((c) => h("option", { value: c.id }, describe(c))),
      );
      select.addEventListener("change", () => {
        if (select.value) chosen.set(a, Number(select.value));
        else chosen.delete(a);
      });
      return h("li", {}, h("label", { for: `import-choice-${i}` }, `${describe(a.entry)}: which one?`), " ", select);
    });
    const apply = h("button", { type: "button", "data-import-apply": "" }, `Hide the movies you have seen`);
    const done = h("p", { class: "import-done", role: "status" });
    apply.addEventListener("click", () => {
      const outcome = historyOutcome(result, chosen);
      const likes = likeBox.checked ? outcome.likedMovieIds : [];
      fanStore().update((s) => ({
        ...s,
        seen: [...new Set([...s.seen, ...outcome.seenMovieIds])],
        likes: [...new Set([...s.likes, ...likes])],
        dislikes: s.dislikes.filter((id) => !likes.includes(id)),
      }));
      done.textContent = `${outcome.seenMovieIds.length} movies hidden${likes.length ? `, ${likes.length} liked` : ""}. Restore any of them under Hidden.`;
    });
    const seriesIds = seriesFound.map((m) => m.id);
    report.replaceChildren();
    append(report, [
      h("h3", {}, "Match report"),
      h("ul", { class: "import-files" }, result.files.map((f) => h("li", {}, `${f.fileName}: ${FORMAT_NAMES[f.format]}, ${f.entries} titles${f.skipped ? ` (${f.skipped} rows skipped)` : ""}`))),
      h("p", { "data-import-count": "matched" }, `Matched: ${movies.length} movies${seriesFound.length ? ` and ${seriesFound.length} series` : ""}.`),
      ambiguous.length ? h("div", { "data-import-count": "ambiguous" }, h("p", {}, `Ambiguous: ${ambiguous.length} (choose below)`), h("ul", {}, ambiguous)) : null,
      result.notFound.length
        ? h("details", { "data-import-count": "not-found" }, h("summary", {}, `Not in this catalogue: ${result.notFound.length}`), h("ul", {}, result.notFound.map((e) => h("li", {}, describe(e)))))
        : null,
      rated.length ? h("p", {}, likeBox, h("label", { for: "import-likes" }, ` Also like the ${rated.length} you rated ${LIKE_RATING}/10 or more`)) : null,
      movies.length || ambiguous.length ? apply : null,
      done,
      seriesIds.length
        ? h(
            "p",
            { "data-import-series": "" },
            "Series you love, from your history: ",
            seriesIds.map((id, i) => [i ? ", " : "", titleOf.get(id) ?? String(id)]),
            ". ",
            h("a", { href: `?${stateToSearch({ seriesIds: seriesIds.slice(0, 20), filters: { ageAppropriateOnly: true } })}` }, "Recommend for these series"),
          )
        : null,
    ]);
  }

  return root;
}
