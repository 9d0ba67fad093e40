// The site's data as one archive (movies, series, vectors, picks, meta); pages read its
// members as data/site/<name>. See loaders/site/sources.ts.
import { runLoader } from "../../loaders/site/arrow.ts";
import { buildSiteArchive } from "../../loaders/site/sources.ts";

await runLoader("site.tar", () => buildSiteArchive());
