// Validates a model's answer against the candidates it was given. This is the boundary:
// whatever the model (or text injected into its prompt) produced, only candidate ids with a
// non-empty reason get through, in our own output shape.
import { LlmOutputError, stripControlChars } from "./llm-errors.ts";
import type { RerankCandidate, RerankDropped, RerankPick } from "./rerank-types.ts";

export const MAX_REASON_CHARS = 400;

export interface ValidatedPicks {
  picks: RerankPick[];
  dropped: RerankDropped;
}

/**
 * The JSON object of a model's answer. JSON mode and local models sometimes wrap it in a code
 * fence or a sentence. Shared by the rerank and the proposals (lib/proposals.ts).
 */
export function extractJson(content: string): unknown {
  const text = content.trim();
  try {
    return JSON.parse(text);
  } catch (first) {
    const start = text.indexOf("{");
    const end = text.lastIndexOf("}");
    if (start >= 0 && end > start) {
      try {
        return JSON.parse(text.slice(start, end + 1));
      } catch {
        // fall through to the original error, which names the real problem
      }
    }
    // V8 quotes the start of the text in its message: printed later, so no control characters.
    throw new LlmOutputError(`not valid JSON (${stripControlChars((first as Error).message)})`);
  }
}

function toId(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) return Number(value);
  return null;
}

/** Plain text, one paragraph, bounded: reasons are shown on cards. */
export function cleanReason(value: unknown): string {
  if (typeof value !== "string") return "";
  // Control characters (C0 and C1: terminal escapes) have no place in a one-line reason.
  const text = stripControlChars(value).replace(/\s+/g, " ").trim();
  if (text.length <= MAX_REASON_CHARS) return text;
  const cut = text.slice(0, MAX_REASON_CHARS);
  const sentence = cut.lastIndexOf(". ");
  return sentence > MAX_REASON_CHARS / 2 ? cut.slice(0, sentence + 1) : `${cut.slice(0, cut.lastIndexOf(" "))}…`;
}

/**
 * Parses and validates an answer. Unknown ids, repeated ids and empty reasons are dropped and
 * counted; extra keys are ignored; more than `limit` picks are cut. Throws LlmOutputError when
 * nothing usable is left, so the caller can ask once for a repair.
 */
export function validatePicks(content: string, candidates: readonly RerankCandidate[], limit: number): ValidatedPicks {
  const parsed = extractJson(content);
  const list = Array.isArray(parsed) ? parsed : (parsed as { picks?: unknown } | null)?.picks;
  if (!Array.isArray(list)) throw new LlmOutputError('expected an object with a "picks" array');
  const known = new Set(candidates.map((c) => c.id));
  const seen = new Set<number>();
  const dropped: RerankDropped = { unknown_ids: 0, duplicates: 0, empty_reasons: 0 };
  const picks: RerankPick[] = [];
  for (const item of list) {
    const entry = (item ?? {}) as { id?: unknown; reason?: unknown };
    const id = toId(entry.id);
    if (id === null || !known.has(id)) {
      dropped.unknown_ids++;
      continue;
    }
    if (seen.has(id)) {
      dropped.duplicates++;
      continue;
    }
    const reason = cleanReason(entry.reason);
    if (!reason) {
      dropped.empty_reasons++;
      continue;
    }
    seen.add(id);
    if (picks.length < limit) picks.push({ id, rank: picks.length + 1, reason });
  }
  if (picks.length === 0) {
    throw new LlmOutputError(
      `no usable pick among ${list.length} (unknown ids ${dropped.unknown_ids}, duplicates ${dropped.duplicates}, empty reasons ${dropped.empty_reasons})`,
    );
  }
  return { picks, dropped };
}
