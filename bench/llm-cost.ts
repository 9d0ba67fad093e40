// What one live selection costs: the prompt tokens of its two calls (proposal + rerank) on the
// demo catalogue, counted with gpt-tokenizer's o200k encoding (gpt-oss's), against the completion
// caps the requests set; and the latency of POST /api/picks against the mock LLM on loopback
// (cold: the engine opens; fresh selections: two mock calls each; cached answers).
//   node_modules/.bin/tsx bench/llm-cost.ts      one JSON line on stdout, progress on stderr
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { shuffledForPrompt } from "../lib/llm-fusion.ts";
import { proposalChatRequest, rerankChatRequest } from "../lib/llm-requests.ts";
import { buildRerankPrompt } from "../lib/prompt.ts";
import { buildProposalPrompt } from "../lib/proposals.ts";
import { writeCatalog } from "../loaders/catalog/store.ts";
import { openEngine } from "../loaders/engine.ts";
import { createApiPicksHandler } from "../scripts/api-picks.ts";
import { startServer } from "../scripts/serve.ts";
import { DENSE_ONLY, engineCatalog, engineVectors } from "../tests/fixtures/engine-catalog.ts";
import { echoFirstCandidates, mockGroqClient, startMockLlm } from "../tests/helpers/mock-llm.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);
const MODEL = "openai/gpt-oss-20b";
const tokens = (messages: { content: string }[]) => messages.reduce((n, m) => n + encode(m.content).length + 4, 0);

log("llm-cost: prompt sizes on the demo catalogue");
const engine = await openEngine({ log });
const selections: Record<string, unknown>[] = [];
for (const series of [["Breaking Bad"], ["Breaking Bad", "Fargo"]]) {
  const { input } = await engine.shortlist({ series, filters: series.length === 1 ? { genres: ["Crime"] } : {} });
  const proposal = buildProposalPrompt(input.series, input.filters);
  const rerank = buildRerankPrompt(shuffledForPrompt(input));
  const proposalRequest = proposalChatRequest(MODEL, "json_schema", proposal);
  const rerankRequest = rerankChatRequest(MODEL, "json_schema", rerank.messages, rerank.limit);
  selections.push({
    series,
    candidates: input.candidates.length,
    proposal_prompt_tokens: tokens(proposal),
    proposal_max_completion: proposalRequest.maxTokens,
    proposal_expected_completion: proposalRequest.expectedCompletionTokens,
    rerank_prompt_tokens: tokens(rerank.messages),
    rerank_max_completion: rerankRequest.maxTokens,
    rerank_expected_completion: rerankRequest.expectedCompletionTokens,
  });
}
engine.close();

log("llm-cost: POST /api/picks against the mock LLM");
const work = mkdtempSync(path.join(tmpdir(), "marquee-llm-cost-"));
const mock = await startMockLlm(echoFirstCandidates(10));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  mkdirSync(path.join(work, "dist"));
  writeFileSync(path.join(work, "dist", "index.html"), "<!doctype html>");
  await writeCatalog(path.join(work, "catalog"), engineCatalog());
  const apiPicks = createApiPicksHandler({
    enabled: true,
    client: mockGroqClient(mock, "gsk_bench_not_a_real_key_0123456789", () => undefined, { limits: {} }),
    openEngine: (rerank) => openEngine({ catalogDir: path.join(work, "catalog"), vectors: engineVectors(), weights: DENSE_ONLY, log: () => undefined, rerank }),
    cacheDir: null,
    burst: 1000,
    log: () => undefined,
  });
  const server = await startServer({ dir: path.join(work, "dist"), port: 0, host: "127.0.0.1", apiPicks, log: () => undefined });
  const post = async (body: unknown) => {
    const started = performance.now();
    const response = await fetch(`${server.url}api/picks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await response.json();
    return performance.now() - started;
  };
  const cold = await post({ series: [201] });
  const fresh: number[] = [];
  for (let limit = 1; limit <= 20; limit++) fresh.push(await post({ series: [201], limit }));
  const cached: number[] = [];
  for (let i = 0; i < 20; i++) cached.push(await post({ series: [201], limit: 5 }));
  await server.close();
  console.log(
    JSON.stringify({
      bench: "llm-cost",
      model: MODEL,
      calls_per_fresh_selection: 2,
      selections,
      api_picks_ms: { cold: Number(cold.toFixed(1)), fresh_median: Number(median(fresh).toFixed(1)), cached_median: Number(median(cached).toFixed(1)) },
    }),
  );
} finally {
  await mock.close();
  rmSync(work, { recursive: true, force: true });
}
