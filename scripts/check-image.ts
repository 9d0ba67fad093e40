// Builds and runs the real Docker image with podman, as a user would (`npm run check:image`).
//
//   build (--format docker, so the HEALTHCHECK survives) -> start with a volume -> first 200
//   on `/` -> `podman healthcheck run` -> user is not root, /app is not writable ->
//   scripts/rebuild.sh inside the container -> `podman stop` (exit code and time) -> clean up.
//
// stdout gets ONE line of figures; progress goes to stderr. Every step has a timeout; a failure
// prints its reason and exits 1. A machine where podman cannot run a container at all (no user
// namespaces, no cgroups, ...) prints why and exits 0 with "skipped: <reason>".
//
// Base image: node:20-bookworm-slim when it is in local storage or can be pulled; otherwise a
// stand-in made with debootstrap (Debian bookworm minbase + this machine's Node.js 20 and npm,
// laid out as the official image lays them out) and tagged with the same name. The stand-in (or
// the pulled base) is kept in podman's storage so reruns skip that step; everything else the
// check makes (container, volume, the images it built) is removed.
//
// Settings (environment): CHECK_IMAGE_KEEP=1 keeps the container, volume and image for a look.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const BASE_IMAGE = "docker.io/library/node:20-bookworm-slim";

/** The commit message of the imported stand-in: how a rerun tells it from the official image. */
export const STAND_IN_MESSAGE = "marquee check:image stand-in for node:20-bookworm-slim";

