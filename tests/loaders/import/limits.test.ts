// Bounds on imported input: a broken export costs its own rows, never the import or the
// commands that read the catalogue afterwards.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TITLE_LIMITS } from "../../../lib/catalog.ts";
import { readCatalog } from "../../../loaders/catalog/store.ts";
import { ImportError, importCatalog } from "../../../loaders/import/catalog-import.ts";
import { IMPORT_LIMITS } from "../../../loaders/import/formats.ts";

const FIXTURES = path.resolve("tests/fixtures/import");
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "marquee-import-limits-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const HEADER = "id,title,original_language,overview,popularity,vote_average,vote_count,release_date,genre_ids";
const row = (id: number, overview: string, voteCount = 10) => `${id},Movie ${id},en,"${overview}",5,7,${voteCount},2020-01-01,"[18]"`;

async function importMovies(lines: string[], extra: { maxRows?: number } = {}) {
  const dir = await tempDir();
  const movies = path.join(dir, "movies.csv");
  await writeFile(movies, [HEADER, ...lines].join("\n") + "\n");
  const logged: string[] = [];
  const result = await importCatalog({
    movies: [movies],
    series: [path.join(FIXTURES, "series.csv")],
    out: path.join(dir, "catalog"),
    log: (line) => logged.push(line),
    ...extra,
  });
  return { result, logged, movies, dir };
}

describe("import bounds", () => {
  it("skips a row with a 50 MB overview, naming its file and line, and imports the rest", async () => {
    const huge = "w".repeat(50 * 1024 * 1024);
    const { result, logged, movies } = await importMovies([row(1, "A fine story."), row(2, huge), row(3, "Another fine story.")]);
    expect(result.meta.counts.movies).toBe(2);
    const line = logged.find((l) => l.includes(`${movies}:3:`));
    expect(line).toMatch(/overview is 52,428,800 characters long, more than the 10,000 a catalogue keeps/);
    expect(line!.length).toBeLessThan(400);
    const catalog = await readCatalog(result.dir);
    expect(Math.max(...catalog.movies.map((m) => m.overview.length))).toBeLessThanOrEqual(TITLE_LIMITS.overviewChars);
  }, 60_000);

  it("skips a row whose vote_count or id is past 32 bits, naming its file and line, instead of aborting the import", async () => {
    const { result, logged, movies } = await importMovies([row(1, "Fine.", 3_000_000_000), row(3_000_000_000, "Too big an id."), row(4, "Fine too.")]);
    expect(result.meta.counts.movies).toBe(1);
    expect(logged.find((l) => l.includes(`${movies}:2:`))).toMatch(/vote_count 3000000000 is larger than 2,147,483,647/);
    expect(logged.find((l) => l.includes(`${movies}:3:`))).toMatch(/id 3000000000 is larger than 2,147,483,647/);
  });

  it("stops an import past the row limit with nothing written, saying where", async () => {
    const lines = Array.from({ length: 6 }, (_, i) => row(i + 1, "Fine."));
    const error = await importMovies(lines, { maxRows: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(/more than 5 rows \(at .*movies\.csv:7\), nothing was written/);
  });

  it("refuses a JSON file too large to parse whole, suggesting JSON Lines", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "movies.json");
    const { open } = await import("node:fs/promises");
    const handle = await open(file, "w");
    await handle.write("[");
    // A sparse file: its size is past the limit without writing 256 MB.
    await handle.truncate(IMPORT_LIMITS.jsonFileBytes + 1);
    await handle.close();
    const error = await importCatalog({ movies: [file], series: [path.join(FIXTURES, "series.csv")], out: path.join(dir, "catalog"), log: () => {} }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/a JSON file is read whole \(at most 256 MB\); convert it to JSON Lines/);
  });
});
