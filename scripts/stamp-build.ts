// npm run build's last step: records in the built folder what it was built from (the data
// fingerprint of loaders/site/build-hooks.ts: catalogue, caches, loader code, settings), so
// `npm start` can tell a site built from another catalogue even when its files are newer.
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { dataFingerprint } from "../loaders/site/build-hooks.ts";

/** The stamp's name inside a built site; a dot-file, so the server never serves it. */
export const BUILD_STAMP = ".marquee-build";

export function writeBuildStamp(dir: string, fingerprint = dataFingerprint()): void {
  const file = path.join(dir, BUILD_STAMP);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${fingerprint}\n`);
  renameSync(temp, file);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  writeBuildStamp(process.argv[2] ?? process.env.MARQUEE_SITE_OUTPUT ?? "dist");
}