export const CONTAINERS_CONF = `# Written by scripts/check-image.ts: what podman needs on CI VMs (see issue 15).
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

export interface Figures {
  buildSeconds: number;
  imageMB: number;
  first200Ms: number;
  rebuildSeconds: number;
  stopSeconds: number;
  base: "official" | "stand-in";
}

/** The one line printed on stdout. */
export function summaryLine(f: Figures): string {
  return (
    `check:image ok: build ${f.buildSeconds.toFixed(1)} s, image ${Math.round(f.imageMB)} MB, ` +
    `first 200 ${Math.round(f.first200Ms)} ms, rebuild ${f.rebuildSeconds.toFixed(1)} s, ` +
    `stop ${f.stopSeconds.toFixed(2)} s (base: ${f.base})`
  );
}

/** `podman image inspect --format {{.Size}}` prints bytes; MB here are 10^6 bytes. */
export function parseImageMB(output: string): number {
  const bytes = Number(output.trim());
  if (!Number.isFinite(bytes) || bytes <= 0) throw new Error(`unexpected image size: ${JSON.stringify(output.trim())}`);
  return bytes / 1e6;
}

/** `podman exec … id -u` output to a uid. */
export function parseUid(output: string): number {
  const text = output.trim();
  if (!/^\d+$/.test(text)) throw new Error(`unexpected \`id -u\` output: ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * Why podman cannot run a container on this machine, when its error says the kernel (or the
 * sandbox around us) lacks a feature; undefined when the error is something else (a real failure).
 */
export function kernelFeatureMissing(stderr: string): string | undefined {
  const patterns: [RegExp, string][] = [
    [/user namespaces? (are )?not enabled|max_user_namespaces|unshare\(CLONE_NEWUSER\)|newuidmap|uid_map/i, "no user namespaces"],
    [/cgroups? .*not supported|cannot find cgroup mount|no cgroup mount found|cgroup.*(read-only|not mounted)/i, "no usable cgroups"],
    [/overlay.*not supported|kernel does not support overlay|fuse-overlayfs.*not found/i, "no overlay filesystem"],
    [/unshare.*operation not permitted|clone.*operation not permitted|pivot_root.*(invalid argument|operation not permitted)/i, "namespaces not permitted (nested sandbox)"],
    [/seccomp.*not supported|prctl.*operation not permitted/i, "seccomp or prctl not permitted"],
  ];
  for (const [re, reason] of patterns) {
    const line = stderr.split("\n").find((l) => re.test(l));
    if (line) return `${reason}: ${line.trim().slice(0, 200)}`;
  }
  return undefined;
}

/** The last `n` non-empty lines of some output, for failure messages. */
export function tail(text: string, n = 15): string {
  return text.split("\n").filter((l) => l.trim() !== "").slice(-n).join("\n");
}

// ---------------------------------------------------------------------------------------------

class CheckFailed extends Error {}
class Skipped extends Error {}

const progress = (msg: string) => process.stderr.write(`check:image: ${msg}\n`);
const fail = (msg: string): never => {
  throw new CheckFailed(msg);
};

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

interface RunOptions {
  timeoutMs: number;
  stream?: boolean; // copy the command's output to our stderr as it comes
  input?: NodeJS.ReadableStream;
  env?: NodeJS.ProcessEnv;
}

let childEnv: NodeJS.ProcessEnv = process.env;

function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? childEnv, stdio: [opts.input ? "pipe" : "ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d;
      if (opts.stream) process.stderr.write(d);
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d;
      if (opts.stream) process.stderr.write(d);
    });
    if (opts.input) opts.input.pipe(child.stdin!);
    child.on("error", (err) => {
      stderr += String(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started, timedOut });
    });
  });
}

async function must(what: string, cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.timedOut) fail(`${what}: timed out after ${Math.round(opts.timeoutMs / 1000)} s`);
  if (r.code !== 0) fail(`${what}: exit ${r.code}\n${tail(r.stderr + "\n" + r.stdout)}`);
  return r;
}

const podman = (what: string, args: string[], timeoutMs: number, stream = false) =>
  must(what, "podman", args, { timeoutMs, stream });

async function commandExists(cmd: string): Promise<boolean> {
  const r = await run("sh", ["-c", `command -v ${cmd}`], { timeoutMs: 5_000 });
  return r.code === 0;
}

async function imageIds(): Promise<Set<string>> {
  const r = await podman("list images", ["images", "-a", "-q", "--no-trunc"], 30_000);
  return new Set(r.stdout.split("\n").map((s) => s.trim()).filter(Boolean));
}

/** node:20-bookworm-slim from local storage, the registry, or a debootstrap stand-in. */
async function ensureBase(): Promise<"official" | "stand-in"> {
  const exists = await run("podman", ["image", "exists", BASE_IMAGE], { timeoutMs: 30_000 });
  if (exists.code !== 0) {
    progress(`pulling ${BASE_IMAGE} (30 s at most)`);
    const pull = await run("podman", ["pull", "-q", BASE_IMAGE], { timeoutMs: 30_000 });
    if (pull.code !== 0) {
      progress(`cannot pull it (${pull.timedOut ? "timed out" : tail(pull.stderr, 1)}); making a stand-in`);
      await makeStandIn();
    }
  }
  const comment = await podman("inspect base", ["image", "inspect", "--format", "{{.Comment}}", BASE_IMAGE], 30_000);
  return comment.stdout.includes(STAND_IN_MESSAGE) ? "stand-in" : "official";
}

async function makeStandIn(): Promise<void> {
  if (!process.versions.node.startsWith("20.")) fail(`the stand-in base copies this machine's Node.js, which is ${process.version}, not 20`);
  if (process.getuid?.() !== 0) fail("making the stand-in base needs root (debootstrap)");
  if (!(await commandExists("debootstrap"))) fail("debootstrap is not installed (apt-get install -y debootstrap)");
  const npmRoot = (await must("npm root -g", "npm", ["root", "-g"], { timeoutMs: 30_000 })).stdout.trim();
  if (!existsSync(path.join(npmRoot, "npm", "bin", "npm-cli.js"))) fail(`npm not found in ${npmRoot}`);
  const work = mkdtempSync(path.join(process.env.CHECK_IMAGE_TMP ?? "/var/tmp", "marquee-standin-"));
  const root = path.join(work, "root");
  try {
    progress("debootstrap --variant=minbase bookworm (about 30 s)");
    await must("debootstrap", "debootstrap", ["--variant=minbase", "bookworm", root, "http://deb.debian.org/debian"], {
      timeoutMs: 600_000,
    });
    const node = realpathSync(process.execPath);
    const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const script = [
      `set -e`,
      `install -d ${q(root)}/usr/local/bin ${q(root)}/usr/local/lib/node_modules`,
      `cp ${q(node)} ${q(root)}/usr/local/bin/node`,
      `cp -a ${q(npmRoot)}/npm ${q(root)}/usr/local/lib/node_modules/npm`,
      `ln -s ../lib/node_modules/npm/bin/npm-cli.js ${q(root)}/usr/local/bin/npm`,
      `ln -s ../lib/node_modules/npm/bin/npx-cli.js ${q(root)}/usr/local/bin/npx`,
      ...(existsSync(path.join(npmRoot, "corepack"))
        ? [
            `cp -a ${q(npmRoot)}/corepack ${q(root)}/usr/local/lib/node_modules/corepack`,
            `ln -s ../lib/node_modules/corepack/dist/corepack.js ${q(root)}/usr/local/bin/corepack`,
          ]
        : []),
      // As the official image does it.
      `chroot ${q(root)} groupadd --gid 1000 node`,
      `chroot ${q(root)} useradd --uid 1000 --gid node --shell /bin/bash --create-home node`,
      `chroot ${q(root)} node --version >/dev/null`,
      `rm -rf ${q(root)}/var/lib/apt/lists/* ${q(root)}/var/cache/apt/archives/*.deb`,
    ].join("\n");
    await must("lay out the stand-in", "bash", ["-c", script], { timeoutMs: 120_000 });
    progress(`importing the stand-in as ${BASE_IMAGE}`);
    const tar = spawn("tar", ["-C", root, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    await must(
      "podman import",
      "podman",
      [
        "import",
        "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change", `ENV NODE_VERSION=${process.versions.node}`,
        "--change", `CMD ["node"]`,
        "--message", STAND_IN_MESSAGE,
        "-",
        BASE_IMAGE,
      ],
      { timeoutMs: 300_000, input: tar.stdout! },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function probeKernel(): Promise<void> {
  const r = await run("podman", ["run", "--rm", "--network", "none", BASE_IMAGE, "true"], { timeoutMs: 120_000 });
  if (r.code === 0) return;
  const reason = kernelFeatureMissing(r.stderr);
  if (reason) throw new Skipped(`podman cannot run a container here (${reason})`);
  fail(`podman cannot run a container: ${r.timedOut ? "timed out" : tail(r.stderr, 5)}`);
}

async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const started = performance.now();
  if (!(await commandExists("podman"))) throw new Skipped("podman is not installed (apt-get install -y podman runc)");

  const work = mkdtempSync(path.join(tmpdir(), "check-image-"));
  const conf = path.join(work, "containers.conf");
  writeFileSync(conf, CONTAINERS_CONF);
  childEnv = { ...process.env, CONTAINERS_CONF: conf };

  const tag = `localhost/marquee-check:${process.pid}`;
  const name = `marquee-check-${process.pid}`;
  const volume = `marquee-check-${process.pid}`;
  const keep = process.env.CHECK_IMAGE_KEEP === "1";
  let before = new Set<string>();
  let containerMade = false;
  let volumeMade = false;

  try {
    const info = await run("podman", ["info", "--format", "{{.Host.OCIRuntime.Name}}"], { timeoutMs: 60_000 });
    if (info.code !== 0) {
      const reason = kernelFeatureMissing(info.stderr);
      if (reason) throw new Skipped(`podman cannot start here (${reason})`);
      fail(`podman info: ${tail(info.stderr, 5)}`);
    }

    const base = await ensureBase();
    progress(`base image: ${base}; checking that podman can run a container`);
    await probeKernel();
    before = await imageIds();

    // The host's CA bundle, for a TLS-inspecting proxy: a copy in a directory mounted read-only
    // on /mnt (it exists in the base, so no mount point is left in a layer), named by the
    // Dockerfile's NODE_EXTRA_CA_CERTS build argument, which only the deps and build stages declare.
    const hostCa = [process.env.NODE_EXTRA_CA_CERTS, "/etc/ssl/certs/ca-certificates.crt"].find(
      (f): f is string => !!f && existsSync(f),
    );
    const mounts: string[] = [];
    if (hostCa) {
      mkdirSync(path.join(work, "ca"));
      copyFileSync(hostCa, path.join(work, "ca", "ca.pem"));
      mounts.push("-v", `${path.join(work, "ca")}:/mnt:ro`, "--build-arg", "NODE_EXTRA_CA_CERTS=/mnt/ca.pem");
    }

    progress(`building ${tag} (podman build --format docker; 15 min at most)`);
    const build = await podman(
      "podman build",
      ["build", "--format", "docker", "--network", "host", "--pull=never", ...mounts, "-t", tag, repo],
      900_000,
      true,
    );
    const buildSeconds = build.ms / 1000;
    const imageMB = parseImageMB((await podman("image size", ["image", "inspect", "--format", "{{.Size}}", tag], 30_000)).stdout);
    const health = await podman("inspect healthcheck", ["image", "inspect", "--format", "{{json .Config.Healthcheck}}", tag], 30_000);
    if (!/"Test"/.test(health.stdout)) fail(`the image has no HEALTHCHECK (${health.stdout.trim()})`);
    if (mounts.length > 0) {
      const leftover = await run(
        "podman",
        ["run", "--rm", "--network", "none", "--entrypoint", "sh", tag, "-c", 'ls -A /mnt; env | grep -i ca_certs'],
        { timeoutMs: 60_000 },
      );
      if (leftover.stdout.trim()) fail(`the build's CA bundle reached the image: ${leftover.stdout.trim().replace(/\n/g, " ")}`);
    }
    progress(`built in ${buildSeconds.toFixed(1)} s, ${Math.round(imageMB)} MB`);

    // Start it as the README does, with a named volume on /var/lib/marquee.
    await podman("volume create", ["volume", "create", volume], 30_000);
    volumeMade = true;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const t0 = performance.now();
    containerMade = true;
    await podman("podman run", ["run", "-d", "--name", name, "-p", `127.0.0.1:${port}:3000`, "-v", `${volume}:/var/lib/marquee`, tag], 60_000);
    let first200Ms = 0;
    for (;;) {
      if ((await status(url)) === 200) {
        first200Ms = performance.now() - t0;
        break;
      }
      if (performance.now() - t0 > 60_000) fail(`${url} did not answer 200 within 60 s`);
      const state = await run("podman", ["inspect", "--format", "{{.State.Status}}", name], { timeoutMs: 10_000 });
      if (state.stdout.trim() === "exited") fail("the container exited before serving");
      await new Promise((r) => setTimeout(r, 50));
    }
    progress(`/ answered 200 after ${Math.round(first200Ms)} ms`);

    await podman("podman healthcheck run", ["healthcheck", "run", name], 30_000);
    progress("health check: healthy");

    const uid = parseUid((await podman("id -u", ["exec", name, "id", "-u"], 30_000)).stdout);
    if (uid === 0) fail("the container runs as root");
    const writable = await run("podman", ["exec", name, "sh", "-c", "test -w /app || touch /app/.check-image 2>/dev/null"], { timeoutMs: 30_000 });
    if (writable.code === 0) fail(`/app is writable by uid ${uid}`);
    const pages = await run("podman", ["exec", name, "sh", "-c", "test -w /app/src || touch /app/src/.check-image 2>/dev/null"], { timeoutMs: 30_000 });
    if (pages.code === 0) fail(`/app/src (the pages) is writable by uid ${uid}`);
    progress(`user uid ${uid}, /app and /app/src not writable`);

    progress("scripts/rebuild.sh inside the container (10 min at most)");
    const rebuild = await podman("scripts/rebuild.sh in the container", ["exec", name, "scripts/rebuild.sh"], 600_000, true);
    const rebuildSeconds = rebuild.ms / 1000;
    const current = (await podman("readlink current", ["exec", name, "readlink", "/var/lib/marquee/site/current"], 30_000)).stdout.trim();
    if (!current.startsWith("releases/")) fail(`after the rebuild site/current points at ${current}, not a release`);
    if ((await status(url)) !== 200) fail("/ stopped answering 200 after the rebuild");
    progress(`rebuilt in ${rebuildSeconds.toFixed(1)} s; serving ${current}`);

    const stop = await podman("podman stop", ["stop", "-t", "10", name], 60_000);
    const stopSeconds = stop.ms / 1000;
    const exit = (await podman("exit code", ["inspect", "--format", "{{.State.ExitCode}}", name], 30_000)).stdout.trim();
    if (exit !== "0") fail(`the container exited with ${exit} on stop (expected 0)`);
    if (stopSeconds > 5) fail(`podman stop took ${stopSeconds.toFixed(1)} s (more than 5 s: the stop signal was not handled)`);

    progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    process.stdout.write(summaryLine({ buildSeconds, imageMB, first200Ms, rebuildSeconds, stopSeconds, base }) + "\n");
  } catch (err) {
    if (containerMade && err instanceof CheckFailed) {
      const logs = await run("podman", ["logs", "--tail", "30", name], { timeoutMs: 30_000 });
      if (logs.stdout || logs.stderr) progress(`container logs (last 30 lines):\n${tail(logs.stdout + logs.stderr, 30)}`);
    }
    throw err;
  } finally {
    if (keep) {
      progress(`CHECK_IMAGE_KEEP=1: kept container ${name}, volume ${volume}, image ${tag}`);
    } else {
      if (containerMade) await run("podman", ["rm", "-f", "-t", "0", name], { timeoutMs: 60_000 });
      if (volumeMade) await run("podman", ["volume", "rm", "-f", volume], { timeoutMs: 60_000 });
      if (before.size > 0) {
        const made = [...(await imageIds())].filter((id) => !before.has(id));
        if (made.length > 0) await run("podman", ["rmi", "-f", ...made], { timeoutMs: 120_000 });
      }
    }
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err) => {
      if (err instanceof Skipped) {
        process.stderr.write(`check:image: ${err.message}\n`);
        process.stdout.write(`skipped: ${err.message}\n`);
        process.exit(0);
      }
      process.stderr.write(`check:image: FAILED: ${err instanceof CheckFailed ? err.message : (err?.stack ?? err)}\n`);
      process.exit(1);
    },
  );
}
