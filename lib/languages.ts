// Language names for TMDB's original_language codes (ISO 639-1 plus TMDB's own `xx`, `cn`).
import ISO6391 from "iso-639-1";

const TMDB_EXTRA: Record<string, string> = { xx: "No Language", cn: "Cantonese" };

/** English name of a language code; the code itself when unknown. */
export function languageName(code: string, names?: Record<string, string>): string {
  const key = code.toLowerCase();
  return names?.[key] ?? TMDB_EXTRA[key] ?? (ISO6391.getName(key) || key);
}

/** Code-to-name map for a set of codes, for catalogue metadata and pickers. */
export function languageNames(codes: Iterable<string>, names?: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const code of codes) out[code] = languageName(code, names);
  return out;
}
