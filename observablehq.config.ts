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

await bundleBrowserLib(root);
invalidateStaleData(root);

export default {
  title: "Marquee",
  root,
  output: process.env.MARQUEE_SITE_OUTPUT ?? "dist",
  pages: [
    { name: "Recommend", path: "/" },
    { name: "Explore", path: "/explore" },
    { name: "About", path: "/about" },
  ],
  // The default stylesheet list loads Google Fonts; the site must not depend on a third-party host.
  globalStylesheets: [],
  style: "style.css",
  head: `<link rel="icon" href="data:,">`,
  footer: `Data from <a href="https://www.themoviedb.org/">TMDB</a>. This product uses the TMDB API but is not endorsed or certified by TMDB.`,
  toc: false,
  search: false,
  pager: false,
  preserveExtension: true,
};
