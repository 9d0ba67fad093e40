// CSV as the history exports write it (Letterboxd, IMDb, Netflix), read with csv-parse's
// browser build so the page and Node parse alike. Pure: text in, rows out.
import { parse } from "csv-parse/browser/esm/sync";
import { HistoryFormatError } from "./entry.ts";

/** The header of a CSV text, trimmed, without a byte-order mark; empty for an empty text. */
export function csvHeader(text: string): string[] {
  const firstLine = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  try {
    const [header] = parse(firstLine, { relax_quotes: true }) as string[][];
    return (header ?? []).map((h) => h.trim());
  } catch {
    return [];
  }
}

/**
 * The rows of a CSV export keyed by its header, refusing a file without the columns the
 * format needs or whose rows do not parse (the error names the line).
 */
export function readCsv(fileName: string, text: string, required: readonly string[]): Record<string, string>[] {
  const header = csvHeader(text);
  const missing = required.filter((column) => !header.includes(column));
  if (missing.length) {
    throw new HistoryFormatError(fileName, `has no ${missing.map((m) => `"${m}"`).join(", ")} column${missing.length > 1 ? "s" : ""} (its header is "${header.join(",").slice(0, 120)}")`);
  }
  try {
    return parse(text, { bom: true, columns: (h: string[]) => h.map((c) => c.trim()), skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    const reason = (error as Error).message.replace(/^[A-Z_]+:\s*/, "");
    throw new HistoryFormatError(fileName, `is not valid CSV${line ? ` near line ${line}` : ""}: ${reason}`);
  }
}
