// Observable Framework configuration for the Marquee site.
//
// Two things happen here before Framework builds or previews, because Framework offers no
// other hook for them:
// 1. The browser-facing `lib/` code is bundled into `src/components/lib.bundle.js`.
//    Framework only serves modules inside its source root and does not follow `.ts`
//    imports between TypeScript modules, so pages import this one bundle instead of lib/.
// 2. Cached data-loader outputs are dropped when the catalogue, vectors or picks changed.
//    Framework reruns a loader only when the loader file itself is newer than its cached
//    output, which would otherwise ship a stale catalogue after `npm run data:refresh`.
import { bundleBrowserLib, invalidateStaleData } from "./loaders/site/build-hooks.ts";

const root = process.env.MARQUEE_SITE_SRC ?? "src";

/** See `head` below. */
const A11Y_HEAD_SCRIPT =
  `document.documentElement.lang="en";` +
  `document.querySelector('meta[name="viewport"]')?.setAttribute("content","width=device-width, initial-scale=1");`;

const PAGES = [
  { name: "Recommend", path: "/" },
  { name: "Explore", path: "/explore" },
  { name: "About", path: "/about" },
];

/**
 * The site's navigation, in place of Framework's sidebar: its toggle is a checkbox named only
 * by a title, outside any landmark, and its list holds a <label> (axe: label-title-only,
 * region, list), with no option to change them. This is a plain <nav> in the page's <header>
 * (a banner landmark), the current page marked with aria-current, and a skip link first, so
 * a keyboard user reaches the page's content in one key press. Framework calls it with each
 * page's path ("/index", "/explore") and makes the links relative to the page.
 */
function siteHeader({ path }: { path: string }): string {
  const current = (page: string) => (page === "/" ? path === "/index" : path === page);
  const links = PAGES.map(
    (page) => `<li><a href="${page.path}"${current(page.path) ? ` aria-current="page"` : ""}>${page.name}</a></li>`,
  ).join("");
  return `<a class="skip-link" href="#observablehq-main">Skip to content</a>
<a class="site-name" href="/">Marquee</a>
<nav class="site-nav" aria-label="Site"><ul>${links}</ul></nav>`;
}

await bundleBrowserLib(root);
invalidateStaleData(root);

export default {
  title: "Marquee",
  root,
  output: process.env.MARQUEE_SITE_OUTPUT ?? "dist",
  pages: PAGES,
  sidebar: false,
  header: siteHeader,
  // The default stylesheet list loads Google Fonts; the site must not depend on a third-party host.
  globalStylesheets: [],
  style: "style.css",
  // Framework 1.13 writes `<html>` without a lang and a viewport meta with maximum-scale=1
  // (which stops pinch zoom on phones), and has no option for either. This script, the first
  // in the page (before <body> is parsed), sets both; scripts/serve.ts allows it by its hash
  // like Framework's own inline scripts. Checked by tests/browser/a11y.test.ts.
  head: `<link rel="icon" href="data:,">
<script>${A11Y_HEAD_SCRIPT}</script>`,
  footer: `Data from <a href="https://www.themoviedb.org/">TMDB</a>. This product uses the TMDB API but is not endorsed or certified by TMDB.`,
  toc: false,
  search: false,
  pager: false,
  preserveExtension: true,
};
