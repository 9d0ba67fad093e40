// npm start: builds the site when dist/ is missing or older than what it is built from,
// then serves dist/ on http://localhost:3000 (PORT and HOST override).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { catalogDir } from "../loaders/shared/config.ts";
import { dataFingerprint } from "../loaders/site/build-hooks.ts";
import { compressSite, summarise } from "./compress-site.ts";
import { addPreloadLinks } from "./preload-data.ts";
import { closeOnSignals, startServer } from "./serve.ts";
import { BUILD_STAMP } from "./stamp-build.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Newest modification time among files under `target` (0 when it does not exist). */
export function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target, { withFileTypes: true })) {
    // Framework's own cache and generated bundles change during a build; they are outputs.
    if (entry.name === ".observablehq" || entry.name === "node_modules" || entry.name === "lib.bundle.js") continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry.name)));
  }
  return newest;
}

/** What the site is built from: pages, components, lib/ and loaders/ code, the data. */
export function siteSources(root = ROOT): string[] {
  return [
    path.join(root, "src"),
    path.join(root, "lib"),
    path.join(root, "loaders"),
    path.join(root, "observablehq.config.ts"),
    path.join(root, "data", "demo"),
    catalogDir(),
  ];
}

/**
 * Why dist/ needs a build, or null when it is current. The build's stamp says what it was
 * built from; modification times alone miss a switch to an older catalogue. A site without a
 * stamp (built before stamps existed) is judged by modification times only.
 */
export function buildReason(dist: string, sources: readonly string[], fingerprint: () => string = dataFingerprint): string | null {
  const index = path.join(dist, "index.html");
  if (!existsSync(index)) return `${dist} has no site yet`;
  const stamp = path.join(dist, BUILD_STAMP);
  if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() !== fingerprint()) {
    return "the catalogue, its caches, the loader code or the settings differ from the ones the site was built from";
  }
  const built = statSync(index).mtimeMs;
  const changed = sources.find((source) => newestMtime(source) > built);
  return changed ? `${path.relative(ROOT, changed) || changed} changed since the last build` : null;
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
    // A stop during the build stops the build too, so no orphan keeps writing into dist/.
    const stop = (signal: NodeJS.Signals) => {
      child.kill(signal);
      process.exit(130);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const done = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    };
    child.on("error", (error) => {
      done();
      reject(error);
    });
    child.on("exit", (code) => {
      done();
      if (code === 0) resolve();
      else reject(new Error(`npm run build exited with ${code}; see the messages above`));
    });
  });
}

async function main() {
  const dist = path.join(ROOT, "dist");
  const reason = buildReason(dist, siteSources());
  if (reason) {
    console.log(`Building the site: ${reason}.`);
    await build();
  } else {
    console.log("The site in dist/ is up to date.");
    // npm run build compresses as its last step; a dist/ built before that step existed, or
    // a build stopped before it, gets its .br/.gz siblings here (files already done are skipped).
    addPreloadLinks(dist);
    const compressed = await compressSite(dist, { log: () => undefined });
    if (compressed.bytes > 0) console.log(summarise(compressed));
  }
  const port = Number(process.env.PORT ?? 3000);
  // POST /api/picks with the server's own key, only when asked for (the engine behind it is heavy).
  const apiPicks = process.env.MARQUEE_LIVE_LLM ? (await import("./api-picks.ts")).apiPicksFromEnv() : undefined;
  const running = await startServer({ dir: dist, port, host: process.env.HOST ?? "127.0.0.1", apiPicks });
  closeOnSignals(running);
  const url = running.url.replace("//127.0.0.1:", "//localhost:");
  console.log(`Marquee is running at ${url} (Ctrl+C to stop)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`start: ${(error as Error).message}`);
    process.exit(1);
  });
}
