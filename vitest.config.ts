import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // DuckDB, ONNX and chromium each want a core; two forks keep the 2-core machines responsive.
    pool: "forks",
    maxWorkers: 2,
  },
});
