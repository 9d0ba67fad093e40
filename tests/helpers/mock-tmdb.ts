// A small TMDB API server on 127.0.0.1 for tests and benchmarks: discover with popularity
// order, pagination, the 500-page cap (page > 500 is a 400, as on TMDB), totals per filtered
// query, and the inclusive .gte/.lte date filters that leave undated titles out; genre lists;
// languages; `/movie/{id}` and `/tv/{id}` details of the titles it serves, with keywords and
// credits appended on request (metadata made up from the id); `/movie/{id}/watch/providers`
// (made up from the id too); both authentication styles; and faults injected per request.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { MOVIE_GENRES, TV_GENRES, type Genre } from "../../lib/catalog.ts";
import { seededRandom } from "../../lib/random.ts";

export type MockKind = "movie" | "tv";
export type MockTitle = Record<string, unknown> & { id: number; popularity: number };

export type MockFault =
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** 200 with a truncated JSON body. */
  | { kind: "malformed" }
  /** 200 with a page that has no `results`. */
  | { kind: "missing-results" }
  /** Accepts the request and never answers. */
  | { kind: "hang" }
  /** Closes the connection without an answer. */
  | { kind: "reset" }
  /**
   * 200 and headers at once, then a JSON body one byte every `intervalMs` (default 1000) that
   * never completes: a server stalling mid-answer, which a headers-only timeout never notices.
   */
  | { kind: "drip"; intervalMs?: number };

export interface MockRequest {
  path: string;
  query: Record<string, string>;
  authorization?: string;
  /** performance.now() when the request arrived. */
  at: number;
}

export interface MockTmdbOptions {
  movies?: MockTitle[];
  tv?: MockTitle[];
  /** Results per discover page; TMDB's is 20. Smaller pages make the 500-page cap cheap to reach. */
  pageSize?: number;
  /** The v3 key the server accepts (`api_key` query parameter). */
  apiKey?: string;
  /** The v4 token the server accepts (Bearer header). */
  readToken?: string;
  movieGenres?: readonly Genre[];
  tvGenres?: readonly Genre[];
  /** Rewrites a discover page just before it is sent, e.g. to repeat a title as popularity drifts. */
  transformPage?: (kind: MockKind, page: number, results: MockTitle[]) => unknown[];
  /**
   * The details body of a title (everything appendable included; the server drops what the
   * request did not append), instead of mockDetails(kind, title). Null answers 404.
   */
  detailsFor?: (kind: MockKind, title: MockTitle) => Record<string, unknown> | null;
  /** The `results` of a movie's watch providers, instead of mockWatchProviders(title). Null answers 404. */
  providersFor?: (title: MockTitle) => Record<string, unknown> | null;
  /** Called with every request as it arrives, before it is answered. */
  onRequest?: (request: MockRequest) => void;
}

export interface MockTmdb {
  /** Base URL to use as TMDB_BASE_URL (ends in /3 like the real one). */
  url: string;
  requests: MockRequest[];
  /** Every title of a kind in discover's order (popularity descending, adult included), ignoring the page cap. */
  ranking(kind: MockKind): MockTitle[];
  /** Answers the next `times` requests to `path` (and `page`, when given) with `fault`. */
  fail(match: { path: string; page?: number }, fault: MockFault, times?: number): void;
  close(): Promise<void>;
}

const LANGUAGES = [
  { iso_639_1: "en", english_name: "English", name: "English" },
  { iso_639_1: "fr", english_name: "French", name: "Français" },
  { iso_639_1: "ja", english_name: "Japanese", name: "日本語" },
  { iso_639_1: "ko", english_name: "Korean", name: "한국어/조선말" },
  { iso_639_1: "es", english_name: "Spanish", name: "Español" },
  { iso_639_1: "xx", english_name: "No Language", name: "No Language" },
];

const DATE_FIELD: Record<MockKind, string> = { movie: "release_date", tv: "first_air_date" };
const DATE_FILTER: Record<MockKind, string> = { movie: "primary_release_date", tv: "first_air_date" };

