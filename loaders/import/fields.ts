// Maps one record of an export file onto the catalogue's fields: column aliases, the many
// spellings of a genre list, the movie/tv routing of mixed files, and per-row validation.
// Validation reuses lib/catalog.ts so imported rows obey exactly the rules TMDB rows do.
import {
  CatalogValidationError,
  LEGACY_MOVIE_GENRES,
  MOVIE_GENRES,
  TV_GENRES,
  normaliseMovie,
  normaliseMovieMetadata,
  normaliseSeriesMetadata,
  type Genre,
  type MovieMetadata,
  type RawTitle,
  type SeriesMetadata,
} from "../../lib/catalog.ts";

export type Kind = "movie" | "tv";

/** Genre id-to-name maps per medium: TMDB gives TV its own ids. */
export interface GenreLists {
  movie: Map<number, string>;
  tv: Map<number, string>;
}

/** A validated row: only the fields its source had, already normalised. */
export interface TitleFields {
  id: number;
  title?: string;
  overview?: string;
  date?: string;
  popularity?: number;
  vote_average?: number;
  vote_count?: number;
  genre_names?: string[];
  language?: string;
  adult?: boolean;
  poster_path?: string;
  backdrop_path?: string;
  /** Metadata (lib/catalog.ts MovieMetadata, SeriesMetadata), only the kind's own and only when not empty. */
  keywords?: string[];
  collection?: string;
  companies?: string[];
  directors?: string[];
  writers?: string[];
  cast?: string[];
  creators?: string[];
  networks?: string[];
}

export type TitleField = Exclude<keyof TitleFields, "id">;

/** A row that cannot be used. `reason` is a short key counted in meta.dropped. */
export class RowError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "RowError";
  }
}

/** Column names tried in order (case-insensitive); the first non-empty one wins. */
export const ID_COLUMNS = ["id", "tmdb_id"] as const;
const KIND_COLUMNS = ["kind", "media_type"];
const TITLE_COLUMNS: Record<Kind, string[]> = {
  movie: ["title", "name", "original_title", "original_name"],
  tv: ["name", "title", "original_name", "original_title"],
};
const DATE_COLUMNS: Record<Kind, string[]> = {
  movie: ["release_date", "first_air_date"],
  tv: ["first_air_date", "release_date"],
};
const LANGUAGE_COLUMNS = ["original_language", "language"];
const GENRE_COLUMNS = ["genre_names", "genres", "genre", "genre_ids"];
const SIMPLE_COLUMNS = ["overview", "popularity", "vote_average", "vote_count", "adult", "poster_path", "backdrop_path"] as const;
/** Where exports keep metadata: TMDB 5000's `keywords` and `production_companies`, the TV export's `created_by` and `networks`. */
const MOVIE_METADATA_ALIASES: Record<keyof MovieMetadata, string[]> = {
  keywords: ["keywords"],
  collection: ["collection", "belongs_to_collection"],
  companies: ["production_companies", "companies"],
  directors: ["directors", "director"],
  writers: ["writers", "writer"],
  cast: ["cast"],
};
const SERIES_METADATA_ALIASES: Record<keyof SeriesMetadata, string[]> = {
  keywords: ["keywords"],
  creators: ["created_by", "creators"],
  networks: ["networks"],
  companies: ["production_companies", "companies"],
  cast: ["cast"],
};

export function builtInGenres(): GenreLists {
  return {
    movie: new Map([...MOVIE_GENRES, ...LEGACY_MOVIE_GENRES].map((g) => [g.id, g.name])),
    tv: new Map(TV_GENRES.map((g) => [g.id, g.name])),
  };
}

/**
 * Adds a genre map file's entries to both media. Maps only fill ids the lists lack: TMDB's own
 * lists and earlier files win, and disagreements come back so the caller can report them.
 * (Files such as genres_map.csv combine movie and TV ids; the ids shared by both mean the same.)
 */
export function addGenres(lists: GenreLists, genres: readonly Genre[]): string[] {
  const conflicts: string[] = [];
  for (const { id, name } of genres) {
    for (const map of [lists.movie, lists.tv]) {
      const known = map.get(id);
      if (known === undefined) map.set(id, name);
      else if (known !== name && !conflicts.some((c) => c.startsWith(`genre id ${id} `))) {
        conflicts.push(`genre id ${id} is "${known}", ignoring "${name}"`);
      }
    }
  }
  return conflicts;
}

