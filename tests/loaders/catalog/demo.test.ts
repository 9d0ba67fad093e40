import { parse } from "csv-parse/sync";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOVIE_GENRES, TV_GENRES, yearOf, type Catalog } from "../../../lib/catalog.ts";
import { readCatalog } from "../../../loaders/catalog/store.ts";
import {
  DEMO_HASH_FILE,
  DEMO_NOTICE,
  DEMO_SOURCE_DIR,
  DemoCatalogError,
  ensureDemoCatalog,
  loadDemoCatalog,
  loadDemoFranchises,
  type DemoFranchise,
} from "../../../loaders/catalog/demo.ts";
import { sharedRawDir } from "../../../loaders/shared/config.ts";

const RAW = sharedRawDir();
const quiet = { log: () => {} };

let catalog: Catalog;
let franchises: DemoFranchise[];
const temps: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "marquee-demo-"));
  temps.push(dir);
  return dir;
}

beforeAll(async () => {
  catalog = await loadDemoCatalog();
  franchises = await loadDemoFranchises();
});

afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

const overviews = () => [...catalog.movies.map((m) => [m.title, m.overview]), ...catalog.series.map((s) => [s.name, s.overview])];

// Splits after . ! ? (optionally closed by a quote or bracket) when the next word starts a sentence.
function sentences(text: string): string[] {
  return text.trim().split(/(?<=[.!?])["')\u201d]?\s+(?=[\p{Lu}\p{N}"'(\u201c])/u);
}

function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

function eightGrams(text: string): string[] {
  const w = words(text);
  const out: string[] = [];
  for (let i = 0; i + 8 <= w.length; i++) out.push(w.slice(i, i + 8).join(" "));
  return out;
}

describe("the demo catalogue's content", () => {
  it("has at least 220 movies and 90 series", () => {
    expect(catalog.movies.length).toBeGreaterThanOrEqual(220);
    expect(catalog.series.length).toBeGreaterThanOrEqual(90);
  });

  it("covers every TMDB movie genre", () => {
    const used = new Set(catalog.movies.flatMap((m) => m.genre_names));
    expect(MOVIE_GENRES.map((g) => g.name).filter((g) => !used.has(g))).toEqual([]);
  });

  it("covers every TMDB TV genre", () => {
    const used = new Set(catalog.series.flatMap((s) => s.genre_names));
    expect(TV_GENRES.map((g) => g.name).filter((g) => !used.has(g))).toEqual([]);
  });

  it("spans at least 10 original languages, with at least 30% of titles not in English", () => {
    const all = [...catalog.movies, ...catalog.series];
    expect(new Set(all.map((t) => t.language)).size).toBeGreaterThanOrEqual(10);
    expect(all.filter((t) => t.language !== "en").length / all.length).toBeGreaterThanOrEqual(0.3);
  });

  it("spans at least six decades of movies, from the 1930s to the 2020s", () => {
    const decades = new Set(catalog.movies.map((m) => Math.floor(yearOf(m.release_date)! / 10) * 10));
    expect(decades.size).toBeGreaterThanOrEqual(6);
    expect(decades).toContain(1930);
    expect(decades).toContain(2020);
  });

  it("dates every title", () => {
    expect(catalog.movies.filter((m) => m.release_date === null).map((m) => m.title)).toEqual([]);
    expect(catalog.series.filter((s) => s.first_air_date === null).map((s) => s.name)).toEqual([]);
  });

  it("uses each id once, within and across movies and series", () => {
    const ids = [...catalog.movies, ...catalog.series].map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("has two or three adult movies for the age filter to exclude, and no adult series", () => {
    const adult = catalog.movies.filter((m) => m.adult);
    expect(adult.length).toBeGreaterThanOrEqual(2);
    expect(adult.length).toBeLessThanOrEqual(3);
    expect(adult.every((m) => !m.age_appropriate)).toBe(true);
    expect(catalog.series.some((s) => s.adult)).toBe(false);
  });

  it("keeps popularity, vote average and vote count in plausible demo ranges", () => {
    for (const t of [...catalog.movies, ...catalog.series]) {
      expect(t.popularity).toBeGreaterThanOrEqual(1);
      expect(t.popularity).toBeLessThanOrEqual(300);
      expect(t.vote_average).toBeGreaterThanOrEqual(4);
      expect(t.vote_average).toBeLessThanOrEqual(9);
      expect(t.vote_count).toBeGreaterThanOrEqual(50);
      expect(t.vote_count).toBeLessThanOrEqual(30000);
    }
  });

  it("writes every overview as 2 or 3 sentences of at least 120 characters", () => {
    const bad = overviews().filter(([, text]) => {
      const n = sentences(text).length;
      return text.length < 120 || n < 2 || n > 3 || !/[.!?]$/.test(text);
    });
    expect(bad.map(([title]) => title)).toEqual([]);
  });

  it("never repeats an 8-word sequence across two of its own overviews", () => {
    const owner = new Map<string, string>();
    const repeats: string[] = [];
    for (const [title, text] of overviews()) {
      for (const gram of new Set(eightGrams(text))) {
        const first = owner.get(gram);
        if (first !== undefined && first !== title) repeats.push(`${first} / ${title}: ${gram}`);
        owner.set(gram, title);
      }
    }
    expect(repeats).toEqual([]);
  });

  it("carries the demo notice and the source in its metadata", () => {
    expect(catalog.meta.source).toBe("demo");
    expect(catalog.meta.notes).toEqual([DEMO_NOTICE]);
    expect(catalog.meta.dropped).toEqual({});
    expect(catalog.meta.counts).toEqual({ movies: catalog.movies.length, series: catalog.series.length });
  });

  it("dates the catalogue by the newest modification time of its JSON files", async () => {
    const times = await Promise.all(["movies.json", "series.json"].map(async (f) => (await stat(path.join(DEMO_SOURCE_DIR, f))).mtimeMs));
    expect(catalog.meta.fetched_at).toBe(new Date(Math.max(...times)).toISOString());
  });
});

describe("the demo franchise pairs", () => {
  it("has at least 30 series paired with films of the same franchise", () => {
    expect(franchises.length).toBeGreaterThanOrEqual(30);
  });

  it("points only at ids that exist in the demo catalogue", () => {
    const movieIds = new Set(catalog.movies.map((m) => m.id));
    const seriesIds = new Set(catalog.series.map((s) => s.id));
    const dangling = franchises.filter((f) => !seriesIds.has(f.series_id) || f.movie_ids.some((id) => !movieIds.has(id)));
    expect(dangling.map((f) => f.franchise)).toEqual([]);
  });

  it("lists each series once", () => {
    const ids = franchises.map((f) => f.series_id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("validating the demo JSON", () => {
  async function sourceWith(edit: (movies: Record<string, unknown>[]) => void): Promise<string> {
    const dir = await tempDir();
    await cp(DEMO_SOURCE_DIR, dir, { recursive: true });
    const file = path.join(dir, "movies.json");
    const movies = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>[];
    edit(movies);
    await writeFile(file, JSON.stringify(movies));
    return dir;
  }

  it("rejects a bad row naming the file and the row index", async () => {
    const sourceDir = await sourceWith((movies) => {
      movies[7].overview = "";
    });
    const error = await loadDemoCatalog({ sourceDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DemoCatalogError);
    expect((error as Error).message).toContain(`${path.join(sourceDir, "movies.json")} row 7:`);
    expect((error as Error).message).toContain("missing overview");
  });

  it("rejects a genre name that is not in TMDB's list for the medium", async () => {
    const sourceDir = await sourceWith((movies) => {
      movies[3].genre_names = ["Sci-Fi & Fantasy"];
    });
    await expect(loadDemoCatalog({ sourceDir })).rejects.toThrow(/movies\.json row 3: unknown genre "Sci-Fi & Fantasy"/);
  });

  it("rejects a repeated id naming both rows", async () => {
    const sourceDir = await sourceWith((movies) => {
      movies[5].id = movies[2].id;
    });
    await expect(loadDemoCatalog({ sourceDir })).rejects.toThrow(/movies\.json row 5: id \d+ already used by row 2/);
  });
});

const rawPresent = existsSync(RAW);
if (!rawPresent) console.warn(`demo overview originality test skipped: ${RAW} is absent (set MARQUEE_RAW_DIR to point at the raw TMDB data)`);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function rawOverviews(): Promise<string[]> {
  const texts: string[] = [];
  const take = (record: unknown) => {
    if (record && typeof record === "object") {
      for (const [key, value] of Object.entries(record)) {
        if (key.toLowerCase().includes("overview") && typeof value === "string" && value.trim()) texts.push(value);
      }
    }
  };
  for (const file of await filesUnder(RAW)) {
    if (file.endsWith(".csv")) {
      const rows = parse(await readFile(file, "utf8"), { columns: true, skip_empty_lines: true, relax_column_count: true }) as unknown[];
      rows.forEach(take);
    } else if (file.endsWith(".json")) {
      const data: unknown = JSON.parse(await readFile(file, "utf8"));
      (Array.isArray(data) ? data : [data]).forEach(take);
    }
  }
  return texts;
}

describe.skipIf(!rawPresent)("the demo overviews against real TMDB text", () => {
  it("shares no 8-word sequence with any overview in the raw TMDB data", async () => {
    const ours = new Map<string, string>();
    for (const [title, text] of overviews()) for (const gram of eightGrams(text)) ours.set(gram, title);
    const texts = await rawOverviews();
    expect(texts.length).toBeGreaterThan(20_000);
    const shared = new Set<string>();
    for (const text of texts) {
      for (const gram of eightGrams(text)) if (ours.has(gram)) shared.add(`${ours.get(gram)}: ${gram}`);
    }
    expect([...shared]).toEqual([]);
  });
});

describe("building the demo catalogue", () => {
  it("writes a Parquet catalogue that reads back with the same rows", async () => {
    const dir = await ensureDemoCatalog(path.join(await tempDir(), "demo"), quiet);
    const back = await readCatalog(dir);
    const byId = <T extends { id: number }>(rows: T[]) => [...rows].sort((a, b) => a.id - b.id);
    expect(byId(back.movies)).toEqual(byId(catalog.movies));
    expect(byId(back.series)).toEqual(byId(catalog.series));
    expect(back.meta).toMatchObject({ source: "demo", notes: [DEMO_NOTICE], counts: catalog.meta.counts });
  });

  it("does not rewrite the catalogue when the JSON has not changed", async () => {
    const dir = await ensureDemoCatalog(path.join(await tempDir(), "demo"), quiet);
    const before = (await stat(path.join(dir, "movies.parquet"))).mtimeMs;
    const lines: string[] = [];
    await ensureDemoCatalog(dir, { log: (line) => lines.push(line) });
    expect((await stat(path.join(dir, "movies.parquet"))).mtimeMs).toBe(before);
    expect(lines).toEqual([]);
  });

  it("rebuilds the catalogue when the JSON changes", async () => {
    const sourceDir = await tempDir();
    await cp(DEMO_SOURCE_DIR, sourceDir, { recursive: true });
    const dir = await ensureDemoCatalog(path.join(await tempDir(), "demo"), { ...quiet, sourceDir });
    const hashBefore = await readFile(path.join(dir, DEMO_HASH_FILE), "utf8");

    const file = path.join(sourceDir, "series.json");
    const series = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>[];
    series[0].overview = "A rewritten overview for the rebuild test. It has two sentences and is long enough to pass validation easily.";
    await writeFile(file, JSON.stringify(series));
    await ensureDemoCatalog(dir, { ...quiet, sourceDir });

    expect(await readFile(path.join(dir, DEMO_HASH_FILE), "utf8")).not.toBe(hashBefore);
    const back = await readCatalog(dir);
    expect(back.series.find((s) => s.id === series[0].id)?.overview).toBe(series[0].overview);
  });

  it("rebuilds a catalogue whose stored source hash does not match", async () => {
    const dir = await ensureDemoCatalog(path.join(await tempDir(), "demo"), quiet);
    await writeFile(path.join(dir, DEMO_HASH_FILE), "stale\n");
    const lines: string[] = [];
    await ensureDemoCatalog(dir, { log: (line) => lines.push(line) });
    expect(lines).toHaveLength(1);
    expect((await readFile(path.join(dir, DEMO_HASH_FILE), "utf8")).trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it("builds into <MARQUEE_CACHE_DIR>/demo-catalog by default", async () => {
    const cache = await tempDir();
    const previous = process.env.MARQUEE_CACHE_DIR;
    process.env.MARQUEE_CACHE_DIR = cache;
    try {
      const dir = await ensureDemoCatalog(undefined, quiet);
      expect(dir).toBe(path.join(cache, "demo-catalog"));
      expect((await readCatalog(dir)).movies.length).toBe(catalog.movies.length);
    } finally {
      if (previous === undefined) delete process.env.MARQUEE_CACHE_DIR;
      else process.env.MARQUEE_CACHE_DIR = previous;
    }
  });
});