const DAY_MS = 86_400_000;

export interface MakeTitlesOptions {
  /** First id; ids count up from it. */
  firstId?: number;
  /** Every n-th title (1-based) has an empty overview; 0 = none. */
  withoutOverviewEvery?: number;
  /** Every n-th title is adult; 0 = none. */
  adultEvery?: number;
  /** Latest release date; dates spread from oldestDate to here, more of them recent, as on TMDB. */
  newestDate?: string;
  oldestDate?: string;
  /** Seed of the date draw; default from the kind and firstId. */
  seed?: number;
}

/**
 * Synthetic discover results, most popular first, deterministic. Popularity falls steeply and
 * then flattens, as on TMDB, and every value is distinct so "the top N" has one answer. Release
 * dates are drawn independently of popularity: a title's date says nothing about its rank, which
 * is what makes the top N of a date-filtered query differ from the overall top N.
 */
export function makeTitles(kind: MockKind, count: number, options: MakeTitlesOptions = {}): MockTitle[] {
  const {
    firstId = kind === "movie" ? 100_000 : 500_000,
    withoutOverviewEvery = 0,
    adultEvery = 0,
    newestDate = "2026-01-01",
    oldestDate = "1900-01-01",
  } = options;
  const draw = seededRandom(options.seed ?? firstId);
  const newest = Date.parse(`${newestDate}T00:00:00Z`) / DAY_MS;
  const span = newest - Date.parse(`${oldestDate}T00:00:00Z`) / DAY_MS;
  const genres = kind === "movie" ? MOVIE_GENRES : TV_GENRES;
  const languages = ["en", "en", "fr", "ja", "ko", "es"];
  const titles: MockTitle[] = [];
  for (let i = 0; i < count; i++) {
    const n = i + 1;
    const name = `${kind === "movie" ? "Film" : "Show"} ${n}`;
    // Density of dates grows linearly towards the newest date (more titles every year).
    const day = Math.round(newest - span * (1 - Math.sqrt(draw())));
    // In thousandths: both terms fall with i, so values are distinct after rounding.
    const popularityMilli = 500 + (count - i) + Math.floor(1_000_000 / (i + 1) ** 0.9);
    titles.push({
      id: firstId + i,
      [kind === "movie" ? "title" : "name"]: name,
      overview: withoutOverviewEvery && n % withoutOverviewEvery === 0 ? "" : `Synthetic overview of ${name}.`,
      [DATE_FIELD[kind]]: new Date(day * DAY_MS).toISOString().slice(0, 10),
      popularity: popularityMilli / 1000,
      vote_average: (i % 90) / 10,
      vote_count: (count - i) * 3,
      genre_ids: [genres[i % genres.length].id, genres[(i * 7 + 3) % genres.length].id],
      original_language: languages[i % languages.length],
      adult: adultEvery ? n % adultEvery === 0 : false,
      poster_path: `/poster${firstId + i}.jpg`,
      backdrop_path: i % 3 === 0 ? null : `/backdrop${firstId + i}.jpg`,
    });
  }
  return titles;
}

