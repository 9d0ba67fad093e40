// lib/ is the code the browser, the loaders and the command line share: it must run anywhere.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const LIB = path.resolve("lib");
const files = readdirSync(LIB, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".ts"))
  .map((f) => path.join(LIB, f));

/** Every module specifier a file imports or re-exports, type-only ones included. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm)].map((m) => m[1] ?? m[2]);
}

describe("lib/ is browser-safe and pure", () => {
  it("has modules to check", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    const name = path.relative(process.cwd(), file);
    it(`${name} imports no node: module and nothing outside lib/ but packages`, () => {
      const source = readFileSync(file, "utf8");
      for (const spec of specifiers(source)) {
        expect(spec, `${name} imports ${spec}`).not.toMatch(/^node:/);
        if (spec.startsWith(".")) {
          const target = path.resolve(path.dirname(file), spec);
          expect(target.startsWith(LIB + path.sep), `${name} imports ${spec}, outside lib/`).toBe(true);
        }
      }
      // Node built-ins without the node: prefix are just as unavailable in the browser.
      for (const spec of specifiers(source)) {
        expect(["fs", "path", "os", "crypto", "child_process", "url", "util", "stream", "http", "https", "zlib"], `${name} imports ${spec}`).not.toContain(spec.split("/")[0]);
      }
    });

    it(`${name} never touches process or require`, () => {
      const code = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      expect(code, name).not.toMatch(/\bprocess\s*[.[]/);
      expect(code, name).not.toMatch(/\brequire\s*\(/);
    });
  }

  it("lib/index.ts re-exports every lib module, so the pages see one public surface", () => {
    const index = readFileSync(path.join(LIB, "index.ts"), "utf8");
    const exported = new Set(specifiers(index).map((s) => path.resolve(LIB, s)));
    const modules = files.filter((f) => path.basename(f) !== "index.ts");
    expect(modules.filter((f) => !exported.has(f)).map((f) => path.relative(LIB, f))).toEqual([]);
  });
});
