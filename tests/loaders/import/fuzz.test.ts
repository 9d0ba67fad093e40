// Property tests of the importer: whatever an export holds, the import either writes a valid
// catalogue or fails with an ImportError naming the problem, and a failure leaves the last
// good catalogue untouched. Bounded in time.
import fc from "fast-check";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TITLE_LIMITS, normaliseMovie } from "../../../lib/catalog.ts";
import { readCatalog } from "../../../loaders/catalog/store.ts";
import { ImportError, importCatalog } from "../../../loaders/import/catalog-import.ts";

const SERIES = path.resolve("tests/fixtures/import/series.csv");
let work: string;
let goodCatalog: string;

async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = (await readdir(dir)).filter((f) => !f.startsWith("."));
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(path.join(dir, f))] as const)));
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "marquee-import-fuzz-"));
  goodCatalog = path.join(work, "catalog");
  await importCatalog({ movies: [path.resolve("tests/fixtures/import/movies.json")], series: [SERIES], out: goodCatalog, log: () => {} });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const csvField = (value: string) => `"${value.replaceAll('"', '""')}"`;
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.fullUnicodeString({ maxLength: 40 }), fc.constantFrom("", " ", "null", "None", "NaN", "\u001b[2J", "a\nb", '"', ","));
const movieRow = fc.record({
  id: fc.oneof(fc.integer({ min: 1, max: 50 }).map(String), fc.constantFrom("0", "-3", "3000000000", "1.5", "x", "", "1e3")),
  title: text,
  original_language: fc.oneof(fc.constantFrom("en", "fr", "EN", "xx", "eng", ""), text),
  overview: fc.oneof(text, fc.lorem({ maxCount: 20 })),
  popularity: fc.oneof(fc.double().map(String), text),
  vote_average: fc.oneof(fc.double({ min: 0, max: 10 }).map(String), text),
  vote_count: fc.oneof(fc.integer({ min: 0, max: 5_000_000_000 }).map(String), text),
  release_date: fc.oneof(fc.constantFrom("2020-02-29", "2021-02-29", "31-12-1999", "1999", ""), text),
  genre_ids: fc.oneof(fc.constantFrom("[18]", "[28, 878]", "['Drama']", "[]", "[99999]", "Drama,Comedy"), text),
  adult: fc.oneof(fc.constantFrom("true", "false", "1", "0", ""), text),
  poster_path: fc.oneof(fc.constantFrom("/a.jpg", "", "None"), text),
});
const COLUMNS = ["id", "title", "original_language", "overview", "popularity", "vote_average", "vote_count", "release_date", "genre_ids", "adult", "poster_path"] as const;

const exportFile = fc.oneof(
  fc.array(movieRow, { maxLength: 12 }).map((rows) => ({
    name: "movies.csv",
    content: [COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => csvField(r[c])).join(","))].join("\n"),
  })),
  fc.array(movieRow, { maxLength: 12 }).map((rows) => ({ name: "movies.jsonl", content: rows.map((r) => JSON.stringify(r)).join("\n") })),
  fc.array(movieRow, { maxLength: 12 }).map((rows) => ({ name: "movies.json", content: JSON.stringify(rows) })),
  fc.tuple(fc.constantFrom("movies.csv", "movies.json", "movies.jsonl", "movies.tsv"), fc.fullUnicodeString({ maxLength: 300 })).map(([name, content]) => ({ name, content })),
);

describe("the importer under arbitrary exports", () => {
  it("writes a valid catalogue or fails with an ImportError, and never touches the last good one on failure", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(exportFile, fc.boolean(), async (file, skipBadFiles) => {
        const dir = path.join(work, `case-${run++}`);
        await rm(dir, { recursive: true, force: true });
        const { mkdir } = await import("node:fs/promises");
        await mkdir(dir, { recursive: true });
        const input = path.join(dir, file.name);
        await writeFile(input, file.content);
        const before = await snapshot(goodCatalog);
        let result;
        try {
          result = await importCatalog({ movies: [input], series: [SERIES], out: goodCatalog, skipBadFiles, log: () => {} });
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(ImportError);
          expect((error as Error).message.length).toBeGreaterThan(10);
          expect(await snapshot(goodCatalog)).toEqual(before);
          return;
        }
        const catalog = await readCatalog(result.dir);
        for (const movie of catalog.movies) {
          expect(movie.overview.length).toBeLessThanOrEqual(TITLE_LIMITS.overviewChars);
          expect(movie.id).toBeLessThanOrEqual(TITLE_LIMITS.maxInteger);
          expect(movie.vote_count).toBeLessThanOrEqual(TITLE_LIMITS.maxInteger);
          // What was written obeys the catalogue's own rules.
          const again = normaliseMovie({ ...movie, title: movie.title, date: movie.release_date });
          expect(again).toEqual(movie);
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 25_000 },
    );
  }, 60_000);
});
