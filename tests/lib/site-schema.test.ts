// lib/site-schema.ts is the one description of the site's files: the encoder writes exactly
// its columns, the decoder refuses a file without one, and the pages ask only for its members.
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MOVIE_COLUMNS, MOVIE_METADATA_COLUMNS, SERIES_METADATA_COLUMNS } from "../../lib/catalog.ts";
import type { PickRow } from "../../lib/rerank-types.ts";
import { PICK_COLUMNS, SITE_FILES, SITE_MOVIE_COLUMNS, SITE_MOVIE_TEXT_COLUMNS, SITE_SERIES_COLUMNS, SITE_VECTOR_COLUMNS, SITE_VECTOR_METADATA } from "../../lib/site-schema.ts";
import { quantizeInt8 } from "../../lib/vectors.ts";
import { bundleBrowserLib } from "../../loaders/site/build-hooks.ts";
import { moviesToArrow, picksToArrow, seriesToArrow, vectorsToArrow } from "../../loaders/site/arrow.ts";
import { engineCatalog } from "../fixtures/engine-catalog.ts";

// site-data.ts reads the schema through the generated lib bundle, so build it first.
await bundleBrowserLib("src");
const { decodeMovies, decodePicks, decodeSeries, decodeVectors } = await import("../../src/components/site-data.ts");

const ARROW_TYPES: Record<string, string> = {
  INTEGER: "Int32",
  DOUBLE: "Float64",
  FLOAT: "Float32",
  BOOLEAN: "Bool",
  VARCHAR: "Utf8",
  DATE: "Date32<DAY>",
  "VARCHAR[]": "List<Utf8>",
};

const pick: PickRow = { series_id: 201, rank: 1, movie_id: 101, reason: "Why.", similarity: 0.5, source: "llm", model: "m", generated_at: null };

function vectorsBytes(): Uint8Array {
  const set = (ids: number[]) => quantizeInt8({ embedderId: "test:embedder", dims: 2, ids, data: Float32Array.from(ids.flatMap(() => [0.6, 0.8])) });
  return vectorsToArrow({ movies: set([101, 102]), series: set([201]) });
}

function fields(bytes: Uint8Array): string[][] {
  return tableFromIPC(bytes).schema.fields.map((f) => [f.name, String(f.type)]);
}

/** The same table without one column, keeping the schema metadata. */
function without(bytes: Uint8Array, column: string): Uint8Array {
  const table = tableFromIPC(bytes);
  const kept = new Table(Object.fromEntries(table.schema.fields.filter((f) => f.name !== column).map((f) => [f.name, table.getChild(f.name)!])));
  for (const [key, value] of table.schema.metadata) kept.schema.metadata.set(key, value);
  return tableToIPC(kept, "stream");
}

describe("the site file schema", () => {
  it("ships the catalogue's own movie columns, split between movies.arrow and movie-texts.arrow (no backdrop)", () => {
    const shipped = [...SITE_MOVIE_COLUMNS, ...SITE_MOVIE_TEXT_COLUMNS.filter(([name]) => name !== "id")];
    expect(MOVIE_COLUMNS.filter(([name]) => name !== "backdrop_path").filter((c) => !shipped.some((s) => s[0] === c[0] && s[1] === c[1]))).toEqual([]);
    expect(shipped).toHaveLength(MOVIE_COLUMNS.length - 1);
    expect(SITE_MOVIE_COLUMNS.map(([name]) => name)).not.toContain("overview");
    expect(SITE_MOVIE_TEXT_COLUMNS[0]).toEqual(["id", "INTEGER"]);
  });

  it("names series columns as the movie columns, with name and first_air_date, then the series' own metadata", () => {
    const core = MOVIE_COLUMNS.filter(([name]) => !MOVIE_METADATA_COLUMNS.some(([meta]) => meta === name) && name !== "providers");
    expect(SITE_SERIES_COLUMNS.map(([name]) => name)).toEqual([
      ...core.map(([name]) => (name === "title" ? "name" : name === "release_date" ? "first_air_date" : name)),
      ...SERIES_METADATA_COLUMNS.map(([name]) => name),
    ]);
  });

  it("declares a column for every field of a pick, in PickRow's order", () => {
    expect(PICK_COLUMNS.map(([name]) => name)).toEqual(Object.keys(pick));
  });

  it("is what the encoder writes: movies and series with the declared columns and types, in order", () => {
    const { movies, series } = engineCatalog();
    expect(fields(moviesToArrow(movies))).toEqual(SITE_MOVIE_COLUMNS.map(([name, type]) => [name, ARROW_TYPES[type]]));
    expect(fields(seriesToArrow(series))).toEqual(SITE_SERIES_COLUMNS.map(([name, type]) => [name, ARROW_TYPES[type]]));
  });

  it("is what the encoder writes: picks with the declared columns and types, in order", () => {
    expect(fields(picksToArrow([pick]))).toEqual(PICK_COLUMNS.map(([name, type]) => [name, ARROW_TYPES[type]]));
  });

  it("is what the encoder writes: vectors with the declared columns and metadata keys", () => {
    const table = tableFromIPC(vectorsBytes());
    expect(table.schema.fields.map((f) => f.name)).toEqual(SITE_VECTOR_COLUMNS.map(([name]) => name));
    expect(String(table.schema.fields.at(-1)!.type)).toMatch(/^FixedSizeList\[2\]<Int8>$/);
    expect(table.schema.metadata.get(SITE_VECTOR_METADATA.embedderId)).toBe("test:embedder");
    expect(table.schema.metadata.get(SITE_VECTOR_METADATA.dims)).toBe("2");
  });

  it("makes the decoder refuse a movies or series file without a column the pages read", () => {
    const { movies, series } = engineCatalog();
    expect(() => decodeMovies(without(moviesToArrow(movies), "vote_count"))).toThrow(/no "vote_count" column/);
    expect(() => decodeSeries(without(seriesToArrow(series), "first_air_date"))).toThrow(/no "first_air_date" column/);
  });

  it("makes the decoder refuse a picks or vectors file without a declared column", () => {
    expect(() => decodePicks(without(picksToArrow([pick]), "reason"))).toThrow(/no "reason" column/);
    expect(() => decodeVectors(without(vectorsBytes(), "scale"))).toThrow(/no "scale" column/);
    expect(() => decodeVectors(without(vectorsBytes(), "vector"))).toThrow(/no "vector" column/);
  });

  it("lists every archive member the pages ask for", () => {
    const pages = readdirSync("src").filter((f) => f.endsWith(".md"));
    const asked = pages.flatMap((page) => [...readFileSync(path.join("src", page), "utf8").matchAll(/FileAttachment\("data\/site\/([^"]+)"\)/g)].map((m) => m[1]));
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.filter((name) => !Object.values(SITE_FILES).includes(name as never))).toEqual([]);
  });
});
