// A large synthetic catalogue for the browser benchmark: the imported raw catalogue's movies
// repeated (new ids, "(copy N)" titles, popularity and votes scaled down so the originals stay
// the most popular) up to `count` movies, with its real series. Each copy's vector is the
// original's plus seeded noise, so the files are as large and as varied as real ones. Written
// once into cacheDir()/bench-synthetic-<count> with fresh vector files, so a build embeds nothing.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Movie } from "../../lib/catalog.ts";
import { normalise, quantizeInt8, dequantizeRow, type Int8VectorSet } from "../../lib/vectors.ts";
import { hasCatalog, readCatalog, writeCatalog } from "../../loaders/catalog/store.ts";
import { cacheDir } from "../../loaders/shared/config.ts";
import { writeVectorsParquet } from "../../loaders/vectors/catalog-vectors.ts";
import { VECTOR_FILES, catalogVectorFiles, vectorFilesStatus } from "../../loaders/vectors/files.ts";
import { seededRandom } from "../../tests/fixtures/synthetic-vectors.ts";
import { rawCatalogDir } from "./raw-catalog.ts";

const ID_STRIDE = 10_000_000;

export async function syntheticCatalogDir(count: number, log: (line: string) => void): Promise<string> {
  const dir = path.join(cacheDir(), `bench-synthetic-${count}`);
  const source = await rawCatalogDir(log);
  // The source's vector files as the configured build makes them (projected, int8).
  const vectors = await catalogVectorFiles({ catalogDir: source, log });
  const done = hasCatalog(dir) && existsSync(path.join(dir, VECTOR_FILES.movies));
  if (done) {
    const made = await readCatalog(dir);
    const status = await vectorFilesStatus(dir, vectors.embedderId, made, vectors.movies.dims);
    if (made.movies.length === count && status.reason === null) return dir;
  }
  log(`bench: writing a ${count}-movie synthetic catalogue into ${dir}`);
  const raw = await readCatalog(source);
  const movies: Movie[] = [];
  const rowOf = new Map(vectors.movies.ids.map((id, row) => [id, row]));
  const random = seededRandom(42);
  const dims = vectors.movies.dims;
  const data = new Float32Array(count * dims);
  for (let i = 0; i < count; i++) {
    const copy = Math.floor(i / raw.movies.length);
    const original = raw.movies[i % raw.movies.length];
    const shrink = 1 / (1 + copy);
    movies.push({
      ...original,
      id: original.id + copy * ID_STRIDE,
      title: copy ? `${original.title} (copy ${copy})` : original.title,
      popularity: original.popularity * shrink,
      vote_count: Math.round(original.vote_count * shrink),
    });
    const row = dequantizeRow(vectors.movies, rowOf.get(original.id)!);
    if (copy) for (let d = 0; d < dims; d++) row[d] += 0.05 * (random() - 0.5);
    data.set(normalise(row), i * dims);
  }
  // The catalogue is stored most popular first; the vector rows must follow the same order.
  const order = movies.map((_, i) => i).sort((a, b) => movies[b].popularity - movies[a].popularity || movies[a].id - movies[b].id);
  const sorted = order.map((i) => movies[i]);
  const sortedData = new Float32Array(count * dims);
  order.forEach((from, to) => sortedData.set(data.subarray(from * dims, (from + 1) * dims), to * dims));
  await writeCatalog(dir, { movies: sorted, series: raw.series, meta: { ...raw.meta, notes: [`synthetic: ${raw.movies.length} imported movies repeated to ${count}`] } });
  const stored = await readCatalog(dir);
  const storedRow = new Map(sorted.map((m, i) => [m.id, i]));
  const storedData = new Float32Array(count * dims);
  stored.movies.forEach((m, to) => {
    const from = storedRow.get(m.id)!;
    storedData.set(sortedData.subarray(from * dims, (from + 1) * dims), to * dims);
  });
  const movieSet: Int8VectorSet = quantizeInt8({ embedderId: vectors.embedderId, dims, ids: stored.movies.map((m) => m.id), data: storedData });
  const seriesRows = new Map(vectors.series.ids.map((id, row) => [id, row]));
  const seriesSet: Int8VectorSet = {
    embedderId: vectors.embedderId,
    dims,
    ids: stored.series.map((s) => s.id),
    data: Int8Array.from(stored.series.flatMap((s) => Array.from(vectors.series.data.subarray(seriesRows.get(s.id)! * dims, (seriesRows.get(s.id)! + 1) * dims)))),
    scales: Float32Array.from(stored.series, (s) => vectors.series.scales[seriesRows.get(s.id)!]),
  };
  // Written after the catalogue, so the build takes them as fresh.
  await writeVectorsParquet(movieSet, path.join(dir, VECTOR_FILES.movies));
  await writeVectorsParquet(seriesSet, path.join(dir, VECTOR_FILES.series));
  return dir;
}
