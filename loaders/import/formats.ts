// Reads export files (CSV/TSV, JSON arrays, JSON Lines, one JSON object per file) into plain
// records, each tagged with the line it starts on so problems can be reported as file:line.
// Knows nothing about movies: mapping fields to titles is import-fields.ts's job.
import { parse as parseCsv, type CsvError } from "csv-parse";
import { createReadStream } from "node:fs";
import { open, readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";

export type ImportFormat = "csv" | "tsv" | "json" | "jsonl";

/** One row or object of a source file. `line` is 1-based: where the record starts. */
export interface SourceRecord {
  fields: Record<string, unknown>;
  line: number;
  /** Set when the record is structurally broken (for example a CSV row with too many fields). */
  problem?: string;
}

export interface SourceFile {
  file: string;
  format: ImportFormat;
  records: AsyncIterable<SourceRecord>;
}

/** A whole file cannot be used: unreadable, unparseable, or lacking a required column. */
export class ImportFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ""}: ${reason}`);
    this.name = "ImportFileError";
  }
}

/**
 * Input bounds, with room above any real export: a JSON array is parsed whole (V8 strings
 * stop near 512 MB), a CSV record or JSON line is held whole while parsed, and TMDB's entire
 * catalogue is about 1.2 million titles.
 */
export const IMPORT_LIMITS = {
  jsonFileBytes: 256 * 1024 * 1024,
  recordChars: 64 * 1024 * 1024,
  rows: 5_000_000,
} as const;

const mebibytes = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** Extensions a directory given on the command line is scanned for. */
export const DATA_EXTENSIONS = [".csv", ".tsv", ".json", ".jsonl", ".ndjson"] as const;

/**
 * The files an input path stands for: the file itself, or every data file directly inside a
 * directory (sorted by name; other files such as READMEs are left out).
 */
export async function expandInput(input: string): Promise<{ files: string[]; directory: boolean }> {
  let info;
  try {
    info = await stat(input);
  } catch {
    throw new ImportFileError(input, "no such file or directory");
  }
  if (!info.isDirectory()) return { files: [input], directory: false };
  let entries;
  try {
    entries = await readdir(input, { withFileTypes: true });
  } catch (error) {
    throw new ImportFileError(input, `cannot list directory: ${(error as Error).message}`);
  }
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith(".") && DATA_EXTENSIONS.some((ext) => e.name.toLowerCase().endsWith(ext)))
    .map((e) => path.join(input, e.name))
    .sort();
  if (files.length === 0) {
    throw new ImportFileError(input, `directory holds no data files (${DATA_EXTENSIONS.join(", ")})`);
  }
  return { files, directory: true };
}

async function firstChars(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString("utf8").replace(/^\uFEFF/, "");
  } finally {
    await handle.close();
  }
}

/**
 * Picks the format from the first non-blank character, then the extension: JSON starts with
 * `[` or `{` whatever the file is called; anything else is delimited text (tab for .tsv).
 */
export function detectFormat(file: string, head: string): ImportFormat {
  const ext = path.extname(file).toLowerCase();
  const first = head.trimStart()[0];
  if (first === undefined) throw new ImportFileError(file, "file is empty");
  if (first === "[" || first === "{") return ext === ".jsonl" || ext === ".ndjson" ? "jsonl" : "json";
  if (ext === ".json" || ext === ".jsonl" || ext === ".ndjson") {
    throw new ImportFileError(file, `expected JSON (${ext}) but the file starts with "${first}"`);
  }
  return ext === ".tsv" ? "tsv" : "csv";
}

export async function openSource(file: string): Promise<SourceFile> {
  let head: string;
  try {
    head = await firstChars(file);
  } catch (error) {
    throw new ImportFileError(file, `cannot read: ${(error as Error).message}`);
  }
  const format = detectFormat(file, head);
  const records =
    format === "csv" || format === "tsv"
      ? readDelimited(file, format === "tsv" ? "\t" : ",")
      : format === "jsonl"
        ? readJsonLines(file)
        : readJson(file);
  return { file, format, records };
}

/**
 * Maps byte offsets to line numbers while a file streams past. The CSV parser reports the byte
 * offset where each record ends; its own line counter is off by one around record delimiters.
 */
class LineIndex {
  private newlines: number[] = [];
  private head = 0;
  private seen = 0;
  private line = 1;

  observe(chunk: Buffer): void {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.newlines.push(this.seen + i);
    this.seen += chunk.length;
  }

  /** Line of the byte at `offset`; offsets must not go backwards between calls. */
  lineAt(offset: number): number {
    while (this.head < this.newlines.length && this.newlines[this.head]! < offset) {
      this.head++;
      this.line++;
    }
    if (this.head > 65_536) {
      this.newlines = this.newlines.slice(this.head);
      this.head = 0;
    }
    return this.line;
  }
}

/** Header names made unique (a repeated name gets `_2`, `_3`); an empty name stays empty. */
function uniqueHeader(header: string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((raw) => {
    const name = raw.trim();
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
}

async function* readDelimited(file: string, delimiter: string): AsyncGenerator<SourceRecord> {
  const lines = new LineIndex();
  const stream = createReadStream(file);
  const parser = parseCsv({ bom: true, delimiter, info: true, relax_column_count: true, skip_empty_lines: true, max_record_size: IMPORT_LIMITS.recordChars });
  stream.on("data", (chunk) => lines.observe(chunk as Buffer));
  stream.on("error", (error) => parser.destroy(error));
  stream.pipe(parser);
  let header: string[] | undefined;
  let recordStart = 0;
  let emptyLines = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes_records: number; empty_lines: number } }>) {
      const line = lines.lineAt(recordStart) + (info.empty_lines - emptyLines);
      recordStart = info.bytes_records;
      emptyLines = info.empty_lines;
      if (!header) {
        header = uniqueHeader(record);
        continue;
      }
      const fields: Record<string, unknown> = {};
      header.forEach((name, i) => (fields[name] = record[i]));
      yield record.length === header.length
        ? { fields, line }
        : { fields, line, problem: `${record.length} fields where the header has ${header.length}` };
    }
  } catch (error) {
    if ((error as CsvError).code?.startsWith("CSV_")) {
      const start = lines.lineAt(recordStart);
      const what = delimiter === "\t" ? "TSV" : "CSV";
      throw new ImportFileError(file, `cannot parse ${what} in the record starting on this line: ${(error as Error).message}`, start);
    }
    throw new ImportFileError(file, `cannot read: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  if (!header) throw new ImportFileError(file, "file has no header row");
}

/** Line and column of a character offset in `text`. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function jsonError(file: string, text: string, error: Error, lineOffset = 0): ImportFileError {
  const match = /at position (\d+)/.exec(error.message);
  if (!match) return new ImportFileError(file, `invalid JSON: ${error.message}`, lineOffset || undefined);
  const { line, column } = position(text, Number(match[1]));
  return new ImportFileError(file, `invalid JSON at column ${column}: ${error.message}`, line + lineOffset);
}

/** Start lines of the elements of a top-level JSON array (the text is known to be valid JSON). */
function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\n") continue;
    if (depth === 1 && expectValue && c !== "]") {
      lines.push(line);
      expectValue = false;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectValue = true;
  }
  return lines;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function toRecord(value: unknown, line: number): SourceRecord {
  return isObject(value) ? { fields: value, line } : { fields: {}, line, problem: "not a JSON object" };
}

async function* readJson(file: string): AsyncGenerator<SourceRecord> {
  const { size } = await stat(file);
  if (size > IMPORT_LIMITS.jsonFileBytes) {
    throw new ImportFileError(
      file,
      `is ${mebibytes(size)}, and a JSON file is read whole (at most ${mebibytes(IMPORT_LIMITS.jsonFileBytes)}); convert it to JSON Lines (.jsonl, one object per line) or split it`,
    );
  }
  const text = (await readFile(file, "utf8")).replace(/^\uFEFF/, "");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // `{...}\n{...}` in a .json file: JSON Lines under the wrong extension.
    const firstLine = text.trimStart().split("\n", 1)[0]!;
    if (/Unexpected non-whitespace character after JSON/.test((error as Error).message) && isJsonObject(firstLine)) {
      yield* readJsonLines(file);
      return;
    }
    throw jsonError(file, text, error as Error);
  }
  if (Array.isArray(value)) {
    const lines = arrayElementLines(text);
    for (let i = 0; i < value.length; i++) yield toRecord(value[i], lines[i] ?? 1);
    return;
  }
  if (!isObject(value)) throw new ImportFileError(file, "JSON file holds neither an array nor an object");
  const object = value;
  // A TMDB list page (`results`) or genre list (`genres`) wraps the records it holds.
  const wrapped = !("id" in object) ? (Array.isArray(object.results) ? object.results : Array.isArray(object.genres) ? object.genres : undefined) : undefined;
  if (wrapped) {
    for (const item of wrapped) yield toRecord(item, 1);
    return;
  }
  yield { fields: object, line: 1 };
}

function isJsonObject(text: string): boolean {
  try {
    return isObject(JSON.parse(text));
  } catch {
    return false;
  }
}

async function* readJsonLines(file: string): AsyncGenerator<SourceRecord> {
  const stream = createReadStream(file, { encoding: "utf8" });
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of reader) {
      line++;
      if (raw.length > IMPORT_LIMITS.recordChars) {
        throw new ImportFileError(file, `line is ${mebibytes(raw.length)} long, more than the ${mebibytes(IMPORT_LIMITS.recordChars)} a record may take`, line);
      }
      const text = line === 1 ? raw.replace(/^\uFEFF/, "") : raw;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw jsonError(file, text, error as Error, line - 1);
      }
      yield toRecord(value, line);
    }
  } finally {
    reader.close();
    stream.destroy();
  }
}
