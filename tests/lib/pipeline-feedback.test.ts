// Likes, dislikes and a movie as the starting point, inside the one ranking pipeline.
import { describe, expect, it } from "vitest";
import { createRankingContext, dot, feedbackQuery, rankingInput, type RankableMovie, type RankableSeries } from "../../lib/index.ts";
import { vectorSetOf } from "../fixtures/synthetic-vectors.ts";

// Stories in four directions: 0 night-time crime, 1 heists, 2 police procedure, 3 comedy.
// Overviews share no words with the series, so the dense retrieval decides the order.
const movie = (id: number, title: string, overview: string, extra: Partial<RankableMovie> = {}): RankableMovie => ({
  id,
  title,
  year: 2000 + (id % 20),
  genre_names: ["Crime"],
  overview,
  popularity: 10,
  vote_average: 7,
  vote_count: 500,
  language: "en",
  ...extra,
});
const MOVIES: RankableMovie[] = [
  movie(1, "Heat", "Bank robbers plan one last score."),
  movie(2, "Thief", "A safecracker wants out of the trade."),
  movie(3, "Ronin", "Mercenaries chase a briefcase through France."),
  movie(4, "Precinct", "Detectives work a murder through winter."),
  movie(5, "Badge", "Uniformed officers patrol a harbour."),
  movie(6, "Nocturne", "Insomniacs wander neon streets."),
  movie(7, "Giggles", "Clowns open a bakery.", { genre_names: ["Comedy"] }),
  movie(10, "Star Voyage", "Captain Orla steers the Meridian past a dying sun.", { genre_names: ["Science Fiction"], collection: "Star Voyage Collection", directors: ["Ada Vale"] }),
  movie(11, "Star Voyage II", "The Meridian returns for its lost crew.", { genre_names: ["Science Fiction"], collection: "Star Voyage Collection" }),
  movie(12, "The Undiscovered Shore", "Orla faces a mutiny aboard the Meridian.", { genre_names: ["Science Fiction"], collection: "Star Voyage Collection" }),
  movie(13, "Comet Farm", "Farmers harvest ice from a passing comet.", { genre_names: ["Science Fiction"] }),
  movie(14, "Orbit Diner", "Cooks flip pancakes on a station.", { genre_names: ["Science Fiction"], directors: ["Ada Vale"] }),
];
const VECTORS: [number, number[]][] = [
  [1, [0.7, 0.7, 0, 0, 0]],
  [2, [0.45, 0.85, 0, 0.05, 0]],
  [3, [0.35, 0.9, 0, 0.1, 0]],
  [4, [0.75, 0, 0.65, 0, 0]],
  [5, [0.7, 0, 0.7, 0, 0]],
  [6, [0.95, 0.1, 0.1, 0, 0]],
  [7, [0.1, 0, 0, 1, 0]],
  [10, [0, 0, 0, 0.1, 1]],
  [11, [0, 0.3, 0, 0.4, 0.6]],
  [12, [0, 0.5, 0, 0.5, 0.4]],
  [13, [0, 0, 0, 0.25, 1]],
  [14, [0, 0, 0.1, 0.5, 0.8]],
];
const SERIES: RankableSeries = { id: 100, name: "Night Watch", year: 2010, genre_names: ["Crime"], overview: "After dark the city belongs to them.", language: "en" };
const context = createRankingContext(MOVIES, { movies: vectorSetOf(VECTORS), series: vectorSetOf([[100, [1, 0, 0, 0, 0]]]) });
const allowedIds = MOVIES.map((m) => m.id);
const request = { series: [{ series: SERIES }], allowedIds, filters: {}, limit: 6, k: 12 };
const order = (input: ReturnType<typeof rankingInput>) => input.candidates.map((c) => c.id);
const rankOf = (input: ReturnType<typeof rankingInput>, id: number) => order(input).indexOf(id);

