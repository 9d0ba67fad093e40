// Byte ranges of the ranking files (site-data.ts), kept in the browser's Cache Storage.
// The HTTP cache is no help here: Chrome serialises requests for one URL behind its cache
// entry (26 card records took 1.1 s at 40 ms a round trip, one after the other), and for a
// repeat visit it fetched the whole 9.6 MB file instead of serving the cached ranges. So the
// ranges bypass the HTTP cache (no-store: they run in parallel) and this store answers a repeat
// visit. The files' names carry their content hash, so an entry never goes stale; entries of
// files this build no longer ships are deleted once the page is idle.
const STORE = "marquee-ranges-v1";

function store(): Promise<Cache | null> {
  // Absent outside secure contexts (plain http on a non-local host) and in some private modes.
  if (typeof caches === "undefined") return Promise.resolve(null);
  return caches.open(STORE).catch(() => null);
}

let opened: Promise<Cache | null> | null = null;

/** The key of one range: the file's URL with the range as its query. */
function keyOf(url: string, start: number, end: number): string {
  const key = new URL(url, location.href);
  key.searchParams.set("bytes", `${start}-${end}`);
  return key.href;
}

/** Bytes [start, end) of `url`: from the store, else by `fetchRange`, then kept (cachedRanges for one). */
export async function cachedRange(url: string, start: number, end: number, fetchRange: (url: string, start: number, end: number) => Promise<Uint8Array>): Promise<Uint8Array> {
  const [bytes] = await cachedRanges(url, [{ start, end }], (_, [span]) => fetchRange(url, span.start, span.end).then((b) => [b]));
  return bytes;
}

/** Several ranges of `url`: those stored, and the rest in one `fetchMany` call, then kept; in the order asked. */
export async function cachedRanges(
  url: string,
  spans: readonly { start: number; end: number }[],
  fetchMany: (url: string, spans: readonly { start: number; end: number }[]) => Promise<Uint8Array[]>,
): Promise<Uint8Array[]> {
  opened ??= store();
  const cache = await opened;
  if (!cache) return fetchMany(url, spans);
  const out: (Uint8Array | null)[] = await Promise.all(
    spans.map(async ({ start, end }) => {
      const hit = await cache.match(keyOf(url, start, end)).catch(() => undefined);
      const bytes = hit ? new Uint8Array(await hit.arrayBuffer()) : null;
      return bytes && bytes.length === end - start ? bytes : null;
    }),
  );
  const missing = spans.map((span, i) => ({ span, i })).filter(({ i }) => out[i] === null);
  if (missing.length) {
    const fetched = await fetchMany(
      url,
      missing.map(({ span }) => span),
    );
    missing.forEach(({ span, i }, m) => {
      out[i] = fetched[m];
      void cache.put(keyOf(url, span.start, span.end), new Response(fetched[m].slice())).catch(() => undefined);
    });
  }
  return out as Uint8Array[];
}

/** Deletes the stored ranges of files other than `current` (earlier builds' ranking files). */
export async function pruneRanges(current: readonly string[]): Promise<void> {
  opened ??= store();
  const cache = await opened;
  if (!cache) return;
  const keep = new Set(current.map((url) => new URL(url, location.href).pathname));
  for (const request of await cache.keys()) {
    if (!keep.has(new URL(request.url).pathname)) await cache.delete(request);
  }
}
