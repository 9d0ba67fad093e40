// Imports TMDB export files into the catalogue: reads every file, maps and validates each row,
// merges rows that share an id, and writes the catalogue atomically.
//
// Rules (also in the CLI's usage text):
// - Routing: a row's `kind` (or `media_type`) column, when set, decides movie or series; rows
//   without one follow the flag their file came under. So a `kind=tv` row in a file given to
//   --movies becomes a series, and the other way round.
// - Merging: rows with the same id and medium are merged field by field. Every field takes its
//   value from the freshest row that has one (empty values never win). The freshest row is the
//   one with the highest vote_count (TMDB vote counts only grow, so more votes means a later
//   snapshot); ties, and rows without vote_count, go to the later row: later file (--movies
//   files first, then --series, each in the order given), later line. Metadata lists (keywords,
//   production companies, created_by, networks...) are fields like the others: the freshest row
//   with a non-empty list wins; a title no row gives one to keeps empty metadata.
// - A file that cannot be parsed or has no id column fails the import, and nothing is written,
//   unless skipBadFiles is set (then the file is left out and listed in meta.notes).
// - Bad rows are reported as file:line and skipped; rows whose merged record still has no
//   overview, title or language are dropped. Both are counted in meta.dropped.
import { normaliseMovie, normaliseSeries, type CatalogMeta, type Genre, type Movie, type Series } from "../../lib/catalog.ts";
import { catalogDir } from "../shared/config.ts";
import { languageNames } from "../../lib/languages.ts";
import { writeCatalog } from "../catalog/store.ts";
import { IMPORT_LIMITS, ImportFileError, expandInput, openSource, type ImportFormat } from "./formats.ts";
import {
  RowError,
  addGenres,
  builtInGenres,
  genreFromRecord,
  hasIdColumn,
  looksLikeGenreMap,
  mapRow,
  rowKind,
  type GenreLists,
  type Kind,
  type TitleFields,
} from "./fields.ts";

export interface ImportOptions {
  /** Files or directories given to --movies. */
  movies: string[];
  /** Files or directories given to --series. */
  series: string[];
  /** Extra genre maps (id, name), on top of TMDB's lists in lib/catalog.ts. */
  genres?: string[];
  /** Catalogue directory; defaults to catalogDir(). */
  out?: string;
  /** Leave out files that cannot be imported instead of failing. */
  skipBadFiles?: boolean;
  /** Progress and problem lines; defaults to stderr. */
  log?: (line: string) => void;
  /** Rows an import may read in all; IMPORT_LIMITS.rows by default. */
  maxRows?: number;
}

export interface FileReport {
  file: string;
  /** The argument the file came from (itself, or its directory). */
  input: string;
  flag: Kind;
  format: ImportFormat;
  read: number;
  kept: number;
  skipped: number;
  movies: number;
  series: number;
  reasons: Record<string, number>;
}

export interface ImportReport {
  files: FileReport[];
  failedFiles: { file: string; error: string }[];
  /** Rows fed into the merge and the distinct ids they held, per medium. */
  merged: Record<"movies" | "series", { rows: number; ids: number }>;
  /** Genre ids no genre list knows, with how many rows carried each. */
  unknownGenreIds: Record<string, number>;
  genreConflicts: string[];
}

export interface ImportResult {
  dir: string;
  meta: CatalogMeta;
  report: ImportReport;
}

export class ImportError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImportError";
  }
}

const PLURAL: Record<Kind, "movies" | "series"> = { movie: "movies", tv: "series" };
// Enough lines to see the pattern of a broken file without flooding the terminal.
const BAD_ROW_LINES_PER_FILE = 20;

interface Candidate {
  title: TitleFields;
  seq: number;
}

function freshness(a: Candidate, b: Candidate): number {
  return (a.title.vote_count ?? -1) - (b.title.vote_count ?? -1) || a.seq - b.seq;
}