describe("likes and dislikes (Rocchio feedback)", () => {
  const plain = rankingInput(context, request);

  it("leaves the ranking exactly as it was when there is no feedback", () => {
    const empty = rankingInput(context, { ...request, likes: [], dislikes: [] });
    expect(empty.candidates).toEqual(plain.candidates);
    expect(empty).toEqual(plain);
    expect(empty.feedback).toBeUndefined();
    expect(plain.candidates.some((c) => c.liked)).toBe(false);
  });

  it("moves the movies like a liked one up, and says which like brought them", () => {
    expect(rankOf(plain, 2)).toBeGreaterThan(rankOf(plain, 4));
    const liked = rankingInput(context, { ...request, likes: [1] });
    expect(rankOf(liked, 2)).toBeLessThan(rankOf(plain, 2));
    expect(rankOf(liked, 2)).toBeLessThan(rankOf(liked, 4)); // a heist film now beats a police one
    expect(liked.candidates.find((c) => c.id === 2)!.liked).toEqual([1]);
    expect(liked.candidates.find((c) => c.id === 6)!.liked).toBeUndefined(); // closer to the series than to Heat
    expect(liked.feedback).toEqual({ likes: [1], dislikes: [] });
  });

  it("removes a disliked movie and lowers its neighbours", () => {
    const disliked = rankingInput(context, { ...request, dislikes: [1] });
    expect(order(disliked)).not.toContain(1);
    const score = (input: ReturnType<typeof rankingInput>, id: number) => input.candidates.find((c) => c.id === id)!.similarity;
    expect(score(disliked, 2)).toBeLessThan(score(plain, 2));
    expect(rankOf(disliked, 4)).toBeLessThan(rankOf(disliked, 2));
  });

  it("ignores feedback on ids without a vector, and a movie both liked and disliked counts as disliked", () => {
    expect(rankingInput(context, { ...request, likes: [999] })).toEqual(plain);
    const both = rankingInput(context, { ...request, likes: [1], dislikes: [1] });
    expect(both.feedback).toEqual({ likes: [], dislikes: [1] });
    expect(order(both)).not.toContain(1);
  });
});

describe("feedbackQuery", () => {
  it("turns the query toward the liked vectors and away from the disliked, at unit length", () => {
    const set = vectorSetOf(VECTORS);
    const query = Float32Array.from([1, 0, 0, 0, 0]);
    const heist = Float32Array.from(set.data.subarray(dims(set, 1), dims(set, 1) + 5));
    const towards = feedbackQuery(query, set, [1], []);
    const away = feedbackQuery(query, set, [], [1]);
    expect(dot(towards, 0, heist, 0, 5)).toBeGreaterThan(dot(query, 0, heist, 0, 5));
    expect(dot(away, 0, heist, 0, 5)).toBeLessThan(dot(query, 0, heist, 0, 5));
    expect(Math.hypot(...towards)).toBeCloseTo(1, 5);
    expect(feedbackQuery(query, set, [], [])).toBe(query);
  });
  const dims = (set: ReturnType<typeof vectorSetOf>, id: number) => set.ids.indexOf(id) * set.dims;
});

describe("a movie as the starting point", () => {
  const start = MOVIES.find((m) => m.id === 10)!;
  const fromMovie = rankingInput(context, { series: [], movie: start, allowedIds, filters: {}, limit: 5, k: 12 });

  it("leaves the movie itself out and ranks for it as for a series, marked as a movie for the reasons", () => {
    expect(order(fromMovie)).not.toContain(10);
    expect(fromMovie.series).toEqual([{ id: 10, name: "Star Voyage", year: 2010, genres: ["Science Fiction"], overview: start.overview, kind: "movie" }]);
    expect(fromMovie.candidates.every((c) => c.because?.[0] === 10)).toBe(true);
  });

  it("puts its franchise first: the sequel by title, the film of its collection whose title shares nothing", () => {
    expect(order(fromMovie).slice(0, 2).sort()).toEqual([11, 12]);
    expect(fromMovie.candidates.find((c) => c.id === 12)!.franchise).toBe("title");
    // Comet Farm's story is closer to Star Voyage than The Undiscovered Shore's; the collection outweighs it.
    expect(rankOf(fromMovie, 12)).toBeLessThan(rankOf(fromMovie, 13));
  });

  it("links a film by the start movie's director", () => {
    expect(fromMovie.candidates.find((c) => c.id === 14)!.links?.people).toEqual([{ name: "Ada Vale", role: "directed", inSeries: "created" }]);
  });

  it("reports a start movie without a vector instead of ranking for nothing", () => {
    const lonely = movie(50, "Lonely", "Nobody embedded this.");
    const input = rankingInput(createRankingContext([...MOVIES, lonely], { movies: vectorSetOf(VECTORS), series: vectorSetOf([[100, [1, 0, 0, 0, 0]]]) }), { series: [], movie: lonely, allowedIds, filters: {} });
    expect(input.candidates).toEqual([]);
    expect(input.missingVectors.map((s) => s.id)).toEqual([50]);
  });
});
