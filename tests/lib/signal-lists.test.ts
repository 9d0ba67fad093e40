// The page's ranking from the build's per-series signal lists must be the full pipeline's
// ranking, or say it cannot be (a filter that leaves a truncated list too short).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { normaliseMovie } from "../../lib/catalog.ts";
import { fallbackRank } from "../../lib/fallback.ts";
import { filterIds, type Filters } from "../../lib/filters.ts";
import { keywordFrequency } from "../../lib/metadata-links.ts";
import { RETRIEVAL_DEPTH, createFusionContext, createRankingContext, rankingInput, type RankableMovie, type RankableSeries } from "../../lib/pipeline.ts";
import { seededRandom } from "../../lib/random.ts";
import { buildSignalLists, decodeSignalLists, encodeSignalLists, listRanking, signalsFromLists, truncateSignalLists, type SeriesSignalLists } from "../../lib/signal-lists.ts";
import { quantizeInt8 } from "../../lib/vectors.ts";
import { fakeVector } from "../helpers/fake-embedder.ts";
import { vectorSetOf } from "../fixtures/synthetic-vectors.ts";

const random = seededRandom(7);
const pick = <T>(list: readonly T[], n: number) => Array.from({ length: n }, () => list[Math.floor(random() * list.length)]);
const KEYWORDS = Array.from({ length: 40 }, (_, i) => `theme ${i}`);
const PEOPLE = Array.from({ length: 40 }, (_, i) => `Person ${i}`);
const COMPANIES = Array.from({ length: 10 }, (_, i) => `Studio ${i}`);

// The demo catalogue's movies six times over (ids, popularity, votes and metadata varied), so
// that lists can be cut short of the catalogue and still hold RETRIEVAL_DEPTH allowed movies.
type DemoMovie = { id: number; title: string; overview: string; release_date: string | null; popularity: number; vote_average: number; vote_count: number; genre_names: string[]; language: string; adult: boolean };
const demo = JSON.parse(readFileSync(new URL("../../data/demo/movies.json", import.meta.url), "utf8")) as DemoMovie[];
const MOVIES: (RankableMovie & { age_appropriate: boolean; language: string })[] = [];
for (let copy = 0; copy < 6; copy++) {
  for (const m of demo) {
    const movie = normaliseMovie({ ...m, id: m.id + copy * 1_000_000, date: m.release_date, popularity: m.popularity * (0.5 + random()), vote_count: Math.round(m.vote_count * random()) });
    MOVIES.push({
      ...movie,
      title: copy === 0 ? m.title : `${m.title} ${["Returns", "Again", "Rising", "Forever", "Reborn"][copy - 1]}`,
      year: movie.release_date ? Number(movie.release_date.slice(0, 4)) : null,
      keywords: pick(KEYWORDS, 3),
      cast: pick(PEOPLE, 3),
      directors: pick(PEOPLE, 1),
      companies: pick(COMPANIES, 1),
    });
  }
}
const demoSeries = JSON.parse(readFileSync(new URL("../../data/demo/series.json", import.meta.url), "utf8")) as (Omit<DemoMovie, "title" | "release_date"> & { name: string; first_air_date: string })[];
const SERIES: RankableSeries[] = demoSeries.slice(0, 12).map((s) => ({
  ...s,
  year: Number(s.first_air_date.slice(0, 4)),
  keywords: pick(KEYWORDS, 4),
  cast: pick(PEOPLE, 3),
  creators: pick(PEOPLE, 1),
  companies: pick(COMPANIES, 1),
}));
const vectors = {
  movies: quantizeInt8(vectorSetOf(MOVIES.map((m) => [m.id, [...fakeVector(`${m.title} ${m.overview}`, 16)]]))),
  series: quantizeInt8(vectorSetOf(SERIES.map((s) => [s.id, [...fakeVector(s.name, 16)]]))),
};
const context = createRankingContext(MOVIES, vectors);
const fusion = createFusionContext(MOVIES);
const DEPTH = 600;
const movieIds = MOVIES.map((m) => m.id);
// Through the file format, as the page reads them.
const lists = new Map<number, SeriesSignalLists>(SERIES.map((s) => [s.id, decodeSignalLists(encodeSignalLists(buildSignalLists(context, s, DEPTH), movieIds), movieIds)]));

