// npm run build's step before compression: tells each page's HTML to fetch its first-view
// data files (movies, series, the ranking index) at once, with <link rel="preload">. Without
// it those fetches wait until the page's whole module graph has arrived and run (0.4 s on a
// phone link); Framework names the files by content hash only at build time, so the links are
// written into the built HTML here, from the paths each page registers.
import { readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { SITE_FILES } from "../lib/site-schema.ts";

/** What every visit of a page that registers them reads first (lib/site-schema.ts SITE_FILES). */
export const PRELOADED_FILES: readonly string[] = [SITE_FILES.movies, SITE_FILES.series, SITE_FILES.rankingIndex];

const MARK = "<!-- marquee:preload -->";

/** The page's HTML with preload links for the preloaded files it registers; unchanged when it has them already. */
export function withPreloadLinks(html: string): string {
  if (html.includes(MARK)) return html;
  const links: string[] = [];
  for (const name of PRELOADED_FILES) {
    const registered = new RegExp(`registerFile\\("\\./data/site/${name.replace(/\./g, "\\.")}", \\{[^}]*"path":"([^"]+)"`).exec(html);
    // crossorigin: the page's fetch() is a CORS-mode request; a preload without it would not be reused.
    if (registered) links.push(`<link rel="preload" href="${registered[1]}" as="fetch" crossorigin="anonymous">`);
  }
  if (links.length === 0) return html;
  return html.replace(/<head>/i, `<head>\n${MARK}\n${links.join("\n")}`);
}

/** Adds the links to every HTML page of a built site, each file replaced atomically. */
export function addPreloadLinks(dir: string): { pages: number } {
  let pages = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".html")) continue;
    const file = path.join(dir, name);
    const html = readFileSync(file, "utf8");
    const next = withPreloadLinks(html);
    if (next === html) continue;
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, next);
    renameSync(temp, file);
    pages++;
  }
  return { pages };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = process.argv[2] ?? process.env.MARQUEE_SITE_OUTPUT ?? "dist";
  const { pages } = addPreloadLinks(dir);
  process.stderr.write(`preload-data: ${pages} page(s) fetch their first-view data at once\n`);
}
