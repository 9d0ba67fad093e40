// scripts/rebuild.sh under signals: stopping the job stops its whole command tree and frees the lock.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const work = mkdtempSync(path.join(tmpdir(), "marquee-rebuild-"));

afterAll(() => rmSync(work, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe("rebuild.sh", () => {
  it("on SIGTERM stops the running build, removes its partial release and releases the lock", async () => {
    // A stand-in npm: the refresh says "no credentials" (exit 2), the build writes a partial
    // file, records its pid and hangs like a slow build.
    const bin = path.join(work, "bin");
    execFileSync("mkdir", ["-p", bin]);
    const pidFile = path.join(work, "build.pid");
    writeFileSync(
      path.join(bin, "npm"),
      `#!/usr/bin/env bash
case "$*" in
  *data:refresh*) exit 2 ;;
  *build*) mkdir -p "$MARQUEE_SITE_OUTPUT"; echo partial > "$MARQUEE_SITE_OUTPUT/x"; sleep 60 & echo $! > ${JSON.stringify(pidFile)}; wait ;;
esac
`,
    );
    chmodSync(path.join(bin, "npm"), 0o755);
    const siteDir = path.join(work, "site");
    const job = spawn("bash", [path.join(ROOT, "scripts/rebuild.sh")], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, MARQUEE_SITE_DIR: siteDir, MARQUEE_CATALOG_DIR: path.join(work, "catalog") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    job.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => job.on("exit", (code) => resolve(code)));
    expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", 20_000), stderr).toBe(true);
    const buildPid = Number(readFileSync(pidFile, "utf8"));
    expect(alive(buildPid)).toBe(true);

    const signalled = Date.now();
    job.kill("SIGTERM");
    const code = await exited;
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(code).toBe(143);
    expect(await until(() => !alive(buildPid), 3_000)).toBe(true);
    expect(stderr).toMatch(/STOPPED by SIGTERM: the previous site is still served/);
    expect(readdirSync(path.join(siteDir, "releases")).filter((f) => f.endsWith(".partial"))).toEqual([]);
    // Nothing holds the lock any more: a second rebuild could start at once.
    execFileSync("flock", ["-n", path.join(siteDir, ".rebuild.lock"), "true"]);
  }, 40_000);
});
