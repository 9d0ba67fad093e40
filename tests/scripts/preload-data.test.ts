// The built pages ask for their first-view data at once, with links that the page's fetch() reuses.
import { describe, expect, it } from "vitest";
import { withPreloadLinks } from "../../scripts/preload-data.ts";

const page = `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><script type="module">
registerFile("./data/site/movies.arrow", {"name":"./data/site/movies.arrow","path":"./_file/data/site/movies.0123abcd.arrow","size":1});
registerFile("./data/site/vectors.arrow", {"name":"./data/site/vectors.arrow","path":"./_file/data/site/vectors.89abcdef.arrow","size":1});
registerFile("./data/site/ranking-index.json", {"name":"./data/site/ranking-index.json","mimeType":"application/json","path":"./_file/data/site/ranking-index.4567cdef.json","size":1});
</script></body></html>`;

describe("preload links", () => {
  it("preload the first-view files a page registers, CORS-mode like the page's fetch(), and not the heavy ones", () => {
    const html = withPreloadLinks(page);
    const links = [...html.matchAll(/<link rel="preload" href="([^"]+)" as="fetch" crossorigin="anonymous">/g)].map((m) => m[1]);
    expect(links).toEqual(["./_file/data/site/movies.0123abcd.arrow", "./_file/data/site/ranking-index.4567cdef.json"]);
    expect(html.indexOf("rel=\"preload\"")).toBeLessThan(html.indexOf("<meta"));
  });

  it("leave a page alone that registers none of them, or has its links already", () => {
    const plain = "<html><head></head><body>About</body></html>";
    expect(withPreloadLinks(plain)).toBe(plain);
    const once = withPreloadLinks(page);
    expect(withPreloadLinks(once)).toBe(once);
  });
});
