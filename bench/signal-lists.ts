// How often the page's signal lists (lib/signal-lists.ts) rank a selection by themselves, and
// at what cost, on the catalogue imported from ../shared/data/raw (skipped when absent):
//   - for random selections (1–3 series) and random filter sets, the share the lists answer
//     (the rest rank from the full data, with the vectors and every text), checked equal to
//     the full pipeline's candidates every time;
//   - per selection, the ranking's median time from the lists against the full pipeline's;
//   - the lists' bytes per series on the wire (deflated).
//   node_modules/.bin/tsx bench/signal-lists.ts [--selections 300] [--depth 2000]
// Progress on stderr; one JSON line on stdout.
import { deflateRawSync } from "node:zlib";
import { parseArgs } from "node:util";
import { yearOf, type Movie, type Series } from "../lib/catalog.ts";
import { filterIds, type Filters } from "../lib/filters.ts";
import { createFusionContext, createRankingContext, rankingInput, type RankableMovie, type RankableSeries } from "../lib/pipeline.ts";
import { seededRandom } from "../lib/random.ts";
import { SIGNAL_LIST_DEPTH, buildSignalLists, encodeSignalLists, listRanking, type SeriesSignalLists } from "../lib/signal-lists.ts";
import { rowOf } from "../lib/vectors.ts";
import { readCatalog } from "../loaders/catalog/store.ts";
import { catalogVectorFiles } from "../loaders/vectors/files.ts";
import { RAW, rawAvailable, rawCatalogDir } from "./lib/raw-catalog.ts";

if (!rawAvailable()) {
  console.log(JSON.stringify({ bench: "signal-lists", skipped: `raw data absent: ${RAW}` }));
  process.exit(0);
}
const log = (line: string) => process.stderr.write(`${line}\n`);
const { values } = parseArgs({ options: { selections: { type: "string", default: "300" }, depth: { type: "string", default: String(SIGNAL_LIST_DEPTH) } } });
const selections = Number(values.selections);
const depth = Number(values.depth);

const dir = await rawCatalogDir(log);
const catalog = await readCatalog(dir);
const files = await catalogVectorFiles({ catalogDir: dir, catalog, log });
const movies: (RankableMovie & Movie)[] = catalog.movies.map((m: Movie) => ({ ...m, year: yearOf(m.release_date) }));
const series: RankableSeries[] = catalog.series.filter((s: Series) => rowOf(files.series, s.id) >= 0).map((s: Series) => ({ ...s, year: yearOf(s.first_air_date) }));
const context = createRankingContext(movies, { movies: files.movies, series: files.series });
const fusion = createFusionContext(movies);
const movieIds = movies.map((m) => m.id);

const random = seededRandom(2026);
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
const GENRES = ["Action", "Comedy", "Drama", "Crime", "Science Fiction", "Romance", "Thriller", "Horror", "Animation"];
const LANGUAGES = ["en", "fr", "ja", "es", "ko"];

/** A filter set as a visitor might set one: mostly one or two filters, sometimes several. */
function randomFilters(): Filters {
  const f: Filters = { ageAppropriateOnly: random() < 0.8 };
  if (random() < 0.5) f.genres = GENRES.filter(() => random() < 0.2);
  if (f.genres?.length && random() < 0.3) f.genreMode = "all";
  if (random() < 0.35) f.languages = LANGUAGES.filter(() => random() < 0.4);
  if (random() < 0.3) f.minVotes = Math.floor(random() * 3000);
  if (random() < 0.2) f.minPopularity = Math.floor(random() * 40);
  if (random() < 0.25) f.yearFrom = 1960 + Math.floor(random() * 60);
  if (random() < 0.2) f.yearTo = 1980 + Math.floor(random() * 45);
  return f;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

const lists = new Map<number, SeriesSignalLists>();
const listsOf = (id: number) => {
  let found = lists.get(id);
  if (!found) lists.set(id, (found = buildSignalLists(context, series.find((s) => s.id === id)!, depth)));
  return found;
};

let answered = 0;
let unfiltered = 0;
let unfilteredAnswered = 0;
let mismatches = 0;
const listMs: number[] = [];
const fullMs: number[] = [];
const allowedShares: number[] = [];
const declinedShares: number[] = [];
for (let i = 0; i < selections; i++) {
  const chosen = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(series)))];
  const filters = randomFilters();
  const allowedIds = filterIds(movies, filters);
  const request = { series: chosen.map((s) => ({ series: s })), allowedIds, filters };
  for (const s of chosen) listsOf(s.id);
  let started = performance.now();
  const plan = listRanking(fusion, request, listsOf);
  const fromLists = plan?.input(() => 1);
  const listTime = performance.now() - started;
  started = performance.now();
  const full = rankingInput(context, request);
  fullMs.push(performance.now() - started);
  const isUnfiltered = !filters.genres?.length && !filters.languages?.length && !filters.minVotes && !filters.minPopularity && !filters.yearFrom && !filters.yearTo;
  if (isUnfiltered) unfiltered++;
  if (fromLists) {
    answered++;
    if (isUnfiltered) unfilteredAnswered++;
    listMs.push(listTime);
    allowedShares.push(allowedIds.length / movies.length);
    if (JSON.stringify(fromLists.candidates.map((c) => c.id)) !== JSON.stringify(full.candidates.map((c) => c.id))) mismatches++;
  } else {
    declinedShares.push(allowedIds.length / movies.length);
  }
  if ((i + 1) % 50 === 0) log(`signal-lists: ${i + 1} of ${selections} selections, ${answered} answered by the lists`);
}

const chunkBytes = [...lists.values()].map((l) => deflateRawSync(encodeSignalLists(l, movieIds), { level: 9 }).length);
console.log(
  JSON.stringify({
    bench: "signal-lists",
    catalog: { movies: movies.length, series: series.length },
    depth,
    selections,
    answered_by_lists: round(answered / selections, 3),
    answered_without_filters: unfiltered ? round(unfilteredAnswered / unfiltered, 3) : null,
    candidates_differing_from_full_pipeline: mismatches,
    allowed_share_median: { answered: round(median(allowedShares), 3), declined: round(median(declinedShares), 3) },
    ranking_ms_median: { lists: round(median(listMs)), full_pipeline: round(median(fullMs)) },
    list_bytes_per_series: { median: median(chunkBytes), max: Math.max(...chunkBytes), series_measured: chunkBytes.length },
  }),
);