/** Looks fields up by lower-cased, trimmed column name. */
function fieldLookup(fields: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(fields)) {
    const name = key.trim().toLowerCase();
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

function isPresent(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function pick(lookup: Map<string, unknown>, names: readonly string[]): unknown {
  for (const name of names) {
    const value = lookup.get(name);
    if (isPresent(value)) return value;
  }
  return undefined;
}

/** Whether a record carries a TMDB id column (checked on a file's first record). */
export function hasIdColumn(fields: Record<string, unknown>): boolean {
  const lookup = fieldLookup(fields);
  return ID_COLUMNS.some((name) => lookup.has(name));
}

/** Where a row goes: its `kind` (or `media_type`) column when set, otherwise the flag its file came under. */
export function rowKind(fields: Record<string, unknown>, fileKind: Kind): Kind {
  const value = pick(fieldLookup(fields), KIND_COLUMNS);
  if (value === undefined) return fileKind;
  const kind = String(value).trim().toLowerCase();
  if (kind === "movie" || kind === "tv") return kind;
  throw new RowError("unknown_kind", `kind must be "movie" or "tv", got "${String(value)}"`);
}

// ---- genre values ----------------------------------------------------------------------------

/**
 * Reads Python literals (`[28, 12]`, `['Drama', 'Crime']`, `[{'id': 28, 'name': 'Action'}]`),
 * which pandas writes when a list column is saved to CSV. Only lists, dicts, strings, numbers,
 * None/True/False: nothing is evaluated.
 */
export function parsePythonLiteral(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at position ${i}`);
  };
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): unknown => {
    space();
    const c = text[i];
    if (c === "[" || c === "(") return sequence(c === "[" ? "]" : ")");
    if (c === "{") return dict();
    if (c === "'" || c === '"') return string(c);
    const word = /^(?:-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|None|True|False)/.exec(text.slice(i));
    if (!word) return fail("unexpected character");
    i += word[0].length;
    return word[0] === "None" ? null : word[0] === "True" ? true : word[0] === "False" ? false : Number(word[0]);
  };
  const sequence = (close: string): unknown[] => {
    i++;
    const out: unknown[] = [];
    for (space(); text[i] !== close; space()) {
      out.push(value());
      space();
      if (text[i] === ",") i++;
      else if (text[i] !== close) fail(`expected "," or "${close}"`);
      space();
    }
    i++;
    return out;
  };
  const dict = (): Record<string, unknown> => {
    i++;
    const out: Record<string, unknown> = {};
    for (space(); text[i] !== "}"; space()) {
      const key = value();
      space();
      if (text[i++] !== ":") fail('expected ":"');
      out[String(key)] = value();
      space();
      if (text[i] === ",") i++;
      else if (text[i] !== "}") fail('expected "," or "}"');
      space();
    }
    i++;
    return out;
  };
  const string = (quote: string): string => {
    let out = "";
    for (i++; text[i] !== quote; i++) {
      if (i >= text.length) fail("unterminated string");
      if (text[i] === "\\") i++;
      out += text[i];
    }
    i++;
    return out;
  };
  const result = value();
  space();
  if (i < text.length) fail("unexpected text after the value");
  return result;
}

function genreToken(item: unknown): (string | number)[] {
  if (typeof item === "number") return [item];
  if (typeof item === "string") {
    const text = item.trim();
    if (text === "") return [];
    return [/^\d+$/.test(text) ? Number(text) : text];
  }
  if (item !== null && typeof item === "object" && !Array.isArray(item)) {
    const { id, name } = item as { id?: unknown; name?: unknown };
    if (typeof name === "string" && name.trim() !== "") return [name.trim()];
    if (id !== undefined && id !== null) return genreToken(typeof id === "number" ? id : String(id));
  }
  throw new RowError("invalid_genres", `genre entry ${JSON.stringify(item)} is neither a name nor an id`);
}

/**
 * Genre names and ids from any of the shapes export files use: a list, a comma- or
 * pipe-separated string, a JSON string (`[{"id":28,"name":"Action"}]`) or a Python-ish list.
 */
export function parseGenreValue(value: unknown): (string | number)[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(genreToken);
  if (typeof value !== "string") return genreToken(value);
  const text = value.trim();
  if (text.startsWith("[") || text.startsWith("{") || text.startsWith("(")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      try {
        parsed = parsePythonLiteral(text);
      } catch (error) {
        throw new RowError("invalid_genres", `cannot read genre list ${JSON.stringify(text.slice(0, 80))}: ${(error as Error).message}`);
      }
    }
    return Array.isArray(parsed) ? parsed.flatMap(genreToken) : genreToken(parsed);
  }
  return text.split(/[,|]/).flatMap(genreToken);
}

/** Genre names for a row; ids go through the row's medium's list, unknown ids are returned apart. */
export function resolveGenres(value: unknown, kind: Kind, lists: GenreLists): { names: string[]; unknownIds: number[] } {
  const names: string[] = [];
  const unknownIds: number[] = [];
  for (const token of parseGenreValue(value)) {
    if (typeof token === "string") names.push(token);
    else {
      const name = lists[kind].get(token);
      if (name === undefined) unknownIds.push(token);
      else names.push(name);
    }
  }
  return { names, unknownIds };
}

// ---- metadata values ---------------------------------------------------------------------------

/** A list or dict written as JSON, or as a Python literal by pandas; undefined when it is neither. */
function structured(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parsePythonLiteral(text);
    } catch {
      return undefined;
    }
  }
}

/** Names of `{id, name}` entries (cast by billing `order` when they have one), or plain strings. */
function namesOf(items: readonly unknown[]): string[] {
  const order = (item: unknown) => {
    const value = (item as { order?: unknown } | null)?.order;
    return typeof value === "number" ? value : Infinity;
  };
  const sorted = items.map((item, index) => ({ item, index })).sort((a, b) => order(a.item) - order(b.item) || a.index - b.index);
  return sorted.flatMap(({ item }) => {
    if (typeof item === "string") return [item];
    const name = (item as { name?: unknown } | null)?.name;
    return typeof name === "string" ? [name] : [];
  });
}

// A comma-joined list splits "Lucasfilm, Ltd." in two; these suffixes go back to the name before.
const COMPANY_SUFFIX = /^(inc|ltd|llc|l\.l\.c|co|corp|plc|gmbh|s\.a|s\.l|l\.p)\.?$/i;

/**
 * The names of a metadata value in any of the shapes exports use: a list, a JSON or Python
 * literal list of `{id, name}` objects or strings, or names joined by commas (or pipes).
 * Metadata is a ranking hint, so a value that cannot be read counts as none rather than costing
 * the row.
 */
export function parseNameList(value: unknown): string[] {
  if (Array.isArray(value)) return namesOf(value);
  if (value !== null && typeof value === "object") {
    // A saved TMDB details answer: `{"keywords": [...]}` for a movie, `{"results": [...]}` for TV.
    const { keywords, results } = value as { keywords?: unknown; results?: unknown };
    if (Array.isArray(keywords)) return namesOf(keywords);
    if (Array.isArray(results)) return namesOf(results);
    return namesOf([value]);
  }
  if (typeof value !== "string") return [];
  const text = value.trim();
  if (/^[[{(]/.test(text)) {
    const parsed = structured(text);
    return parsed !== null && typeof parsed === "object" ? parseNameList(parsed) : [];
  }
  const names: string[] = [];
  for (const part of text.split(text.includes("|") ? "|" : ",").map((p) => p.trim())) {
    if (COMPANY_SUFFIX.test(part) && names.length > 0) names[names.length - 1] += `, ${part}`;
    else if (part) names.push(part);
  }
  return names;
}

/** A collection: a name, or a `{id, name}` object as TMDB's belongs_to_collection is written. */
function parseCollection(value: unknown): string | undefined {
  if (typeof value === "string" && !/^[[{(]/.test(value.trim())) return value;
  return parseNameList(value)[0];
}

/** The metadata of a row's kind, normalised by the catalogue's rules; only fields with a value. */
function rowMetadata(lookup: Map<string, unknown>, kind: Kind): Partial<TitleFields> {
  const out: Record<string, unknown> = {};
  if (kind === "movie") {
    const raw: Record<string, unknown> = {};
    for (const [field, names] of Object.entries(MOVIE_METADATA_ALIASES)) {
      const value = pick(lookup, names);
      raw[field] = field === "collection" ? parseCollection(value) : parseNameList(value);
    }
    for (const [field, value] of Object.entries(normaliseMovieMetadata(raw))) if (isPresent(value)) out[field] = value;
  } else {
    const raw: Record<string, unknown> = {};
    for (const [field, names] of Object.entries(SERIES_METADATA_ALIASES)) raw[field] = parseNameList(pick(lookup, names));
    for (const [field, value] of Object.entries(normaliseSeriesMetadata(raw))) if (isPresent(value)) out[field] = value;
  }
  return out as Partial<TitleFields>;
}

// ---- rows --------------------------------------------------------------------------------------

// Spreadsheets write CRLF inside quoted cells; the catalogue's text uses plain newlines.
function unixNewlines(value: unknown): unknown {
  return typeof value === "string" ? value.replace(/\r\n?/g, "\n") : value;
}

export interface MappedRow {
  kind: Kind;
  title: TitleFields;
  unknownGenreIds: number[];
}

type PartialRaw = Partial<RawTitle> & { id: unknown };

// Fields tried one by one to name the culprit when a row fails validation.
const PROBE: RawTitle = { id: 1, title: "-", overview: "-", date: null, language: "xx", genre_names: [] };
const PROBE_FIELDS = ["id", "title", "overview", "date", "language", "adult", "popularity", "vote_average", "vote_count", "poster_path", "backdrop_path"] as const;

function failingField(raw: PartialRaw): string {
  for (const field of PROBE_FIELDS) {
    if (raw[field] === undefined) continue;
    try {
      normaliseMovie({ ...PROBE, [field]: raw[field] });
    } catch {
      return field;
    }
  }
  return "row";
}

/**
 * Validates the fields a row has with the catalogue's own rules. Title, overview and language
 * may be missing here (another file may supply them for the same id); the merged record is
 * checked for them at the end.
 */
export function validateRow(raw: PartialRaw): TitleFields {
  let movie;
  try {
    movie = normaliseMovie({
      ...raw,
      title: raw.title ?? PROBE.title,
      overview: raw.overview ?? PROBE.overview,
      language: raw.language ?? PROBE.language,
      date: raw.date ?? null,
      genre_names: raw.genre_names ?? [],
    });
  } catch (error) {
    if (!(error instanceof CatalogValidationError)) throw error;
    throw new RowError(`invalid_${failingField(raw)}`, error.message);
  }
  const out: TitleFields = { id: movie.id };
  if (raw.title !== undefined) out.title = movie.title;
  if (raw.overview !== undefined) out.overview = movie.overview;
  if (movie.release_date !== null) out.date = movie.release_date;
  if (raw.popularity !== undefined) out.popularity = movie.popularity;
  if (raw.vote_average !== undefined) out.vote_average = movie.vote_average;
  if (raw.vote_count !== undefined) out.vote_count = movie.vote_count;
  if (movie.genre_names.length > 0) out.genre_names = movie.genre_names;
  if (raw.language !== undefined) out.language = movie.language;
  if (raw.adult !== undefined) out.adult = movie.adult;
  if (movie.poster_path !== null) out.poster_path = movie.poster_path;
  if (movie.backdrop_path !== null) out.backdrop_path = movie.backdrop_path;
  return out;
}

/**
 * One record to a validated title of the right medium. Throws RowError for rows that cannot be
 * used (no id, unknown kind, a value the catalogue rejects).
 */
export function mapRow(fields: Record<string, unknown>, fileKind: Kind, genres: GenreLists): MappedRow {
  const kind = rowKind(fields, fileKind);
  const lookup = fieldLookup(fields);
  const id = pick(lookup, ID_COLUMNS);
  if (id === undefined) throw new RowError("missing_id", "row has no id");
  const raw: PartialRaw = {
    id,
    title: unixNewlines(pick(lookup, TITLE_COLUMNS[kind])),
    date: pick(lookup, DATE_COLUMNS[kind]),
    language: pick(lookup, LANGUAGE_COLUMNS),
  };
  for (const name of SIMPLE_COLUMNS) raw[name] = pick(lookup, [name]);
  raw.overview = unixNewlines(raw.overview);
  const { names, unknownIds } = resolveGenres(pick(lookup, GENRE_COLUMNS), kind, genres);
  raw.genre_names = names;
  return { kind, title: { ...validateRow(raw), ...rowMetadata(lookup, kind) }, unknownGenreIds: unknownIds };
}

/**
 * Genre entries from a genre map file's records: an `id` column (or, as in genres_map.csv, an
 * unnamed first column) and a `name` column.
 */
export function genreFromRecord(fields: Record<string, unknown>): Genre {
  const lookup = fieldLookup(fields);
  const firstKey = Object.keys(fields)[0];
  const id = lookup.has("id") ? lookup.get("id") : lookup.has("") ? lookup.get("") : firstKey !== undefined ? fields[firstKey] : undefined;
  const name = lookup.get("name");
  const numericId = Number(typeof id === "string" ? id.trim() : id);
  if (!Number.isInteger(numericId) || numericId <= 0) throw new RowError("invalid_genre_id", `genre id must be a positive integer, got "${String(id ?? "")}"`);
  if (typeof name !== "string" || name.trim() === "") throw new RowError("missing_genre_name", `genre ${numericId} has no name`);
  return { id: numericId, name: name.trim() };
}

/** Whether a genre map file's first record has the columns genreFromRecord needs. */
export function looksLikeGenreMap(fields: Record<string, unknown>): boolean {
  return fieldLookup(fields).has("name") && Object.keys(fields).length >= 2;
}
