// picks.parquet: what the precompute writes is what the site build reads back, and a bad or
// failed write never replaces a good file.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PICK_COLUMNS } from "../../../lib/site-schema.ts";
import { PicksStoreError, readPicksParquet, writePicksParquet, type PickRow } from "../../../loaders/picks/store.ts";
import { connectDuckDB, quotedString } from "../../../loaders/shared/duckdb.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-picks-store-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let dirs = 0;
const freshDir = () => mkdtempSync(path.join(work, `case-${++dirs}-`));

const row = (over: Partial<PickRow> = {}): PickRow => ({
  series_id: 1,
  rank: 1,
  movie_id: 101,
  reason: "Shares Crime with Series 1.",
  similarity: 0.5,
  source: "fallback",
  model: null,
  generated_at: "2026-01-01T00:00:00.000Z",
  ...over,
});

const picks = [
  row({ series_id: 2, rank: 2, movie_id: 7, source: "llm", model: "openai/gpt-oss-20b" }),
  row({ series_id: 2, rank: 1, similarity: null, generated_at: null }),
  row(),
];

describe("picks store", () => {
  it("reads back every row it wrote, ordered by series then rank", async () => {
    const file = path.join(freshDir(), "picks.parquet");
    await writePicksParquet(picks, file);
    expect(await readPicksParquet(file)).toEqual([picks[2], picks[1], picks[0]]);
  });

  it("writes the columns and types the site schema declares", async () => {
    const file = path.join(freshDir(), "picks.parquet");
    await writePicksParquet(picks, file);
    const connection = await connectDuckDB();
    try {
      const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quotedString(file)})`)).getRowObjectsJS();
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual(PICK_COLUMNS.map(([name, type]) => [name, type]));
    } finally {
      connection.closeSync();
    }
  });

  it("writes an empty file for no picks", async () => {
    const file = path.join(freshDir(), "picks.parquet");
    await writePicksParquet([], file);
    expect(await readPicksParquet(file)).toEqual([]);
  });

  it("leaves the previous file byte-identical, and no temp file, when a write fails", async () => {
    const dir = freshDir();
    const file = path.join(dir, "picks.parquet");
    await writePicksParquet(picks, file);
    const before = readFileSync(file);
    const broken = [...picks, row({ series_id: 3, movie_id: "abc" as unknown as number })];
    await expect(writePicksParquet(broken, file)).rejects.toThrow(PicksStoreError);
    expect(readFileSync(file)).toEqual(before);
    expect(readdirSync(dir)).toEqual(["picks.parquet"]);
  });

  it("names the column, row and value of a cell of the wrong type", async () => {
    const broken = [row(), row({ rank: 2, reason: 42 as unknown as string })];
    await expect(writePicksParquet(broken, path.join(freshDir(), "picks.parquet"))).rejects.toThrow(/column "reason" \(VARCHAR\), row 1: expected a string, got 42/);
  });

  it("refuses two rows with the same series and rank", async () => {
    await expect(writePicksParquet([row(), row({ movie_id: 102 })], path.join(freshDir(), "picks.parquet"))).rejects.toThrow(/series 1 has rank 1 twice/);
  });

  it("refuses a rank below 1", async () => {
    await expect(writePicksParquet([row({ rank: 0 })], path.join(freshDir(), "picks.parquet"))).rejects.toThrow(/row 0 \(series 1\) has rank 0, expected a whole number from 1/);
  });

  it("refuses a source other than llm or fallback", async () => {
    const broken = [row({ source: "guess" as PickRow["source"] })];
    await expect(writePicksParquet(broken, path.join(freshDir(), "picks.parquet"))).rejects.toThrow(/has source "guess", expected one of llm, fallback/);
  });

  it("writes nothing at all for rows it refuses", async () => {
    const dir = freshDir();
    await expect(writePicksParquet([row(), row()], path.join(dir, "picks.parquet"))).rejects.toThrow(PicksStoreError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("says which file it could not read", async () => {
    const file = path.join(freshDir(), "missing.parquet");
    await expect(readPicksParquet(file)).rejects.toThrow(`could not read picks from ${file}`);
  });
});
