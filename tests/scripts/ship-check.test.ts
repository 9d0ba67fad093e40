// Shipping: the workflows, the crontab, the Dockerfile and, end to end, the image's build,
// serve and rebuild steps run outside Docker by scripts/ship-check.ts.
import { spawn, spawnSync } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startServer } from "../../scripts/serve.ts";
import { shipCheck, type ShipReport } from "../../scripts/ship-check.ts";

const root = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");
const KNOWN_SECRETS = ["TMDB_API_KEY", "TMDB_READ_TOKEN", "GROQ_API_KEY"];
const MONTHLY = "0 4 1 * *";

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; id?: string; "continue-on-error"?: boolean };
type Workflow = {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { steps?: Step[]; permissions?: Record<string, string>; environment?: unknown; outputs?: Record<string, string> }>;
};
const workflow = (name: string) => parse(read(`.github/workflows/${name}`)) as Workflow;
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((job) => job.steps ?? []);
const usesOf = (wf: Workflow, action: string) => steps(wf).find((step) => step.uses?.startsWith(`${action}@`));

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function dockerInstructions(): { keyword: string; args: string }[] {
  const joined = read("Dockerfile")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(" ") };
    });
}

describe("GitHub Actions workflows", () => {
  it("CI runs on every push and pull request", () => {
    expect(Object.keys(workflow("ci.yml").on).sort()).toEqual(["pull_request", "push"]);
  });

  it("CI installs, tests, builds and keeps the built site", () => {
    const ci = workflow("ci.yml");
    const runs = steps(ci).map((step) => step.run ?? "");
    expect(usesOf(ci, "actions/checkout")).toBeDefined();
    expect(usesOf(ci, "actions/setup-node")?.with).toMatchObject({ "node-version": 20, cache: "npm" });
    const order = ["apt-get install", "npm ci", "npm test", "npm run build"].map((command) => runs.findIndex((run) => run.includes(command)));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(runs.some((run) => /apt-get install[^\n]*\bchromium\b/.test(run))).toBe(true);
    expect(usesOf(ci, "actions/upload-artifact")?.with).toMatchObject({ path: "dist" });
  });

  it("deploy runs monthly at the crontab's time and on demand", () => {
    const deploy = workflow("deploy.yml");
    expect(deploy.on.schedule).toEqual([{ cron: MONTHLY }]);
    expect(deploy.on).toHaveProperty("workflow_dispatch");
  });

  it("deploy may publish to Pages and nothing more", () => {
    expect(workflow("deploy.yml").permissions).toEqual({ contents: "read", pages: "write", "id-token": "write" });
  });

  it("deploy restores the Framework and data caches under a monthly key", () => {
    const cache = usesOf(workflow("deploy.yml"), "actions/cache")!;
    expect(String(cache.with?.key)).toContain("steps.month.outputs.month");
    const paths = String(cache.with?.path).split("\n").map((p) => p.trim());
    expect(paths).toEqual(expect.arrayContaining(["data/cache", "data/catalog", "src/.observablehq/cache/_npm"]));
  });

  it("deploy refreshes, builds and publishes with the Pages actions, in that order", () => {
    const all = steps(workflow("deploy.yml"));
    const at = (test: (step: Step) => boolean) => all.findIndex(test);
    const order = [
      at((s) => s.run?.includes("npm run data:refresh") ?? false),
      at((s) => s.run?.includes("npm run build") ?? false),
      at((s) => s.uses?.startsWith("actions/configure-pages@") ?? false),
      at((s) => s.uses?.startsWith("actions/upload-pages-artifact@") ?? false),
      at((s) => s.uses?.startsWith("actions/deploy-pages@") ?? false),
    ];
    expect(order.every((index) => index >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("deploy's refresh step passes without secrets and fails only on a real refresh failure", () => {
    const refresh = steps(workflow("deploy.yml")).find((s) => s.id === "refresh")!;
    const bin = mkdtempSync(path.join(os.tmpdir(), "marquee-fake-npm-"));
    try {
      const outcome = (npmExit: number) => {
        writeFileSync(path.join(bin, "npm"), `#!/bin/sh\nexit ${npmExit}\n`);
        chmodSync(path.join(bin, "npm"), 0o755);
        return spawnSync("bash", ["-e", "-c", refresh.run!], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" }).status;
      };
      // data:refresh exits 2 when no credentials are set: the demo is deployed.
      expect([outcome(0), outcome(2), outcome(1)]).toEqual([0, 0, 1]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("a failed refresh still deploys, then marks the run failed", () => {
    const deploy = workflow("deploy.yml");
    const refresh = steps(deploy).find((s) => s.id === "refresh")!;
    expect(refresh["continue-on-error"]).toBe(true);
    expect(deploy.jobs.build!.outputs?.refresh).toContain("steps.refresh.outcome");
    const report = Object.values(deploy.jobs).find((job) => JSON.stringify(job).includes("needs.build.outputs.refresh == 'failure'"));
    expect(report).toBeDefined();
  });

  it("workflows reference only the known secrets, and only through step environments", () => {
    for (const name of ["ci.yml", "deploy.yml"]) {
      const text = read(`.github/workflows/${name}`);
      const referenced = [...text.matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]);
      expect(referenced.filter((secret) => !KNOWN_SECRETS.includes(secret!))).toEqual([]);
      for (const step of steps(workflow(name))) expect(step.run ?? "").not.toContain("secrets.");
    }
  });

  it("every action is pinned to a full commit SHA with its version tag noted", () => {
    for (const name of ["ci.yml", "deploy.yml"]) {
      const lines = read(`.github/workflows/${name}`).split("\n").filter((line) => /^\s*(-\s*)?uses:/.test(line));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });
});

describe("crontab", () => {
  const entries = read("crontab")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#") && !/^[A-Z_]+=/.test(line));

  it("has one job, at 04:00 on the 1st of every month", () => {
    expect(entries).toHaveLength(1);
    expect(entries[0]!.split(/\s+/).slice(0, 5).join(" ")).toBe(MONTHLY);
  });

  it("runs the locking rebuild script and appends its timestamped log", () => {
    const command = entries[0]!.split(/\s+/).slice(5).join(" ");
    expect(command).toMatch(/scripts\/rebuild\.sh" >> "[^"]+\.log" 2>&1$/);
    expect(read("scripts/rebuild.sh")).toMatch(/flock -n 9/);
    expect(read("crontab")).toMatch(/^MARQUEE_DIR=\//m);
  });

  it("agrees with the container's scheduler", () => {
    const next = (schedule: string | undefined, after: string) => {
      const epoch = String(Math.floor(Date.parse(after) / 1000));
      const env = { ...process.env, TZ: "UTC" } as NodeJS.ProcessEnv;
      if (schedule) env.MARQUEE_REBUILD_SCHEDULE = schedule;
      else delete env.MARQUEE_REBUILD_SCHEDULE;
      const result = spawnSync(path.join(root, "scripts/scheduler.sh"), ["--next-after", epoch], { env, encoding: "utf8" });
      return new Date(Number(result.stdout.trim()) * 1000).toISOString();
    };
    const crontabSchedule = entries[0]!.split(/\s+/).slice(0, 5).join(" ");
    for (const after of ["2025-01-15T10:00:00Z", "2025-12-01T04:00:00Z", "2025-12-01T03:59:00Z"]) {
      expect(next(undefined, after)).toBe(next(crontabSchedule, after));
    }
    expect(next(undefined, "2025-01-15T10:00:00Z")).toBe("2025-02-01T04:00:00.000Z");
    expect(next(undefined, "2025-12-01T04:00:00Z")).toBe("2026-01-01T04:00:00.000Z");
    expect(next(undefined, "2025-12-01T03:59:00Z")).toBe("2025-12-01T04:00:00.000Z");
  });

  it("the scheduler refuses schedules it cannot honour", () => {
    const result = spawnSync(path.join(root, "scripts/scheduler.sh"), ["--next-after", "0"], {
      env: { ...process.env, MARQUEE_REBUILD_SCHEDULE: "*/5 * * * *" },
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("MARQUEE_REBUILD_SCHEDULE");
  });
});

describe("Dockerfile", () => {
  const instructions = dockerInstructions();
  const stages = instructions.filter((i) => i.keyword === "FROM");
  const lastStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));

  it("builds in named stages and copies only from them", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names = stages.map((stage) => stage.args.match(/ AS (\S+)$/i)?.[1]);
    expect(names.every(Boolean)).toBe(true);
    const sources = instructions.flatMap((i) => (i.keyword === "COPY" ? [...i.args.matchAll(/--from=(\S+)/g)].map((m) => m[1]) : []));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.every((source) => names.includes(source))).toBe(true);
  });

  it("installs with the repo's .npmrc and without dev dependencies", () => {
    const copyNpmrc = instructions.findIndex((i) => i.keyword === "COPY" && i.args.includes(".npmrc"));
    const install = instructions.findIndex((i) => i.keyword === "RUN" && i.args.includes("npm ci"));
    expect(copyNpmrc).toBeGreaterThanOrEqual(0);
    expect(copyNpmrc).toBeLessThan(install);
    expect(instructions[install]!.args).toContain("--omit=dev");
  });

  it("runs as an unprivileged user", () => {
    const user = lastStage.filter((i) => i.keyword === "USER").at(-1);
    expect(user).toBeDefined();
    expect(["root", "0", "0:0"]).not.toContain(user!.args.trim());
  });

  it("exposes the server port and checks its health", () => {
    expect(lastStage.some((i) => i.keyword === "EXPOSE" && i.args.trim() === "3000")).toBe(true);
    expect(lastStage.some((i) => i.keyword === "HEALTHCHECK")).toBe(true);
  });

  it("bakes in no secret", () => {
    const declared = instructions.filter((i) => i.keyword === "ENV" || i.keyword === "ARG").map((i) => i.args).join(" ");
    expect(declared).not.toMatch(/KEY|TOKEN|SECRET|PASSWORD/i);
  });

  it("starts the entry point, which exists and is executable", () => {
    const entrypoint = lastStage.find((i) => i.keyword === "ENTRYPOINT")!;
    const script = (JSON.parse(entrypoint.args) as string[])[0]!;
    expect(() => accessSync(path.join(root, script), constants.X_OK)).not.toThrow();
  });

  it("its health check passes on a live server and fails without one", async () => {
    const healthcheck = lastStage.find((i) => i.keyword === "HEALTHCHECK")!;
    const command = JSON.parse(healthcheck.args.slice(healthcheck.args.indexOf("CMD") + 3).trim()) as string[];
    // Asynchronous: the probed server lives in this process.
    const probe = (port: number) =>
      new Promise<number | null>((resolve) => {
        spawn(command[0]!, command.slice(1), { env: { ...process.env, PORT: String(port) } }).once("close", resolve);
      });
    const server = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await probe(port)).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await probe(port)).toBe(1);
  });

  it(".dockerignore keeps dependencies, builds, caches, keys and git out of the context", () => {
    const patterns = read(".dockerignore").split("\n").map((line) => line.trim());
    for (const required of ["node_modules", "dist", "data/cache", "data/catalog", "src/.observablehq/cache", ".env", ".git"]) {
      expect(patterns).toContain(required);
    }
    expect(patterns.includes("tests") || patterns.includes("tests/artifacts")).toBe(true);
  });
});

describe("serving a site folder that rebuilds swap", () => {
  it("answers from the new release after the symlink swap, without a restart", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "marquee-swap-"));
    const release = (name: string, files: Record<string, string>) => {
      mkdirSync(path.join(dir, "releases", name), { recursive: true });
      for (const [file, body] of Object.entries(files)) writeFileSync(path.join(dir, "releases", name, file), body);
    };
    const swap = (name: string) => {
      symlinkSync(`releases/${name}`, path.join(dir, "current.tmp"));
      renameSync(path.join(dir, "current.tmp"), path.join(dir, "current"));
    };
    release("a", { "index.html": "<p>release a</p>", "a.txt": "only in a" });
    release("b", { "index.html": "<p>release b, a longer page</p>", "b.txt": "only in b" });
    swap("a");
    const running = await startServer({ dir: path.join(dir, "current"), port: 0, host: "127.0.0.1" });
    const get = async (file: string) => {
      const response = await fetch(new URL(file, running.url));
      return `${response.status} ${await response.text()}`;
    };
    try {
      expect([await get("/"), await get("/a.txt")]).toEqual(["200 <p>release a</p>", "200 only in a"]);
      swap("b");
      expect([await get("/"), await get("/b.txt"), (await get("/a.txt")).slice(0, 3)]).toEqual([
        "200 <p>release b, a longer page</p>",
        "200 only in b",
        "404",
      ]);
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const missing = ["src/index.md", "src/explore.md", "src/about.md", "scripts/serve.ts", "data/demo"].filter((file) => !existsSync(path.join(root, file)));
if (missing.length) console.warn(`ship check skipped: the site is not complete yet (missing ${missing.join(", ")})`);

describe.skipIf(missing.length > 0)("the image's steps, run outside Docker (scripts/ship-check.ts)", () => {
  let report: ShipReport;
  const result = (name: string) => {
    const found = report.checks.find((check) => check.name === name);
    const failure = report.checks.find((check) => check.name === "ship check ran to the end");
    return { ok: found?.ok ?? false, detail: found?.detail ?? failure?.detail ?? "check did not run" };
  };

  beforeAll(async () => {
    report = await shipCheck();
  }, 600_000);

  afterAll(() => {
    if (report && !report.ok) console.warn(`ship check failed; its work directory is kept: ${report.workDir}`);
  });

  const named = [
    "image build succeeds with production dependencies only",
    "a first start serves the image's site while it rebuilds",
    "a failed refresh still publishes a rebuild from the last good catalogue",
    "the build does not retry the refresh that just failed",
    "every rebuild log line carries a timestamp",
    "index page is served",
    "explore page is served",
    "about page is served",
    "data files answer byte ranges",
    "a rebuild started during another one leaves at once",
    "the server serves each new release without a restart",
    "old releases are pruned to MARQUEE_KEEP_RELEASES",
    "a failed build keeps the previous release served",
    "a stop signal ends the server and the scheduler",
  ];
  for (const name of named) {
    it(name, () => {
      const { ok, detail } = result(name);
      expect(ok, detail).toBe(true);
    });
  }

  it("ran no check that this list leaves out, and all of them passed", () => {
    const unlisted = report.checks.filter((check) => !named.includes(check.name) && check.name !== "ship check ran to the end");
    expect(unlisted.map((check) => check.name)).toEqual([]);
    expect(report.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`)).toEqual([]);
  });
});
