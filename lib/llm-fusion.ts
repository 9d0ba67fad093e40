// Reranking that a small model cannot spoil. Every LLM ranker is biased by the order it reads
// candidates in, and small open models rank little better than keyword baselines (Hou et al.,
// "Large Language Models are Zero-Shot Rankers for Recommender Systems", ECIR 2024). So:
// - the model reads the candidates in a deterministic shuffle (seeded from the selection, so
//   the same selection gives the same prompt and the answer cache keeps working), which takes
//   away the pipeline's order as a hint it could merely echo;
// - its order is fused with the deterministic ranker's by weighted reciprocal rank instead of
//   replacing it, so the model moves candidates up or down but cannot lift a weak one to the top.
// The model's reasons are kept; a candidate the fusion keeps that the model did not pick gets
// the deterministic ranker's data-based reason. Pure and browser-safe.
import { fallbackRank } from "./fallback.ts";
import type { RerankCandidate, RerankInput, RerankPick } from "./rerank-types.ts";
import { seededRandom } from "./random.ts";

/**
 * Reciprocal-rank constant of this fusion. Smaller than the pipeline's 60 on purpose: over a
 * 30-candidate list ranks must still count, or every fused score would be nearly equal.
 */
export const FUSION_K = 10;

/**
 * Weight of the model's order (and of its proposals) against the deterministic ranker's, which
 * weighs 1. With 0.5 and FUSION_K 10, the model alone can lift a candidate to first place only
 * from the deterministic top 12 (0.5/11 + 1/(10 + r) must beat 1/11, so r <= 12), while a
 * movie the model both proposes from its own knowledge and ranks first (two separate
 * judgements agreeing) reaches the top from anywhere. LLM_FUSION_WEIGHT overrides it.
 */
export const DEFAULT_LLM_FUSION_WEIGHT = 0.5;

/** FNV-1a over the text: a stable 32-bit seed (no crypto needed, only reproducibility). */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Fisher-Yates with the seeded generator: the same seed always gives the same order. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const next = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The seed of a selection: its series, filters and candidate set (not their order). */
export function selectionSeed(input: RerankInput): number {
  const ids = input.candidates.map((c) => c.id).sort((a, b) => a - b);
  return hashSeed(JSON.stringify([input.series.map((s) => s.id), input.filters, ids]));
}

/**
 * The input as the model sees it: the same candidates in the selection's shuffled order. They
 * are sorted by id first, so the order shown owes nothing to the pipeline's ranking.
 */
export function shuffledForPrompt(input: RerankInput): RerankInput {
  const byId = [...input.candidates].sort((a, b) => a.id - b.id);
  return { ...input, candidates: seededShuffle(byId, selectionSeed(input)) };
}

export interface FusionOptions {
  /** Weight of the model's order and of its proposal order; the deterministic order weighs 1. */
  weight: number;
  limit: number;
  k?: number;
}

export class FusionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FusionError";
  }
}

/**
 * The fused scores: 1/(k + deterministic rank) + weight/(k + model rank) + weight/(k + proposal
 * rank), each term only where the candidate has that rank. `candidates` are in the
 * deterministic ranker's order.
 */
export function fusedScores(
  candidates: readonly Pick<RerankCandidate, "id">[],
  modelOrder: readonly number[],
  proposalOrder: readonly number[],
  options: Pick<FusionOptions, "weight" | "k">,
): Map<number, number> {
  const { weight } = options;
  const k = options.k ?? FUSION_K;
  if (!Number.isFinite(weight) || weight < 0) throw new FusionError(`the fusion weight must be a number of at least 0, got ${weight}`);
  const scores = new Map<number, number>();
  candidates.forEach((c, i) => scores.set(c.id, 1 / (k + i + 1)));
  const add = (order: readonly number[]) =>
    order.forEach((id, i) => {
      const score = scores.get(id);
      if (score !== undefined) scores.set(id, score + weight / (k + i + 1));
    });
  add(modelOrder);
  add(proposalOrder);
  return scores;
}

/**
 * The final picks: the candidates (deterministic order) fused with the model's picks (its
 * order) and its resolved proposals, best first, ties by deterministic rank; the model's
 * reason where it gave one, the deterministic ranker's otherwise.
 */
export function fusePicks(
  input: RerankInput,
  modelPicks: readonly RerankPick[],
  proposalOrder: readonly number[],
  options: FusionOptions,
): RerankPick[] {
  const scores = fusedScores(input.candidates, modelPicks.map((p) => p.id), proposalOrder, options);
  const position = new Map(input.candidates.map((c, i) => [c.id, i]));
  const order = [...input.candidates]
    .sort((a, b) => scores.get(b.id)! - scores.get(a.id)! || position.get(a.id)! - position.get(b.id)!)
    .slice(0, Math.max(0, options.limit));
  const modelReason = new Map(modelPicks.map((p) => [p.id, p.reason]));
  const needing = order.filter((c) => !modelReason.has(c.id));
  const fallbackReason = new Map<number, string>();
  if (needing.length > 0) {
    // The fallback explains the candidates in the order given when every one has a score; the
    // rest of the list still goes in, so its term statistics are those of the whole selection.
    const rest = input.candidates.filter((c) => !needing.includes(c));
    const explained = fallbackRank({
      ...input,
      candidates: [...needing, ...rest].map((c) => ({ ...c, score: c.score ?? 0 })),
      limit: needing.length,
    });
    explained.picks.forEach((p) => fallbackReason.set(p.id, p.reason));
  }
  return order.map((c, i) => ({ id: c.id, rank: i + 1, reason: modelReason.get(c.id) ?? fallbackReason.get(c.id) ?? "" }));
}
