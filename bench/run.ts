// npm run bench [-- NAME ...]: runs every benchmark in bench/ (each bench/*.ts except this
// runner and helper modules, i.e. files that export something) one after another in child
// processes, so one bench's memory and JIT state cannot skew the next. Each bench prints one
// JSON line on stdout; progress goes to stderr and is passed through. Ends with a summary
// table; exits 1 when a bench fails.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const BENCH_DIR = import.meta.dirname;
const ROOT = path.resolve(BENCH_DIR, "..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

/** Helper modules (imported by benches) export things; benchmarks are plain scripts. */
function isBenchmark(file: string): boolean {
  return !/^\s*export\s/m.test(readFileSync(path.join(BENCH_DIR, file), "utf8"));
}

function benchmarkFiles(only: string[] = []): string[] {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith(".ts") && f !== path.basename(import.meta.filename) && isBenchmark(f))
    .filter((f) => only.length === 0 || only.includes(path.basename(f, ".ts")))
    .sort();
}

interface Outcome {
  name: string;
  status: "ok" | "skipped" | "failed" | "no output";
  seconds: number;
  result?: Record<string, unknown>;
  error?: string;
}

function runOne(file: string): Promise<Outcome> {
  const name = path.basename(file, ".ts");
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(TSX, [path.join("bench", file)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.on("close", (code) => {
      const seconds = Number(((performance.now() - start) / 1000).toFixed(1));
      const lines = stdout.trim().split("\n").filter(Boolean);
      process.stdout.write(stdout);
      let result: Record<string, unknown> | undefined;
      for (const line of lines.reverse()) {
        try {
          const parsed = JSON.parse(line);
          if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
            result = parsed;
            break;
          }
        } catch {
          // Not JSON: a bench may print other lines before its result.
        }
      }
      if (code !== 0) resolve({ name, status: "failed", seconds, result, error: `exit code ${code}` });
      else if (!result) resolve({ name, status: "no output", seconds });
      else resolve({ name, status: result.skipped ? "skipped" : "ok", seconds, result });
    });
  });
}

/** Top-level scalar figures of a result, short enough for one table cell. */
function figures(outcome: Outcome): string {
  if (outcome.error) return outcome.error;
  if (!outcome.result) return "";
  if (outcome.result.skipped) return String(outcome.result.skipped);
  const parts = Object.entries(outcome.result)
    .filter(([key, value]) => key !== "bench" && ["number", "string", "boolean"].includes(typeof value))
    .map(([key, value]) => `${key}=${value}`);
  const text = parts.join(" ");
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

async function main(): Promise<number> {
  const files = benchmarkFiles(process.argv.slice(2));
  if (files.length === 0) {
    process.stderr.write(`bench: no benchmark matches ${process.argv.slice(2).join(", ")}\n`);
    return 2;
  }
  const outcomes: Outcome[] = [];
  for (const file of files) {
    process.stderr.write(`\n== bench/${file}\n`);
    outcomes.push(await runOne(file));
  }
  const width = Math.max(5, ...outcomes.map((o) => o.name.length));
  const rows = outcomes.map((o) => `${o.name.padEnd(width)}  ${o.status.padEnd(9)}  ${String(o.seconds).padStart(7)}  ${figures(o)}`);
  process.stdout.write(`\n${"bench".padEnd(width)}  ${"status".padEnd(9)}  ${"seconds".padStart(7)}  figures\n${rows.join("\n")}\n`);
  return outcomes.some((o) => o.status === "failed") ? 1 : 0;
}

process.exitCode = await main();
