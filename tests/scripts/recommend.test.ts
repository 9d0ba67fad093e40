// `npm run recommend` as a child process on a small catalogue with the real offline encoder
// (vectors cached in a temp dir after the first run) and, for the LLM path, the mock server.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../loaders/catalog/store.ts";
import { engineCatalog } from "../fixtures/engine-catalog.ts";
import { startMockLlm, type MockLlm } from "../helpers/mock-llm.ts";
import { startMockTmdb } from "../helpers/mock-tmdb.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
let tmp: string;
let catalog: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, "node_modules/.bin/tsx"),
      ["scripts/recommend.ts", ...args],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          MARQUEE_CACHE_DIR: path.join(tmp, "cache"),
          MARQUEE_CATALOG_DIR: path.join(tmp, "no-catalog"),
          EMBEDDING_BACKEND: "energetic",
          GROQ_API_KEY: "",
          LLM_BASE_URL: "",
          TMDB_API_KEY: "",
          TMDB_READ_TOKEN: "",
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = (run: Run) => JSON.parse(run.stdout) as {
  series: { id: number; name: string }[];
  source: string;
  model: string | null;
  picks: { id: number; title: string; year: number | null; genres: string[]; popularity: number; similarity: number; reason: string; because: number[] }[];
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "marquee-cli-"));
  catalog = path.join(tmp, "catalog");
  await writeCatalog(catalog, engineCatalog());
  // Embeds the fixture once; later runs read the vector cache.
  const warm = await cli(["--catalog", catalog, "--series", "201", "--no-llm", "--json"]);
  if (warm.code !== 0) throw new Error(`warm-up run failed: ${warm.stderr}`);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("recommend CLI", () => {
  it("only reads: an old TMDB catalogue is used as is, with TMDB credentials set and no request to TMDB", async () => {
    const tmdb = await startMockTmdb({ apiKey: "k3y" });
    try {
      const active = path.join(tmp, "active-tmdb");
      const old = engineCatalog();
      await writeCatalog(active, { ...old, meta: { ...old.meta, source: "tmdb", fetched_at: "2020-01-01T00:00:00.000Z" } });
      const run = await cli(["--series", "201", "--limit", "2", "--no-llm", "--json"], {
        MARQUEE_CATALOG_DIR: active,
        TMDB_API_KEY: "k3y",
        TMDB_BASE_URL: tmdb.url,
        MARQUEE_AUTO_REFRESH: "1",
      });
      expect(run.code, run.stderr).toBe(0);
      expect(json(run).picks).toHaveLength(2);
      expect(tmdb.requests).toEqual([]);
      expect(run.stderr).toMatch(/this command only reads; npm run data:refresh refreshes it/);
    } finally {
      await tmdb.close();
    }
  });

  it("prints a table with rank, title, year, genres, similarity and reason", async () => {
    const run = await cli(["--catalog", catalog, "--series", "Breaking Point", "--limit", "3", "--no-llm"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("Movies for fans of Breaking Point (2008)");
    expect(run.stdout).toMatch(/#\s+Title\s+Year\s+Genres\s+Sim/);
    expect(lines.filter((l) => /^\s+[123]\s{2}\S/.test(l))).toHaveLength(3);
    expect(run.stdout).toMatch(/^ {5}\S.+$/m);
  });

  it("prints JSON with the documented fields, story matches first", async () => {
    const run = await cli(["--catalog", catalog, "--series", "breaking point", "--limit", "4", "--json", "--no-llm"]);
    expect(run.code).toBe(0);
    const out = json(run);
    expect(Object.keys(out)).toEqual(["series", "source", "model", "picks"]);
    expect(out.series[0]).toMatchObject({ id: 201, name: "Breaking Point" });
    expect(out.source).toBe("fallback");
    expect(out.model).toBeNull();
    expect(out.picks).toHaveLength(4);
    expect(Object.keys(out.picks[0])).toEqual(["id", "title", "year", "genres", "popularity", "similarity", "reason", "because"]);
    expect(out.picks.every((p) => p.because.length === 1 && p.because[0] === 201)).toBe(true);
    // The two drug-crime stories are the nearest overviews to the series'.
    expect(out.picks.slice(0, 3).map((p) => p.id)).toEqual(expect.arrayContaining([101, 102]));
  });

  it("applies genre, year, language and exclude filters", async () => {
    const run = await cli([
      "--catalog", catalog, "--series", "The Workplace", "--genre", "comedy", "--genre", "Romance",
      "--years", "1995-2010", "--language", "EN", "--language", "fr", "--exclude", "111", "--json", "--no-llm",
    ]);
    expect(run.code).toBe(0);
    expect(json(run).picks.map((p) => p.id).sort()).toEqual([105]);
  });

  it("includes adult titles only with --all-ages", async () => {
    const args = ["--catalog", catalog, "--series", "201", "--genre", "Drama", "--genre-mode", "all", "--limit", "20", "--json", "--no-llm"];
    expect(json(await cli(args)).picks.map((p) => p.id)).not.toContain(108);
    expect(json(await cli([...args, "--all-ages"])).picks.map((p) => p.id)).toContain(108);
  });

  it("exits 1 naming the closest series for an unknown name", async () => {
    const run = await cli(["--catalog", catalog, "--series", "Breakin Pont", "--no-llm"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/recommend: no series named "Breakin Pont".*Closest: Breaking Point \(2008, id 201\)/);
    expect(run.stdout).toBe("");
  });

  it("exits 1 listing the candidates for an ambiguous name", async () => {
    const run = await cli(["--catalog", catalog, "--series", "Shameless", "--no-llm"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/matches 2 series: .*id 205.*id 206/);
  });

  it("exits 1 listing the valid genres for an unknown genre", async () => {
    const run = await cli(["--catalog", catalog, "--series", "201", "--genre", "Cartoons", "--no-llm"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/unknown genre "Cartoons"; valid genres: Action, Adventure, Animation/);
  });

  it("exits 2 with the usage for malformed arguments", async () => {
    for (const args of [[], ["--series", "201", "--limit", "ten"], ["--series", "201", "--years", "90s"], ["--series", "201", "--colour", "red"], ["--series", "201", "--genre-mode", "some"]]) {
      const run = await cli(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(/^recommend: .+\n\nUsage: npm run recommend/);
    }
  });

  it("exits 2 for an empty or impossible year range and a limit past the cap, before opening the catalogue", async () => {
    for (const args of [["--years", "3000-1000"], ["--years", "2020-1990"], ["--years", "0001-"], ["--limit", "1e9"], ["--limit", "101"]]) {
      const run = await cli(["--catalog", path.join(tmp, "nowhere"), "--series", "201", ...args]);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toMatch(/^recommend: --(years|limit) .+\n\nUsage: npm run recommend/);
    }
  });

  it("refuses a 100k-character series name with exit 2 and a one-line error that quotes only its start", async () => {
    const run = await cli(["--catalog", catalog, "--series", "x".repeat(100_000)]);
    expect(run.code).toBe(2);
    const first = run.stderr.split("\n")[0];
    expect(first).toMatch(/at most 200 characters, got 100000/);
    expect(first.length).toBeLessThan(200);
  });

  it("strips terminal control sequences from catalogue text: genres, titles and the closest-series suggestions", async () => {
    const dir = path.join(tmp, "catalog-escapes");
    const base = engineCatalog();
    await writeCatalog(dir, {
      ...base,
      movies: base.movies.map((m, i) => (i < 3 ? { ...m, title: `${m.title}\u001b]0;pwned\u0007`, genre_names: [...m.genre_names, "\u001b[2JDrama"] } : m)),
      series: base.series.map((s, i) => (i === 0 ? { ...s, name: `${s.name}\u001b[31m` } : s)),
    });
    const table = await cli(["--catalog", dir, "--series", String(base.series[0].id), "--no-llm", "--limit", "20", "--all-ages"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain("Drama");
    expect(table.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const unknown = await cli(["--catalog", dir, "--series", base.series[0].name.slice(0, 5) + "zz"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Closest: /);
    expect(unknown.stderr.trimEnd()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it("shares the list among several series by weight and says which series each pick is for", async () => {
    const run = await cli(["--catalog", catalog, "--series", "201:3", "--series", "202", "--limit", "4", "--no-llm", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const count = (picks: { because: number[] }[], id: number) => picks.filter((p) => p.because[0] === id).length;
    expect(count(json(run).picks, 201)).toBe(3);
    expect(count(json(run).picks, 202)).toBe(1);
    const weighted = await cli(["--catalog", catalog, "--series", "201", "--series", "202", "--weight", "1", "--weight", "3", "--limit", "4", "--no-llm", "--json"]);
    expect(count(json(weighted).picks, 202)).toBe(3);
    expect(count(json(weighted).picks, 201)).toBe(1);
    const table = await cli(["--catalog", catalog, "--series", "201", "--series", "202", "--limit", "2", "--no-llm"]);
    expect(table.stdout).toMatch(/Because you like (Breaking Point|Star Voyagers)/);
  });

  it("reads a colon inside a series name as part of the name, and refuses a weight given twice", async () => {
    const colon = await cli(["--catalog", catalog, "--series", "Nowhere: 2", "--no-llm"]);
    expect(colon.code).toBe(1);
    expect(colon.stderr).toMatch(/no series named "Nowhere"/);
    const titled = await cli(["--catalog", catalog, "--series", "Nothing: Here", "--no-llm"]);
    expect(titled.code).toBe(1);
    expect(titled.stderr).toMatch(/no series named "Nothing: Here"/);
    const twice = await cli(["--catalog", catalog, "--series", "201:2", "--weight", "3"]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/has a weight and a --weight/);
  });

  it("exits 1 with the fix when the catalogue directory is empty", async () => {
    const run = await cli(["--catalog", path.join(tmp, "nowhere"), "--series", "201"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no catalogue in .*nowhere.*npm run data:import/);
  });
});

describe("recommend CLI with an LLM", () => {
  let mock: MockLlm;
  beforeAll(async () => {
    mock = await startMockLlm();
  });
  afterAll(async () => {
    await mock?.close();
  });

  it("reports the LLM's picks, model and reasons", async () => {
    const run = await cli(["--catalog", catalog, "--series", "Star Voyagers", "--limit", "2", "--json"], {
      LLM_BASE_URL: mock.openaiBaseURL,
      LLM_MODEL: "mock-model",
    });
    expect(run.code).toBe(0);
    const out = json(run);
    expect(out.source).toBe("llm");
    expect(out.model).toBe("mock-model");
    expect(out.picks.map((p) => p.reason)).toEqual(out.picks.map((p) => `Mock reason for ${p.id}.`));
    // The proposal call (lib/proposals.ts), then the rerank.
    expect(mock.requests).toHaveLength(2);
  });

  // Each of these asks for a list length no other test asks for, so no cached answer applies.
  it("answers within LLM_TIMEOUT_MS plus a small margin when the server asks to wait a minute (429, Retry-After: 60), falling back", async () => {
    mock.script({ status: 429, headers: { "retry-after": "60" }, body: { error: { message: "slow down" } } });
    const started = Date.now();
    const run = await cli(["--catalog", catalog, "--series", "Star Voyagers", "--limit", "3", "--json"], {
      LLM_BASE_URL: mock.openaiBaseURL,
      LLM_MODEL: "mock-model",
      LLM_TIMEOUT_MS: "1500",
    });
    const elapsed = Date.now() - started;
    expect(run.code, run.stderr).toBe(0);
    expect(json(run).source).toBe("fallback");
    // Process start and the catalogue take a few seconds of their own on a busy machine.
    expect(elapsed).toBeLessThan(15_000);
    expect(run.stderr).toMatch(/rate_limit/);
  }, 30_000);

  it("falls back within LLM_TIMEOUT_MS plus a small margin when the answer's body drips", async () => {
    mock.setDefault(() => ({ body: { choices: [] }, dripBodyMs: 1000 }));
    try {
      const started = Date.now();
      const run = await cli(["--catalog", catalog, "--series", "Star Voyagers", "--limit", "4", "--json"], {
        LLM_BASE_URL: mock.openaiBaseURL,
        LLM_MODEL: "mock-model",
        LLM_TIMEOUT_MS: "1500",
        LLM_MAX_RETRIES: "0",
      });
      expect(run.code, run.stderr).toBe(0);
      expect(json(run).source).toBe("fallback");
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(run.stderr).toMatch(/timeout/);
    } finally {
      mock.setDefault(undefined as never);
    }
  }, 30_000);

  it("makes no LLM request with --no-llm", async () => {
    const before = mock.requests.length;
    const run = await cli(["--catalog", catalog, "--series", "Star Voyagers", "--json", "--no-llm"], { LLM_BASE_URL: mock.openaiBaseURL });
    expect(run.code).toBe(0);
    expect(json(run).source).toBe("fallback");
    expect(mock.requests.length).toBe(before);
  });
});

describe("recommend CLI: more like a movie, likes, dislikes and what you have seen", () => {
  interface Out {
    series: { id: number; name: string }[];
    movie?: { id: number; title: string; year: number | null };
    picks: { id: number; because: number[]; liked?: number[] }[];
  }
  const out = (run: Run) => JSON.parse(run.stdout) as Out;

  it("starts from a movie: the movie itself is left out, the others are there for it", async () => {
    const run = await cli(["--catalog", catalog, "--movie", "Star Voyagers: The Motion Picture", "--limit", "4", "--json", "--no-llm"]);
    expect(run.code, run.stderr).toBe(0);
    const result = out(run);
    expect(result.movie).toEqual({ id: 113, title: "Star Voyagers: The Motion Picture", year: 1979 });
    expect(result.series).toEqual([]);
    expect(result.picks.map((p) => p.id)).not.toContain(113);
    expect(result.picks.every((p) => p.because[0] === 113)).toBe(true);
    // The other starship crew's story is the nearest.
    expect(result.picks[0].id).toBe(103);
    const table = await cli(["--catalog", catalog, "--movie", "113", "--limit", "2", "--no-llm"]);
    expect(table.stdout.split("\n")[0]).toBe("Movies like Star Voyagers: The Motion Picture (1979)");
  });

  it("exits 1 naming the closest titles for an unknown movie", async () => {
    const run = await cli(["--catalog", catalog, "--movie", "Starship Meridan", "--no-llm"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no movie titled "Starship Meridan".*Closest: Starship Meridian \(2016, id 103\)/);
  });

  it("leaves out a disliked movie and says which like brought a pick", async () => {
    const base = ["--catalog", catalog, "--series", "201", "--limit", "6", "--json", "--no-llm"];
    const disliked = out(await cli([...base, "--dislike", "101"]));
    expect(disliked.picks.map((p) => p.id)).not.toContain(101);
    const liked = out(await cli([...base, "--like", "112"]));
    expect(liked.picks.every((p) => Array.isArray(p.liked))).toBe(true);
    expect(liked.picks.some((p) => p.liked!.includes(112))).toBe(true);
  });

  it("--exclude-file leaves out the ids of a plain list, and the movies of a history export", async () => {
    const ids = path.join(tmp, "seen.txt");
    await writeFile(ids, "# seen already\n101\n\n102\n");
    const plain = out(await cli(["--catalog", catalog, "--series", "201", "--limit", "6", "--json", "--no-llm"]));
    expect(plain.picks.map((p) => p.id)).toEqual(expect.arrayContaining([101, 102]));
    const fromIds = out(await cli(["--catalog", catalog, "--series", "201", "--limit", "6", "--json", "--no-llm", "--exclude-file", ids]));
    expect(fromIds.picks.map((p) => p.id)).not.toContain(101);
    expect(fromIds.picks.map((p) => p.id)).not.toContain(102);

    const letterboxd = path.join(tmp, "watched.csv");
    await writeFile(letterboxd, "Date,Name,Year,Letterboxd URI\n2024-01-01,Desert Cartel,1999,https://boxd.it/x1\n2024-01-02,Not Here,2001,https://boxd.it/x2\n");
    const run = await cli(["--catalog", catalog, "--series", "201", "--limit", "6", "--json", "--no-llm", "--exclude-file", letterboxd]);
    expect(run.code, run.stderr).toBe(0);
    expect(out(run).picks.map((p) => p.id)).not.toContain(101);
    expect(run.stderr).toMatch(/--exclude-file .*watched\.csv \(letterboxd\): 1 movies excluded, 0 ambiguous \(kept\), 1 not in the catalogue/);
  });

  it("exits 1 naming the file for an --exclude-file that is neither ids nor an export, or missing", async () => {
    const bad = path.join(tmp, "shopping.csv");
    await writeFile(bad, "Item,Price\nPopcorn,4\n");
    const run = await cli(["--catalog", catalog, "--series", "201", "--no-llm", "--exclude-file", bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/recommend: .*shopping\.csv: is not a history export/);
    expect(run.stdout).toBe("");
    const missing = await cli(["--catalog", catalog, "--series", "201", "--no-llm", "--exclude-file", path.join(tmp, "nope.csv")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--exclude-file .*nope\.csv: no such file/);
  });
});