/** Merges the rows of one id: field by field, the freshest row with a value wins (see the rules above). */
export function mergeTitleRows(rows: readonly Candidate[]): TitleFields {
  const merged = {} as TitleFields;
  for (const { title } of [...rows].sort(freshness)) {
    for (const [field, value] of Object.entries(title)) {
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[field] = value;
    }
  }
  return merged;
}

type Finished<K extends Kind> = { record: K extends "movie" ? Movie : Series } | { dropped: string; message: string };

/** The catalogue record for a merged title, or why it is dropped. */
export function finishTitle<K extends Kind>(kind: K, title: TitleFields): Finished<K> {
  const missing = title.overview === undefined ? "overview" : title.title === undefined ? "title" : title.language === undefined ? "language" : undefined;
  if (missing) return { dropped: `${PLURAL[kind]}_without_${missing}`, message: `id ${title.id}: no file gives it a ${missing}` };
  const raw = { ...title, title: title.title, overview: title.overview, date: title.date ?? null, genre_names: title.genre_names ?? [] };
  try {
    const record = kind === "movie" ? normaliseMovie(raw) : normaliseSeries(raw);
    return { record } as Finished<K>;
  } catch (error) {
    return { dropped: `${PLURAL[kind]}_invalid`, message: (error as Error).message };
  }
}

class Importer {
  private readonly log: (line: string) => void;
  private readonly genres: GenreLists = builtInGenres();
  private readonly candidates: Record<Kind, Map<number, Candidate[]>> = { movie: new Map(), tv: new Map() };
  private readonly dropped: Record<string, number> = { movies_without_overview: 0, series_without_overview: 0 };
  private seq = 0;
  private rowsRead = 0;
  readonly report: ImportReport = {
    files: [],
    failedFiles: [],
    merged: { movies: { rows: 0, ids: 0 }, series: { rows: 0, ids: 0 } },
    unknownGenreIds: {},
    genreConflicts: [],
  };
  readonly notes: string[] = [];

  constructor(private readonly options: ImportOptions) {
    this.log = options.log ?? ((line) => process.stderr.write(`import: ${line}\n`));
  }

