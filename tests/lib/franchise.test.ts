// Franchise matching tells a series' own films from titles that merely share a word.
import { describe, expect, it } from "vitest";
import { franchiseMatches } from "../../lib/franchise.ts";
import { buildLexicalIndex } from "../../lib/lexical.ts";

const movies = [
  { id: 1, title: "Avatar", genre_names: ["Action", "Adventure", "Fantasy", "Science Fiction"] },
  { id: 2, title: "The Last Airbender", genre_names: ["Action", "Adventure", "Fantasy"] },
  { id: 3, title: "The Empire Strikes Back", genre_names: ["Adventure", "Action", "Science Fiction"] },
  { id: 4, title: "Fargo", genre_names: ["Crime", "Drama", "Thriller"] },
  { id: 5, title: "Serenity", genre_names: ["Science Fiction", "Action", "Adventure"] },
  { id: 6, title: "Serenity", genre_names: ["Thriller", "Mystery", "Drama"] },
  { id: 7, title: "The Purge: Anarchy", genre_names: ["Horror", "Thriller", "Action"] },
  // Filler so that the words above are as rare as in a real catalogue.
  ...Array.from({ length: 200 }, (_, i) => ({ id: 100 + i, title: `The Last Night ${i} of the Long Day`, genre_names: ["Drama"] })),
];
const index = buildLexicalIndex(movies);
const byId = new Map(movies.map((m) => [m.id, m]));
const ids = (name: string, genres: string[], overview = "") => franchiseMatches(index, byId, { name, genre_names: genres, overview }).map((m) => m.id);

describe("franchiseMatches", () => {
  it("finds the film that carries the series' whole name", () => {
    expect(ids("Fargo", ["Crime", "Drama"])).toEqual([4]);
    expect(ids("The Purge", ["Horror", "Drama"])).toEqual([7]);
  });

  it("keeps a film carrying only a small, common part of a longer name out (Avatar for Avatar: The Last Airbender)", () => {
    const found = ids("Avatar: The Last Airbender", ["Animation", "Action & Adventure", "Sci-Fi & Fantasy"]);
    expect(found).toContain(2);
    expect(found).not.toContain(1);
  });

  it("keeps a same-word title of no shared genre out (Empire, a music drama, against The Empire Strikes Back)", () => {
    expect(ids("Empire", ["Drama"])).toEqual([]);
  });

  it("finds a film named after a ship or place the series' story names, when the genres agree", () => {
    const found = ids("Firefly", ["Western", "Drama", "Sci-Fi & Fantasy"], "The crew of the transport ship Serenity takes any job in the outer reaches of space.");
    expect(found).toContain(5);
    expect(found).not.toContain(6);
  });
});
