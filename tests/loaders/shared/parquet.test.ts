// The one Parquet writer: what it writes reads back as declared, and a failed write leaves
// the previous file as it was and no temp file behind.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectDuckDB, quotedString } from "../../../loaders/shared/duckdb.ts";
import { ParquetWriteError, stageParquet, writeParquetAtomic, type ParquetTable } from "../../../loaders/shared/parquet.ts";

const work = mkdtempSync(path.join(tmpdir(), "marquee-parquet-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let dirs = 0;
const freshDir = () => mkdtempSync(path.join(work, `case-${++dirs}-`));

const COLUMNS = [
  ["id", "INTEGER"],
  ["score", "DOUBLE"],
  ["scale", "FLOAT"],
  ["flag", "BOOLEAN"],
  ["label", "VARCHAR"],
  ["day", "DATE"],
  ["tags", "VARCHAR[]"],
  ["vector", "TINYINT[]"],
] as const;

type Row = {
  id: number;
  score: number | null;
  scale: number;
  flag: boolean;
  label: string | null;
  day: Date | null;
  tags: string[];
  vector: number[];
};

function rows(count: number): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i,
    score: i % 7 === 0 ? null : i / 4,
    scale: 0.5,
    flag: i % 2 === 0,
    label: i % 5 === 0 ? null : `row ${i}`,
    day: i % 3 === 0 ? null : new Date(Date.UTC(2000, 0, 1 + i)),
    tags: i % 4 === 0 ? [] : ["a", `t${i}`],
    vector: [i % 128, (i % 128) - 128, 0],
  }));
}

function table(data: readonly Record<string, unknown>[], orderBy?: string): ParquetTable<(typeof COLUMNS)[number][0]> {
  return { columns: COLUMNS, rowCount: data.length, value: (row, column) => data[row][column] as never, orderBy };
}

async function read(file: string): Promise<{ types: string[][]; rows: Record<string, unknown>[] }> {
  const connection = await connectDuckDB();
  try {
    const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quotedString(file)})`)).getRowObjectsJS();
    const back = (await connection.runAndReadAll(`SELECT * FROM read_parquet(${quotedString(file)})`)).getRowObjectsJS();
    return { types: described.map((c) => [String(c.column_name), String(c.column_type)]), rows: back };
  } finally {
    connection.closeSync();
  }
}

describe("writeParquetAtomic", () => {
  it("writes every declared column with its declared type, values and nulls intact", async () => {
    const file = path.join(freshDir(), "all.parquet");
    const data = rows(10);
    await writeParquetAtomic(file, table(data));
    const back = await read(file);
    expect(back.types).toEqual(COLUMNS.map(([name, type]) => [name, type]));
    expect(back.rows).toEqual(data);
  });

  it("keeps the rows' order across many data chunks when no order is given", async () => {
    const file = path.join(freshDir(), "many.parquet");
    const data = rows(5000).reverse();
    await writeParquetAtomic(file, table(data));
    expect((await read(file)).rows.map((r) => r.id)).toEqual(data.map((r) => r.id));
  });

  it("sorts the file by orderBy", async () => {
    const file = path.join(freshDir(), "sorted.parquet");
    await writeParquetAtomic(file, table(rows(6), "flag, id DESC"));
    expect((await read(file)).rows.map((r) => r.id)).toEqual([5, 3, 1, 4, 2, 0]);
  });

  it("writes a file with the declared columns and no rows for an empty table", async () => {
    const file = path.join(freshDir(), "empty.parquet");
    await writeParquetAtomic(file, table([]));
    const back = await read(file);
    expect(back.types.map(([name]) => name)).toEqual(COLUMNS.map(([name]) => name));
    expect(back.rows).toEqual([]);
  });

  it("creates the target's folder", async () => {
    const file = path.join(freshDir(), "a", "b", "nested.parquet");
    await writeParquetAtomic(file, table(rows(1)));
    expect((await read(file)).rows).toHaveLength(1);
  });

  it("refuses a value of the wrong kind, naming the column, the row and the value", async () => {
    const data: Record<string, unknown>[] = rows(3);
    data[2] = { ...data[2], score: "forty" };
    const error = await writeParquetAtomic(path.join(freshDir(), "bad.parquet"), table(data)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParquetWriteError);
    expect((error as Error).message).toMatch(/column "score" \(DOUBLE\), row 2: expected a number, got "forty"/);
  });

  it("refuses list items out of the column's range", async () => {
    const data: Record<string, unknown>[] = rows(2);
    data[1] = { ...data[1], vector: [1, 300] };
    await expect(writeParquetAtomic(path.join(freshDir(), "range.parquet"), table(data))).rejects.toThrow(/column "vector" \(TINYINT\[\]\), row 1: expected an integer from -128 to 127, got 300/);
  });

  it("leaves the previous file byte-identical and no temp file when a write fails", async () => {
    const dir = freshDir();
    const file = path.join(dir, "kept.parquet");
    await writeParquetAtomic(file, table(rows(4)));
    const before = readFileSync(file);
    const data: Record<string, unknown>[] = rows(4);
    data[3] = { ...data[3], id: 1.5 };
    await expect(writeParquetAtomic(file, table(data))).rejects.toThrow(/column "id" \(INTEGER\), row 3/);
    expect(readFileSync(file)).toEqual(before);
    expect(readdirSync(dir)).toEqual(["kept.parquet"]);
  });

  it("removes its temp file when DuckDB fails to write the file", async () => {
    const dir = freshDir();
    const file = path.join(dir, "copy.parquet");
    writeFileSync(file, "previous");
    await expect(writeParquetAtomic(file, table(rows(2), "no_such_column"))).rejects.toThrow(ParquetWriteError);
    expect(readFileSync(file, "utf8")).toBe("previous");
    expect(readdirSync(dir)).toEqual(["copy.parquet"]);
  });

  it("refuses a column declared twice", async () => {
    const file = path.join(freshDir(), "twice.parquet");
    await expect(
      writeParquetAtomic(file, { columns: [["id", "INTEGER"], ["id", "INTEGER"]], rowCount: 0, value: () => null }),
    ).rejects.toThrow(/column "id" is declared twice/);
  });
});

describe("stageParquet", () => {
  it("leaves the target untouched until commit, then replaces it", async () => {
    const dir = freshDir();
    const file = path.join(dir, "staged.parquet");
    writeFileSync(file, "previous");
    const staged = await stageParquet(file, table(rows(3)));
    expect(readFileSync(file, "utf8")).toBe("previous");
    expect(readdirSync(dir).sort()).toEqual([path.basename(staged.temp), "staged.parquet"].sort());
    expect(staged.temp.endsWith(".tmp")).toBe(true);
    await staged.commit();
    expect((await read(file)).rows).toHaveLength(3);
    expect(readdirSync(dir)).toEqual(["staged.parquet"]);
  });

  it("discard removes the temp file and keeps the target", async () => {
    const dir = freshDir();
    const file = path.join(dir, "discarded.parquet");
    writeFileSync(file, "previous");
    const staged = await stageParquet(file, table(rows(3)));
    await staged.discard();
    expect(readFileSync(file, "utf8")).toBe("previous");
    expect(readdirSync(dir)).toEqual(["discarded.parquet"]);
  });

  it("gives two stagings of one file different temp files", async () => {
    const file = path.join(freshDir(), "two.parquet");
    const [a, b] = await Promise.all([stageParquet(file, table(rows(1))), stageParquet(file, table(rows(2)))]);
    expect(a.temp).not.toBe(b.temp);
    await Promise.all([a.discard(), b.discard()]);
  });
});
