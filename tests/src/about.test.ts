// The About page's model summary (src/components/about.ts): how much of the catalogue has
// precomputed LLM picks, in a linkedom document.
import { parseHTML } from "linkedom";
import { beforeAll, describe, expect, it } from "vitest";

let about: typeof import("../../src/components/about.ts");
const { document, Node } = parseHTML("<!DOCTYPE html><html><body></body></html>");

beforeAll(async () => {
  Object.assign(globalThis, { document, Node });
  about = await import("../../src/components/about.ts");
});

const meta = (llmSeries: number | undefined, llmRows: number) => ({
  catalog: { source: "tmdb" as const, fetched_at: "2026-11-01T00:00:00Z", counts: { movies: 5000, series: 1500 } },
  embedder: { id: "energetic:use-en-512", dims: 512 },
  vectors: { movies: 5000, series: 1500 },
  picks: { series: 300, llm_series: llmSeries, rows: 3000, sources: { llm: llmRows, fallback: 3000 - llmRows }, models: ["openai/gpt-oss-20b"], generated_at: "2026-11-30T00:00:00Z" },
  built_at: "2026-12-01T00:00:00Z",
});

describe("LLM coverage on the About page", () => {
  it("says how many series of the catalogue have LLM picks, and how the rest will come", () => {
    expect(about.coverage(52, 1500)).toBe(
      "52 of 1,500 series (3%) have picks chosen by the language model. Each rebuild adds the next most popular series, as far as the day's language-model allowance goes; the others are ranked live.",
    );
    expect(about.coverage(3, 1500)).toContain("(under 1%)");
    expect(about.coverage(1500, 1500)).toContain("(100%) have picks chosen by the language model. Every series in the catalogue has them.");
  });

  it("shows a Coverage row only when the build had LLM picks and counted their series", () => {
    const rows = (m: ReturnType<typeof meta>) => [...about.aboutModels(m).querySelectorAll("th")].map((th) => th.textContent);
    expect(rows(meta(120, 1200))).toContain("Coverage");
    expect(about.aboutModels(meta(120, 1200)).textContent).toContain("120 of 1,500 series (8%)");
    expect(rows(meta(0, 0))).not.toContain("Coverage");
    expect(rows(meta(undefined, 1200))).not.toContain("Coverage");
  });
});
