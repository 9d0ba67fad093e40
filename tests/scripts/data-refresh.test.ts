// The data:refresh command, run as a child process against the mock TMDB server.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { makeTitles } from "../helpers/mock-tmdb.ts";
import { API_KEY, ENV_NAMES, READ_TOKEN, ROOT, mock, tempDir, useTmdbTestEnvironment } from "../loaders/tmdb/tmdb-fixtures.ts";

useTmdbTestEnvironment();

describe("data:refresh command", () => {
  const run = promisify(execFile);
  const tsx = path.join(ROOT, "node_modules/.bin/tsx");
  const script = path.join(ROOT, "scripts/data-refresh.ts");

  async function cli(args: string[], env: Record<string, string>) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !ENV_NAMES.includes(name)));
    try {
      const { stdout, stderr } = await run(tsx, [script, ...args], { cwd: await tempDir(), env: { ...base, ...env } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code: number; stdout: string; stderr: string };
      return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
    }
  }

  it("exits 2 without credentials, saying what to set", async () => {
    const result = await cli([], {});
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/TMDB_API_KEY.*TMDB_READ_TOKEN.*data:import/);
  });

  it("exits 1 with one line and no key when TMDB refuses the key", async () => {
    const server = await mock({ apiKey: "the-right-key", readToken: undefined });
    const dir = await tempDir();
    const result = await cli(["--out", dir, "--movies", "10"], { TMDB_API_KEY: API_KEY, TMDB_BASE_URL: server.url });
    expect(result.code).toBe(1);
    const last = result.stderr.trim().split("\n").at(-1);
    expect(last).toBe("data:refresh: TMDB rejected the credentials (401): check TMDB_API_KEY or TMDB_READ_TOKEN; the previous catalogue is unchanged");
    expect(result.stdout + result.stderr).not.toContain(API_KEY);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("writes the catalogue the options ask for", async () => {
    const server = await mock({ movies: makeTitles("movie", 60), tv: makeTitles("tv", 30) });
    const dir = path.join(await tempDir(), "out");
    const result = await cli(["--out", dir, "--movies", "25", "--series", "12", "--language", "de-DE"], {
      TMDB_READ_TOKEN: READ_TOKEN,
      TMDB_BASE_URL: server.url,
      TMDB_REQUESTS_PER_SECOND: "0",
    });
    expect(result.code).toBe(0);
    const meta = JSON.parse(await readFile(path.join(dir, "meta.json"), "utf8"));
    expect(meta).toMatchObject({ counts: { movies: 25, series: 12 }, overview_language: "de-DE" });
    expect(result.stdout + result.stderr).not.toContain(READ_TOKEN);
  });
});
