// Runs what the Docker image runs, outside Docker, in a clean temporary copy of the repo:
// the image's build stage (`npm run build` with production dependencies only), the
// container entry point (serve + schedule), then the monthly rebuild: twice at once (one
// must refuse), with a refresh that fails (the site must still be rebuilt), and with a build
// that fails (the old release must stay served). Prints a JSON report on stdout, progress on
// stderr; exits 1 when a check fails.
//
//   node_modules/.bin/tsx scripts/ship-check.ts [--keep]     (--keep leaves the copy for a look)
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { copyFile, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ShipReport {
  ok: boolean;
  checks: Check[];
  seconds: Record<string, number>;
  workDir: string;
}

const repo = path.resolve(import.meta.dirname, "..");
const PAGES = [
  { path: "/", name: "index" },
  { path: "/explore.html", name: "explore" },
  { path: "/about.html", name: "about" },
];

/** The page's `title:` front matter, which Framework puts in the <title> element. */
function pageTitle(app: string, name: string): string {
  const source = readFileSync(path.join(app, "src", `${name}.md`), "utf8");
  return source.match(/^---\n[\s\S]*?^title:\s*(.+?)\s*$/m)?.[1]?.replace(/^["']|["']$/g, "") ?? "Marquee";
}
// Keys must never reach this check: it runs on the demo catalogue and a fake TMDB.
const SCRUBBED_ENV = [
  "TMDB_API_KEY",
  "TMDB_READ_TOKEN",
  "TMDB_BASE_URL",
  "GROQ_API_KEY",
  "LLM_BASE_URL",
  "MARQUEE_CATALOG_DIR",
  "MARQUEE_CACHE_DIR",
  "MARQUEE_SITE_DIR",
  "MARQUEE_SITE_OUTPUT",
  "MARQUEE_SITE_SRC",
  "MARQUEE_STATE_DIR",
  "PORT",
];

function progress(message: string): void {
  process.stderr.write(`ship-check: ${message}\n`);
}

/** Tracked and untracked-but-not-ignored files: what `git clone` plus the work in progress would give. */
async function copyWorkingTree(target: string): Promise<number> {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${repo}: ${listed.stderr}`);
  let count = 0;
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    const source = path.join(repo, file);
    if (!existsSync(source)) continue; // deleted in the working tree
    await mkdir(path.dirname(path.join(target, file)), { recursive: true });
    await copyFile(source, path.join(target, file));
    count++;
  }
  return count;
}

/**
 * node_modules as `npm ci --omit=dev` would leave it, built from symlinks to the installed
 * packages: top-level production packages and their bin links only, so a build step that
 * needs a dev dependency fails here as it would in the image.
 */
async function linkProductionModules(target: string): Promise<number> {
  const listed = spawnSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const prefix = path.join(repo, "node_modules") + path.sep;
  const names = new Set<string>();
  for (const line of listed.stdout.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const name = line.slice(prefix.length);
    if (!name.includes(`${path.sep}node_modules${path.sep}`)) names.add(name);
  }
  if (names.size === 0) throw new Error(`npm ls --omit=dev listed no packages in ${repo}: ${listed.stderr}`);
  const modules = path.join(target, "node_modules");
  for (const name of names) {
    await mkdir(path.dirname(path.join(modules, name)), { recursive: true });
    await symlink(path.join(prefix, name), path.join(modules, name), "dir");
  }
  const bin = path.join(prefix, ".bin");
  await mkdir(path.join(modules, ".bin"), { recursive: true });
  for (const entry of readdirSync(bin)) {
    const link = readlinkSync(path.join(bin, entry));
    const parts = path.normalize(link).split(path.sep).slice(1);
    const owner = parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
    if (owner && names.has(owner)) await symlink(link, path.join(modules, ".bin", entry));
  }
  return names.size;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface RunResult {
  status: number | null;
  output: string;
  seconds: number;
}

/** Runs a command to the end; its output goes to the log file and into the result. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; log: string }): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      appendFileSync(options.log, chunk);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, output, seconds: (performance.now() - started) / 1000 }));
  });
}

async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(test).catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

/** A TMDB that rejects every key, as it does once a key is revoked. */
async function startRejectingTmdb(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = http.createServer((_request, response) => {
    count++;
    response.writeHead(401, { "content-type": "application/json" });
    response.end(JSON.stringify({ status_code: 7, status_message: "Invalid API key: You must be granted a valid key.", success: false }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/3`,
    requests: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Processes whose command line mentions the work directory: the check must leave none. */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      if (cmdline.includes(dir) && Number(pid) !== process.pid) found.push(`${pid} ${cmdline}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

export async function shipCheck({ keep = false } = {}): Promise<ShipReport> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), "marquee-ship-"));
  const app = path.join(workDir, "app");
  const state = path.join(workDir, "state");
  const site = path.join(state, "site");
  const log = path.join(workDir, "ship-check.log");
  mkdirSync(app);
  const checks: Check[] = [];
  const seconds: Record<string, number> = {};
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    progress(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  };
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", OBSERVABLE_TELEMETRY_DISABLE: "true" };
  for (const name of SCRUBBED_ENV) delete baseEnv[name];
  const port = await freePort();
  // What the runtime stage's ENV sets.
  const runtimeEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    PORT: String(port),
    MARQUEE_STATE_DIR: state,
    MARQUEE_SITE_DIR: site,
    MARQUEE_CATALOG_DIR: path.join(state, "catalog"),
    MARQUEE_CACHE_DIR: path.join(state, "cache"),
    MARQUEE_KEEP_RELEASES: "2",
  };
  const base = `http://127.0.0.1:${port}`;
  let entrypoint: ChildProcess | undefined;
  const tmdb = await startRejectingTmdb();

  try {
    progress(`working in ${workDir} (log: ${log})`);
    const files = await copyWorkingTree(app);
    const packages = await linkProductionModules(app);
    progress(`copied ${files} files, linked ${packages} production packages`);

    // The image's build stage.
    progress("image build stage: npm run build");
    // The image build's caches land in the state directory, as if an earlier run had filled
    // the volume: the rebuilds below then embed nothing twice and the check stays quick.
    const build = await run("npm", ["run", "build"], { cwd: app, env: { ...baseEnv, MARQUEE_CACHE_DIR: runtimeEnv.MARQUEE_CACHE_DIR }, log });
    seconds.imageBuild = build.seconds;
    check("image build succeeds with production dependencies only", build.status === 0 && existsSync(path.join(app, "dist", "index.html")), `exit ${build.status} in ${build.seconds.toFixed(1)}s`);
    if (build.status !== 0) throw new Error(`npm run build failed; see ${log}`);
    await writeFile(path.join(app, "dist", "release.json"), JSON.stringify({ id: "image", refresh: "none" }));
    await rm(path.join(app, "dist-image"), { recursive: true, force: true });
    spawnSync("mv", ["-T", path.join(app, "dist"), path.join(app, "dist-image")]);

    // The container starting with TMDB credentials (a key TMDB rejects): it must serve the
    // image's site at once and replace it when its background rebuild is done.
    const withKey = { ...runtimeEnv, TMDB_API_KEY: "revoked-key-for-ship-check", TMDB_BASE_URL: tmdb.url };
    progress(`entry point with credentials: serving on port ${port}`);
    entrypoint = spawn(path.join(app, "scripts", "docker-entrypoint.sh"), [], { cwd: app, env: withKey, stdio: ["ignore", "pipe", "pipe"] });
    let entrypointOutput = "";
    const collect = (chunk: Buffer) => {
      entrypointOutput += chunk.toString();
      appendFileSync(log, chunk);
    };
    entrypoint.stdout!.on("data", collect);
    entrypoint.stderr!.on("data", collect);
    const entrypointExit = new Promise<number | null>((resolve) => entrypoint!.once("close", resolve));
    const started = performance.now();
    await waitFor("the server to answer", async () => (await fetch(`${base}/`)).ok, 60_000);
    const release = async () => ((await (await fetch(`${base}/release.json`)).json()) as { id?: string }).id;
    const firstServed = await release();
    check("a first start serves the image's site while it rebuilds", firstServed === "image" && entrypointOutput.includes("start-up rebuild in the background"), `release.json id ${firstServed} after ${((performance.now() - started) / 1000).toFixed(1)}s; start-up rebuild ${entrypointOutput.includes("start-up rebuild in the background") ? "running" : "not started"}`);
    await waitFor("the start-up rebuild to end", () => entrypointOutput.includes("start-up rebuild ended"), 600_000);
    seconds.startupRebuild = (performance.now() - started) / 1000;
    const afterStartup = await release();
    const startupStatus = entrypointOutput.match(/start-up rebuild ended with status (\d+)/)?.[1];
    check("a failed refresh still publishes a rebuild from the last good catalogue", startupStatus === "3" && entrypointOutput.includes("REFRESH FAILED") && tmdb.requests() > 0 && afterStartup !== "image" && readlinkSync(path.join(site, "current")) === `releases/${afterStartup}`, `start-up rebuild status ${startupStatus}, TMDB saw ${tmdb.requests()} requests, now serving ${afterStartup}`);
    // The build after a failed refresh must not try again on its own (MARQUEE_AUTO_REFRESH=0).
    const buildRefreshes = entrypointOutput.split("\n").filter((line) => line.includes("catalogue: refreshing from TMDB")).length;
    check("the build does not retry the refresh that just failed", buildRefreshes === 0, `${buildRefreshes} refresh attempts by the build's loaders`);
    const startupLines = entrypointOutput.split("\n").filter((line) => line.includes(" rebuild["));
    check("every rebuild log line carries a timestamp", startupLines.length > 0 && startupLines.every((line) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} rebuild\[\d+\] /.test(line)), `${startupLines.length} lines`);

    for (const page of PAGES) {
      const response = await fetch(`${base}${page.path}`);
      const html = await response.text();
      const title = pageTitle(app, page.name);
      check(`${page.name} page is served`, response.status === 200 && html.includes(`<title>${title}`), `GET ${page.path} -> ${response.status}, ${html.length} bytes, <title>${title}… ${html.includes(`<title>${title}`) ? "found" : "missing"}`);
    }
    const dataDir = path.join(site, "current", "_file", "data");
    const dataFiles = (existsSync(dataDir) ? readdirSync(dataDir, { recursive: true, withFileTypes: true }) : [])
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dataDir, path.join(entry.parentPath, entry.name)));
    const dataFile = dataFiles[0];
    if (dataFile) {
      const response = await fetch(`${base}/_file/data/${dataFile}`, { headers: { Range: "bytes=0-3" } });
      const bytes = Buffer.from(await response.arrayBuffer());
      check("data files answer byte ranges", response.status === 206 && bytes.length === 4 && (response.headers.get("content-range") ?? "").startsWith("bytes 0-3/"), `GET /_file/data/${dataFile} Range: bytes=0-3 -> ${response.status}, ${bytes.length} bytes, ${response.headers.get("content-range")}`);
    } else {
      check("data files answer byte ranges", false, "the build has no data file under _file/data/");
    }

    // Leftovers of older months, to be pruned down to MARQUEE_KEEP_RELEASES=2.
    for (const old of ["20000101T000000Z", "20000201T000000Z"]) {
      await mkdir(path.join(site, "releases", old), { recursive: true });
      await writeFile(path.join(site, "releases", old, "index.html"), "old");
    }

    // The monthly job, and a second run started while it works.
    progress("rebuild #1 and, while it runs, rebuild #2");
    const first = run(path.join(app, "scripts", "rebuild.sh"), [], { cwd: app, env: runtimeEnv, log });
    await waitFor("rebuild #1 to hold the lock", () => (readFileSync(log, "utf8").match(/rebuild started in/g) ?? []).length >= 2, 30_000);
    const second = await run(path.join(app, "scripts", "rebuild.sh"), [], { cwd: app, env: runtimeEnv, log });
    check("a rebuild started during another one leaves at once", second.status === 75 && second.output.includes("already running"), `exit ${second.status}: ${second.output.trim().split("\n").at(-1)}`);
    const firstResult = await first;
    seconds.rebuild = firstResult.seconds;
    const current = readlinkSync(path.join(site, "current"));
    const served = await release();
    let pagesOk = true;
    for (const page of PAGES) pagesOk &&= (await fetch(`${base}${page.path}`)).status === 200;
    check("the server serves each new release without a restart", firstResult.status === 0 && current === `releases/${served}` && served !== afterStartup && pagesOk, `exit ${firstResult.status}, current -> ${current}, served ${served} (before: ${afterStartup}), pages ${pagesOk ? "200" : "not all 200"}`);
    const releases = readdirSync(path.join(site, "releases")).sort();
    check("old releases are pruned to MARQUEE_KEEP_RELEASES", releases.length === 2 && releases.includes(String(afterStartup)) && releases.includes(String(served)), `releases: ${releases.join(", ")}`);

    // A build that breaks (here: the site configuration throws) must leave the site alone.
    progress("rebuild #3 with a broken build");
    const config = path.join(app, "observablehq.config.ts");
    const original = readFileSync(config, "utf8");
    await writeFile(config, `${original}\nthrow new Error("ship-check: a deliberately broken build");\n`);
    const broken = await run(path.join(app, "scripts", "rebuild.sh"), [], { cwd: app, env: runtimeEnv, log });
    await writeFile(config, original);
    seconds.failedRebuild = broken.seconds;
    const afterBroken = await release();
    const stillOk = (await fetch(`${base}/`)).status === 200;
    const leftovers = readdirSync(path.join(site, "releases")).filter((name) => name.startsWith("."));
    check("a failed build keeps the previous release served", broken.status === 1 && broken.output.includes("FAILED: build failed") && afterBroken === served && readlinkSync(path.join(site, "current")) === current && stillOk && leftovers.length === 0, `exit ${broken.status}, served ${afterBroken}, leftovers: ${leftovers.join(", ") || "none"}`);

    // docker stop.
    entrypoint.kill("SIGTERM");
    const exitCode = await Promise.race([entrypointExit, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 15_000))]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const left = processesUsing(workDir);
    check("a stop signal ends the server and the scheduler", exitCode === 0 && left.length === 0, `entry point exit ${exitCode}; processes left: ${left.length ? left.join(" | ") : "none"}`);
    entrypoint = undefined;
  } catch (error) {
    check("ship check ran to the end", false, error instanceof Error ? error.message : String(error));
  } finally {
    if (entrypoint && entrypoint.exitCode === null) {
      entrypoint.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    await tmdb.close();
    if (!keep && checks.every((c) => c.ok)) await rm(workDir, { recursive: true, force: true });
    else progress(`work directory kept: ${workDir}`);
  }
  return { ok: checks.every((c) => c.ok), checks, seconds, workDir };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("ship-check.ts")) {
  const report = await shipCheck({ keep: process.argv.includes("--keep") });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}