const KEYWORDS = [
  "heist", "time travel", "small town", "revenge", "dystopia", "based on novel or book", "friendship", "coming of age",
  "serial killer", "space", "dragon", "family secrets", "undercover", "artificial intelligence", "road trip", "survival",
  "high school", "mafia", "haunted house", "courtroom", "zombie", "superhero", "war", "kingdom", "detective", "treasure",
  "alien", "robot", "magic", "prison", "spy", "island", "love triangle", "drug cartel", "sequel", "remake",
];
const GIVEN = ["Ada", "Ben", "Cora", "Dev", "Elin", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kit", "Lena", "Milo", "Nia", "Otto", "Pia"];
const FAMILY = ["Brook", "Castell", "Dunmore", "Ekwueme", "Farrow", "Gill", "Hartmann", "Ito", "Jansen", "Kowal", "Lund", "Moreau"];
const COMPANIES = ["Northwind Pictures", "Harbour Light Films", "Copperline Studios", "Tall Pine Entertainment", "Meridian Works", "Blue Orchard Media", "Fennel & Sons"];
const NETWORKS = ["Channel North", "Orbit TV", "StreamCo", "Lantern Network", "Civic One"];
const SAGAS = ["Starfall", "Iron Crown", "Deep Harbour", "Night Courier", "Glass City"];

function pickFrom<T>(draw: () => number, list: readonly T[], count: number): T[] {
  const out: T[] = [];
  while (out.length < Math.min(count, list.length)) {
    const item = list[Math.floor(draw() * list.length)];
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

function person(draw: () => number): string {
  return `${GIVEN[Math.floor(draw() * GIVEN.length)]} ${FAMILY[Math.floor(draw() * FAMILY.length)]}`;
}

/** `count` distinct made-up people. */
function people(draw: () => number, count: number): string[] {
  const out = new Set<string>();
  while (out.size < count) out.add(person(draw));
  return [...out];
}

const named = (names: readonly string[]) => names.map((name, i) => ({ id: 1000 + i, name }));

/**
 * A plausible details body for a title, every appendable part included, made up from its id
 * alone (the same id always gets the same metadata). Movies answer keywords as `keywords.keywords`
 * and credits as `credits`; TV as `keywords.results` and `aggregate_credits`. The cast array is
 * deliberately not in billing order, as TMDB does not promise it either.
 */
export function mockDetails(kind: MockKind, title: MockTitle): Record<string, unknown> {
  const draw = seededRandom(title.id * 7919 + (kind === "movie" ? 1 : 2));
  const keywords = named(pickFrom(draw, KEYWORDS, 2 + Math.floor(draw() * 6)));
  const companies = pickFrom(draw, COMPANIES, 1 + Math.floor(draw() * 3)).map((name, i) => ({ id: 200 + i, name, logo_path: null, origin_country: "US" }));
  const castNames = people(draw, 12);
  // Billing order reversed in pairs, so only sorting by `order` gets it right.
  const billing = castNames.map((name, order) => ({ name, order })).sort((a, b) => (a.order ^ 1) - (b.order ^ 1));
  const base = { ...title, production_companies: companies };
  if (kind === "movie") {
    const [director, screenwriter, novelist, producer, photographer] = people(draw, 5);
    return {
      ...base,
      belongs_to_collection: title.id % 4 === 0 ? { id: 9000 + (title.id % 5), name: `The ${SAGAS[title.id % 5]} Collection`, poster_path: null } : null,
      keywords: { id: title.id, keywords },
      credits: {
        id: title.id,
        cast: billing.map(({ name, order }, i) => ({ id: 5000 + i, name, character: `Role ${order + 1}`, order })),
        crew: [
          { id: 1, name: producer, job: "Producer", department: "Production" },
          { id: 2, name: director, job: "Director", department: "Directing" },
          { id: 3, name: photographer, job: "Director of Photography", department: "Camera" },
          { id: 4, name: screenwriter, job: "Screenplay", department: "Writing" },
          ...(title.id % 3 === 0 ? [{ id: 5, name: novelist, job: "Novel", department: "Writing" }] : []),
          { id: 6, name: director, job: "Story", department: "Writing" },
        ],
      },
    };
  }
  return {
    ...base,
    created_by: named(people(draw, 1 + (title.id % 2))),
    networks: pickFrom(draw, NETWORKS, 1 + (title.id % 2)).map((name, i) => ({ id: 300 + i, name, logo_path: null, origin_country: "US" })),
    keywords: { id: title.id, results: keywords },
    aggregate_credits: {
      id: title.id,
      cast: billing.map(({ name, order }, i) => ({ id: 6000 + i, name, order, roles: [{ character: `Role ${order + 1}`, episode_count: 10 - order }], total_episode_count: 10 - order })),
      crew: [],
    },
  };
}

const STREAMERS = ["Mockflix", "Prime Mock", "Disney Mock", "Canal Mock", "Sky Mock"];

/**
 * A movie's watch providers as TMDB answers them (`results` by region), made up from its id:
 * every third movie streams nowhere; the others stream in US and GB, rent in DE, and also in
 * JP (a region a refresh asks for rarely, to check it is left out).
 */
export function mockWatchProviders(title: MockTitle): Record<string, unknown> {
  if (title.id % 3 === 0) return {};
  const offer = (n: number) => ({ logo_path: `/logo${n}.jpg`, provider_id: 8 + n, provider_name: STREAMERS[n % STREAMERS.length], display_priority: n });
  const link = (region: string) => `https://www.themoviedb.org/movie/${title.id}-mock/watch?locale=${region}`;
  return {
    US: { link: link("US"), flatrate: [offer(title.id % 5)], rent: [offer((title.id + 1) % 5)], buy: [offer((title.id + 1) % 5)] },
    GB: { link: link("GB"), flatrate: [offer((title.id + 2) % 5)] },
    DE: { link: link("DE"), rent: [offer(3)] },
    JP: { link: link("JP"), flatrate: [offer(4)] },
  };
}

// What `append_to_response` may add to a details body, per kind.
const APPENDABLE: Record<MockKind, string[]> = { movie: ["keywords", "credits"], tv: ["keywords", "aggregate_credits"] };

/** The date a title is filtered on, or null when it has none (TMDB then leaves it out of any date filter). */
export function mockDate(kind: MockKind, title: MockTitle): string | null {
  const date = title[DATE_FIELD[kind]];
  return typeof date === "string" && date !== "" ? date : null;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json;charset=utf-8", ...headers });
  response.end(text);
}

/** Headers now, then `{"page": 1, "results": [` and a space per tick until the client leaves. */
function drip(response: ServerResponse, intervalMs: number) {
  response.writeHead(200, { "content-type": "application/json;charset=utf-8" });
  response.write('{"page": 1, "results": [');
  const timer = setInterval(() => {
    if (response.destroyed) return clearInterval(timer);
    response.write(" ");
  }, intervalMs);
  response.on("close", () => clearInterval(timer));
}

export async function startMockTmdb(options: MockTmdbOptions = {}): Promise<MockTmdb> {
  const pageSize = options.pageSize ?? 20;
  const titles: Record<MockKind, MockTitle[]> = { movie: options.movies ?? [], tv: options.tv ?? [] };
  const requests: MockRequest[] = [];
  const faults: { path: string; page?: number; fault: MockFault; left: number }[] = [];
  const sockets = new Set<Socket>();
  // Sorted, filtered lists per query: the same window is paged hundreds of times.
  const sorted = new Map<string, MockTitle[]>();

  function authorised(query: URLSearchParams, authorization: string | undefined): boolean {
    if (options.readToken && authorization === `Bearer ${options.readToken}`) return true;
    return options.apiKey !== undefined && query.get("api_key") === options.apiKey;
  }

  /** Discover's order: popularity descending, ties by id; the date filters are inclusive. */
  function query(kind: MockKind, gte: string | null, lte: string | null, includeAdult: boolean): MockTitle[] {
    const key = `${kind}|${gte}|${lte}|${includeAdult}`;
    let list = sorted.get(key);
    if (!list) {
      const filtered = gte !== null || lte !== null;
      list = titles[kind]
        .filter((t) => includeAdult || t.adult !== true)
        .filter((t) => {
          if (!filtered) return true;
          const date = mockDate(kind, t);
          return date !== null && (gte === null || date >= gte) && (lte === null || date <= lte);
        })
        .sort((a, b) => b.popularity - a.popularity || a.id - b.id);
      sorted.set(key, list);
    }
    return list;
  }

  function discover(kind: MockKind, params: URLSearchParams, response: ServerResponse) {
    const page = Number(params.get("page") ?? "1");
    if (!Number.isInteger(page) || page < 1 || page > 500) {
      return send(response, 400, {
        success: false,
        status_code: 22,
        status_message: "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer.",
      });
    }
    const field = DATE_FILTER[kind];
    const list = query(kind, params.get(`${field}.gte`), params.get(`${field}.lte`), params.get("include_adult") === "true");
    const slice = list.slice((page - 1) * pageSize, page * pageSize);
    const results = options.transformPage ? options.transformPage(kind, page, slice) : slice;
    send(response, 200, {
      page,
      results,
      total_pages: Math.ceil(list.length / pageSize),
      total_results: list.length,
    });
  }

  const byId: Record<MockKind, Map<number, MockTitle> | undefined> = { movie: undefined, tv: undefined };

  function details(kind: MockKind, id: number, params: URLSearchParams, response: ServerResponse) {
    const index = (byId[kind] ??= new Map(titles[kind].map((t) => [t.id, t])));
    const title = index.get(id);
    const body = title && (options.detailsFor ? options.detailsFor(kind, title) : mockDetails(kind, title));
    if (!body) return send(response, 404, { success: false, status_code: 34, status_message: "The resource you requested could not be found." });
    const appended = new Set((params.get("append_to_response") ?? "").split(",").map((part) => part.trim()));
    const answer = { ...body };
    for (const part of APPENDABLE[kind]) if (!appended.has(part)) delete answer[part];
    send(response, 200, answer);
  }

  function watchProviders(id: number, response: ServerResponse) {
    const index = (byId.movie ??= new Map(titles.movie.map((t) => [t.id, t])));
    const title = index.get(id);
    const results = title && (options.providersFor ? options.providersFor(title) : mockWatchProviders(title));
    if (!results) return send(response, 404, { success: false, status_code: 34, status_message: "The resource you requested could not be found." });
    send(response, 200, { id, results });
  }

  function takeFault(path: string, page: number): MockFault | undefined {
    const entry = faults.find((f) => f.path === path && (f.page === undefined || f.page === page) && f.left > 0);
    if (!entry) return undefined;
    entry.left--;
    return entry.fault;
  }

  function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.replace(/^\/3/, "");
    const query = Object.fromEntries(url.searchParams);
    const record: MockRequest = { path, query, authorization: request.headers.authorization, at: performance.now() };
    requests.push(record);
    options.onRequest?.(record);

    const fault = takeFault(path, Number(url.searchParams.get("page") ?? "1"));
    if (fault) {
      switch (fault.kind) {
        case "status":
          return send(response, fault.status, fault.body ?? { success: false, status_message: `HTTP ${fault.status}` }, fault.headers);
        case "malformed":
          return send(response, 200, '{"page": 1, "results": [{"id": 1, "tit');
        case "missing-results":
          return send(response, 200, { page: 1, total_pages: 3 });
        case "hang":
          return;
        case "reset":
          return request.socket.destroy();
        case "drip":
          return drip(response, fault.intervalMs ?? 1000);
      }
    }
    if (!authorised(url.searchParams, request.headers.authorization)) {
      return send(response, 401, {
        success: false,
        status_code: 7,
        status_message: "Invalid API key: You must be granted a valid key.",
      });
    }
    if (path === "/discover/movie") return discover("movie", url.searchParams, response);
    if (path === "/discover/tv") return discover("tv", url.searchParams, response);
    if (path === "/genre/movie/list") return send(response, 200, { genres: options.movieGenres ?? MOVIE_GENRES });
    if (path === "/genre/tv/list") return send(response, 200, { genres: options.tvGenres ?? TV_GENRES });
    if (path === "/configuration/languages") return send(response, 200, LANGUAGES);
    const providers = /^\/movie\/(\d+)\/watch\/providers$/.exec(path);
    if (providers) return watchProviders(Number(providers[1]), response);
    const detail = /^\/(movie|tv)\/(\d+)$/.exec(path);
    if (detail) return details(detail[1] as MockKind, Number(detail[2]), url.searchParams, response);
    send(response, 404, { success: false, status_code: 34, status_message: "The resource you requested could not be found." });
  }

  const server = createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/3`,
    requests,
    ranking: (kind) => [...query(kind, null, null, true)],
    fail(match, fault, times = 1) {
      faults.push({ ...match, fault, left: times });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
