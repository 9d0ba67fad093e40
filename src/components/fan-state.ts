// What a visitor told the page about movies, kept in this browser only (localStorage, one
// versioned key): seen, not for me, liked, disliked, the watch region and their services.
// Nothing here leaves the browser. A corrupt or foreign value under the key is ignored (the
// page starts empty), never thrown.

export const FAN_STATE_KEY = "marquee:fans:v1";
const VERSION = 1;
/** More marks than anyone makes by hand; an imported history of 10k films still fits. */
const MAX_IDS = 20_000;

export interface FanState {
  /** Movies seen (marked, or from an imported history): left out of the list. */
  seen: number[];
  /** Movies marked "not for me": left out of the list. */
  notInterested: number[];
  /** Movies liked: the list moves toward them. */
  likes: number[];
  /** Movies disliked: the list moves away from them, and leaves them out. */
  dislikes: number[];
  /** The region whose watch providers the cards show; null until chosen. */
  region: string | null;
  /** Streaming services the visitor has ("only on my services"). */
  services: string[];
}

export type MarkKind = "seen" | "notInterested" | "likes" | "dislikes";

export const EMPTY_FAN_STATE: Readonly<FanState> = Object.freeze({ seen: [], notInterested: [], likes: [], dislikes: [], region: null, services: [] });

function ids(value: unknown): number[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((id): id is number => Number.isInteger(id) && id > 0))].slice(0, MAX_IDS);
}

/** The state stored under the key, checked field by field; anything unusable reads as empty. */
export function parseFanState(text: string | null): FanState {
  if (!text) return { ...EMPTY_FAN_STATE };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ...EMPTY_FAN_STATE };
  }
  if (typeof raw !== "object" || raw === null || (raw as { version?: unknown }).version !== VERSION) return { ...EMPTY_FAN_STATE };
  const r = raw as Record<string, unknown>;
  return {
    seen: ids(r.seen),
    notInterested: ids(r.notInterested),
    likes: ids(r.likes),
    dislikes: ids(r.dislikes),
    region: typeof r.region === "string" && /^[A-Z]{2}$/.test(r.region) ? r.region : null,
    services: Array.isArray(r.services) ? [...new Set(r.services.filter((s): s is string => typeof s === "string" && s.length <= 80))].slice(0, 100) : [],
  };
}

export interface FanStore {
  get(): FanState;
  /** Applies a change, saves it and tells the listeners. */
  update(change: (state: FanState) => FanState): void;
  /** Adds or removes a movie from one list; liking a movie undoes its dislike and the other way round. */
  toggle(kind: MarkKind, id: number): void;
  subscribe(listener: (state: FanState) => void): () => void;
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Storage disabled (privacy settings): marks then last until the page is closed.
    return null;
  }
}

export function createFanStore(store: Storage | null = storage()): FanStore {
  let state = parseFanState(store?.getItem(FAN_STATE_KEY) ?? null);
  const listeners = new Set<(state: FanState) => void>();
  const save = () => {
    try {
      store?.setItem(FAN_STATE_KEY, JSON.stringify({ version: VERSION, ...state }));
    } catch {
      // Quota or privacy mode: the change still applies to this page.
    }
  };
  const api: FanStore = {
    get: () => state,
    update(change) {
      state = change(state);
      save();
      for (const listener of listeners) listener(state);
    },
    toggle(kind, id) {
      api.update((s) => {
        const has = s[kind].includes(id);
        const next = { ...s, [kind]: has ? s[kind].filter((x) => x !== id) : [...s[kind], id] };
        if (!has && kind === "likes") next.dislikes = s.dislikes.filter((x) => x !== id);
        if (!has && kind === "dislikes") next.likes = s.likes.filter((x) => x !== id);
        return next;
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return api;
}

let shared: FanStore | null = null;

/** The page's one store, so cards, lists and results share the same marks. */
export function fanStore(): FanStore {
  shared ??= createFanStore();
  return shared;
}

/** What the ranking needs from the marks: movies to leave out, likes and dislikes. */
export function fanFeedback(state: FanState): { exclude: number[]; likes: number[]; dislikes: number[] } {
  return { exclude: [...new Set([...state.seen, ...state.notInterested])], likes: state.likes, dislikes: state.dislikes };
}