function randomFilters(): Filters {
  const filters: Filters = { ageAppropriateOnly: random() < 0.7 };
  if (random() < 0.5) filters.genres = pick(["Drama", "Crime", "Comedy", "Action", "Thriller", "Science Fiction"], 1 + Math.floor(random() * 2));
  if (filters.genres && random() < 0.3) filters.genreMode = "all";
  if (random() < 0.3) filters.languages = ["en"];
  if (random() < 0.4) filters.minVotes = Math.floor(random() * 3000);
  if (random() < 0.2) filters.yearFrom = 1970 + Math.floor(random() * 40);
  return filters;
}

describe("signal lists", () => {
  it("rank a selection exactly as the full pipeline does, or decline when a list is too short for the filters", () => {
    let exact = 0;
    let declined = 0;
    for (let trial = 0; trial < 150; trial++) {
      const filters = randomFilters();
      const chosen = pick(SERIES, 1 + Math.floor(random() * 3)).filter((s, i, all) => all.indexOf(s) === i);
      const series = chosen.map((s, i) => ({ series: s, weight: i === 0 && random() < 0.3 ? 2 : 1 }));
      const allowedIds = filterIds(MOVIES, filters);
      const plan = listRanking(fusion, { series, allowedIds, filters }, (id) => lists.get(id));
      if (!plan) {
        declined++;
        continue;
      }
      exact++;
      const full = rankingInput(context, { series, allowedIds, filters });
      const fromLists = plan.input(keywordFrequency(context.metadata));
      expect(plan.ids).toEqual(full.candidates.map((c) => c.id));
      // Cosines travel as float32: the same to 6 places; everything else exactly the same.
      const withoutSimilarity = (input: typeof full) => input.candidates.map(({ similarity: _, ...rest }) => rest);
      expect(withoutSimilarity(fromLists)).toEqual(withoutSimilarity(full));
      fromLists.candidates.forEach((c, i) => expect(Math.abs(c.similarity - full.candidates[i].similarity)).toBeLessThan(1e-6));
      expect({ ...fromLists, candidates: [] }).toEqual({ ...full, candidates: [] });
      expect(fallbackRank(fromLists).picks).toEqual(fallbackRank(full).picks);
    }
    // Both outcomes happen, so the comparison above ran on real cases and the refusal works.
    expect(exact).toBeGreaterThan(40);
    expect(declined).toBeGreaterThan(5);
  });

  it("decline only when a truncated list runs out: a complete list answers any filter", () => {
    const series = SERIES[0];
    const few = new Set(filterIds(MOVIES, { genres: ["Science Fiction"], genreMode: "all", minVotes: 2000 }));
    expect(few.size).toBeLessThan(RETRIEVAL_DEPTH);
    expect(signalsFromLists(lists.get(series.id)!, series, few)).toBeNull();
    const complete = buildSignalLists(context, series, MOVIES.length + 1);
    expect(complete.dense.complete).toBe(true);
    const signals = signalsFromLists(complete, series, few)!;
    expect(signals.dense.map((d) => d.id).every((id) => few.has(id))).toBe(true);
    expect(signals.dense.length).toBe([...few].filter((id) => vectors.movies.ids.includes(id)).length);
  });

  it("cut from deeper lists, are the lists read that deep", () => {
    for (const series of SERIES.slice(0, 4)) {
      const deep = buildSignalLists(context, series, 5000);
      for (const depth of [50, 600, MOVIES.length]) expect(truncateSignalLists(deep, depth)).toEqual(buildSignalLists(context, series, depth));
    }
  });

  it("refuse a chunk that is not one, from another version, or cut short, naming the problem", () => {
    const chunk = encodeSignalLists(lists.get(SERIES[0].id)!, movieIds);
    expect(() => decodeSignalLists(new Uint8Array(16), movieIds)).toThrow(/bad magic/);
    const other = chunk.slice();
    new DataView(other.buffer).setUint32(4, 99, true);
    expect(() => decodeSignalLists(other, movieIds)).toThrow(/version 99/);
    expect(() => decodeSignalLists(chunk.subarray(0, chunk.length - 100), movieIds)).toThrow(/cut short/);
    expect(() => decodeSignalLists(chunk, movieIds.slice(0, 10))).toThrow(/past the catalogue/);
  });
});