  private fail(file: string, error: unknown): void {
    if (!(error instanceof ImportFileError)) throw error;
    this.report.failedFiles.push({ file, error: error.message });
    this.log(`${this.options.skipBadFiles ? "skipping" : "cannot import"} ${error.message}`);
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  private async inputs(input: string): Promise<string[]> {
    try {
      return (await expandInput(input)).files;
    } catch (error) {
      this.fail(input, error);
      return [];
    }
  }

  async readGenreMaps(inputs: readonly string[]): Promise<void> {
    for (const input of inputs) {
      for (const file of await this.inputs(input)) {
        try {
          const entries: Genre[] = [];
          const source = await openSource(file);
          for await (const { fields, line } of source.records) {
            if (entries.length === 0 && !looksLikeGenreMap(fields)) {
              throw new ImportFileError(file, `not a genre map: expected an id column (or an unnamed first column) and a name column, got ${Object.keys(fields).join(", ")}`, line);
            }
            try {
              entries.push(genreFromRecord(fields));
            } catch (error) {
              if (!(error instanceof RowError)) throw error;
              this.log(`${file}:${line}: skipped genre row: ${error.message}`);
            }
          }
          const conflicts = addGenres(this.genres, entries);
          conflicts.forEach((c) => this.log(`${file}: ${c}`));
          this.report.genreConflicts.push(...conflicts.map((c) => `${file}: ${c}`));
          this.notes.push(`genres: ${file} (${entries.length} ids)`);
          this.log(`${file}: ${entries.length} genre ids`);
        } catch (error) {
          this.fail(file, error);
        }
      }
    }
  }

  /** Reads one title file completely before any of it reaches the merge, so a failing file leaves no trace. */
  private async readTitleFile(file: string, input: string, flag: Kind): Promise<{ report: FileReport; rows: { kind: Kind; title: TitleFields }[] }> {
    const source = await openSource(file);
    const report: FileReport = { file, input, flag, format: source.format, read: 0, kept: 0, skipped: 0, movies: 0, series: 0, reasons: {} };
    const rows: { kind: Kind; title: TitleFields }[] = [];
    for await (const { fields, line, problem } of source.records) {
      if (report.read === 0 && !problem && !hasIdColumn(fields)) {
        throw new ImportFileError(
          file,
          `no id column (columns: ${Object.keys(fields).join(", ") || "none"}); rows are merged by TMDB id, so this file cannot be imported`,
        );
      }
      report.read++;
      const maxRows = this.options.maxRows ?? IMPORT_LIMITS.rows;
      if (++this.rowsRead > maxRows) {
        throw new ImportError(
          `more than ${maxRows.toLocaleString("en")} rows (at ${file}:${line}), nothing was written: TMDB's whole catalogue is about 1.2 million titles, so these files repeat rows or are not title exports`,
        );
      }
      try {
        if (problem) throw new RowError("malformed_row", problem);
        const row = mapRow(fields, flag, this.genres);
        rows.push(row);
        report.kept++;
        report[PLURAL[row.kind]]++;
        for (const id of row.unknownGenreIds) this.report.unknownGenreIds[id] = (this.report.unknownGenreIds[id] ?? 0) + 1;
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
        let kind = flag;
        try {
          kind = rowKind(fields, flag);
        } catch {
          // The kind itself was the problem; count the row under the flag it came with.
        }
        const reason = `${PLURAL[kind]}_${error.reason}`;
        report.skipped++;
        report.reasons[reason] = (report.reasons[reason] ?? 0) + 1;
        if (report.skipped <= BAD_ROW_LINES_PER_FILE) this.log(`${file}:${line}: skipped row (${reason}): ${error.message}`);
      }
    }
    if (report.skipped > BAD_ROW_LINES_PER_FILE) this.log(`${file}: ... ${report.skipped - BAD_ROW_LINES_PER_FILE} more skipped rows`);
    return { report, rows };
  }

  async readTitles(input: string, flag: Kind): Promise<void> {
    const files = await this.inputs(input);
    const reports: FileReport[] = [];
    for (const file of files) {
      try {
        const { report, rows } = await this.readTitleFile(file, input, flag);
        for (const { kind, title } of rows) {
          const list = this.candidates[kind].get(title.id);
          const candidate = { title, seq: this.seq++ };
          if (list) list.push(candidate);
          else this.candidates[kind].set(title.id, [candidate]);
        }
        for (const [reason, n] of Object.entries(report.reasons)) this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
        reports.push(report);
        // A directory gets one summary line; its files get their own only when something was skipped.
        if (files.length === 1 || report.skipped > 0) this.log(describe(report));
      } catch (error) {
        this.fail(file, error);
      }
    }
    this.report.files.push(...reports);
    if (reports.length === 0) return;
    const total = sumReports(reports);
    const summary = `${PLURAL[flag]}: ${input}${files.length > 1 ? ` (${reports.length} files)` : ""}: ${describeCounts(total)}`;
    if (files.length > 1) this.log(`${input}: ${reports.length} files, ${describeCounts(total)}`);
    this.notes.push(summary);
  }

  finish(): { movies: Movie[]; series: Series[] } {
    const out = { movie: [] as Movie[], tv: [] as Series[] };
    for (const kind of ["movie", "tv"] as const) {
      const merged = this.report.merged[PLURAL[kind]];
      for (const rows of this.candidates[kind].values()) {
        merged.rows += rows.length;
        merged.ids++;
        const result = finishTitle(kind, mergeTitleRows(rows));
        if ("record" in result) (out[kind] as unknown[]).push(result.record);
        else {
          this.count(result.dropped);
          if (!result.dropped.endsWith("_without_overview")) this.log(`dropped (${result.dropped}): ${result.message}`);
        }
      }
      this.log(
        `${PLURAL[kind]}: ${merged.rows} rows, ${merged.ids} distinct ids, ${this.dropped[`${PLURAL[kind]}_without_overview`]} without overview, ${out[kind].length} kept`,
      );
    }
    const unknown = Object.entries(this.report.unknownGenreIds);
    if (unknown.length > 0) {
      const list = unknown.map(([id, n]) => `${id} (${n} rows)`).join(", ");
      this.log(`genre ids missing from every genre list were left out: ${list}; pass a genre map with --genres`);
      this.notes.push(`unknown genre ids left out: ${list}`);
    }
    return { movies: out.movie, series: out.tv };
  }

  get droppedCounts(): Record<string, number> {
    return { ...this.dropped };
  }
}

function sumReports(reports: readonly FileReport[]) {
  return reports.reduce(
    (sum, r) => ({ read: sum.read + r.read, kept: sum.kept + r.kept, skipped: sum.skipped + r.skipped, movies: sum.movies + r.movies, series: sum.series + r.series }),
    { read: 0, kept: 0, skipped: 0, movies: 0, series: 0 },
  );
}

function describeCounts(c: { read: number; kept: number; skipped: number; movies: number; series: number }): string {
  const media = c.movies > 0 && c.series > 0 ? ` (${c.movies} movies, ${c.series} series)` : "";
  return `${c.read} rows read, ${c.kept} kept${media}, ${c.skipped} skipped`;
}

function describe(report: FileReport): string {
  const reasons = Object.entries(report.reasons).map(([r, n]) => `${r}: ${n}`).join(", ");
  return `${report.file}: ${report.format}, ${describeCounts(report)}${reasons ? ` (${reasons})` : ""}`;
}

/**
 * Imports export files into a catalogue directory (see the rules at the top of this file).
 * Throws ImportError, with nothing written, when a file fails (without skipBadFiles) or when
 * the result would lack movies or series.
 */
export async function importCatalog(options: ImportOptions): Promise<ImportResult> {
  const dir = options.out ?? catalogDir();
  if (options.movies.length + options.series.length === 0) throw new ImportError("no input files: give at least one movies or series file");
  const importer = new Importer(options);
  await importer.readGenreMaps(options.genres ?? []);
  for (const input of options.movies) await importer.readTitles(input, "movie");
  for (const input of options.series) await importer.readTitles(input, "tv");
  const failed = importer.report.failedFiles;
  if (failed.length > 0 && !options.skipBadFiles) {
    throw new ImportError(
      `${failed.length} file${failed.length > 1 ? "s" : ""} could not be imported, nothing was written: ${failed.map((f) => f.error).join("; ")}. Fix or remove ${failed.length > 1 ? "them" : "it"}, or import the rest with --skip-bad-files (skipBadFiles)`,
    );
  }
  const { movies, series } = importer.finish();
  if (movies.length === 0 || series.length === 0) {
    const missing = movies.length === 0 ? "movies" : "series";
    throw new ImportError(`no ${missing} to import, nothing was written: a catalogue needs both; give files with ${missing === "movies" ? "--movies" : "--series"} (rows need an id and an overview)`);
  }
  const notes = [
    ...importer.notes,
    ...failed.map((f) => `skipped file: ${f.error}`),
    "rows sharing an id were merged field by field: the freshest row (highest vote_count, then the later file) with a value wins",
  ];
  const meta: CatalogMeta = {
    source: "import",
    fetched_at: new Date().toISOString(),
    counts: { movies: movies.length, series: series.length },
    dropped: importer.droppedCounts,
    notes,
    language_names: languageNames(new Set([...movies, ...series].map((t) => t.language))),
  };
  await writeCatalog(dir, { movies, series, meta });
  return { dir, meta, report: importer.report };
}
