// lib/projection.ts: the fitted projection that shrinks the story vectors.
import { describe, expect, it } from "vitest";
import { ProjectionError, fitProjection, projectVectors } from "../../lib/projection.ts";
import { dot, normalise, quantizeInt8, type VectorSet } from "../../lib/vectors.ts";

/**
 * Unit vectors in 12 dimensions that mostly live in a 3-dimensional subspace (axes 2, 5, 9),
 * plus a little noise in every axis: a projection to 3 dimensions must keep their cosines.
 */
function lowRankSet(rows: number, noise = 0.01): VectorSet {
  let seed = 7;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  const dims = 12;
  const data = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: dims }, () => noise * random());
    row[2] += random();
    row[5] += 0.7 * random();
    row[9] += 0.4 * random();
    data.set(normalise(row), r * dims);
  }
  return { embedderId: "test:low-rank", dims, ids: Array.from({ length: rows }, (_, i) => i + 1), data };
}

describe("fitting a projection", () => {
  it("keeps the cosines of vectors that live in a subspace of its size", () => {
    const set = lowRankSet(300);
    const projected = projectVectors(set, fitProjection(set, 3));
    expect(projected.dims).toBe(3);
    let worst = 0;
    for (let a = 0; a < 40; a++) {
      for (let b = a + 1; b < 40; b++) {
        const before = dot(set.data, a * 12, set.data, b * 12, 12);
        const after = dot(projected.data, a * 3, projected.data, b * 3, 3);
        worst = Math.max(worst, Math.abs(before - after));
      }
    }
    expect(worst).toBeLessThan(0.01);
  });

  it("has orthonormal rows and gives the same projection for the same vectors", () => {
    const set = lowRankSet(200, 0.2);
    const first = fitProjection(set, 4);
    expect(fitProjection(set, 4).basis).toEqual(first.basis);
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        expect(dot(first.basis, a * 12, first.basis, b * 12, 12)).toBeCloseTo(a === b ? 1 : 0, 6);
      }
    }
  });

  it("projects int8 rows as their float values, to unit length", () => {
    const set = lowRankSet(100, 0.2);
    const projection = fitProjection(set, 5);
    const fromFloat = projectVectors(set, projection);
    const fromInt8 = projectVectors(quantizeInt8(set), projection);
    for (let r = 0; r < 100; r++) {
      expect(dot(fromInt8.data, r * 5, fromInt8.data, r * 5, 5)).toBeCloseTo(1, 5);
      expect(dot(fromInt8.data, r * 5, fromFloat.data, r * 5, 5)).toBeGreaterThan(0.999);
    }
    expect(fromInt8.ids).toEqual(set.ids);
  });

  it("refuses a size it cannot fit and vectors of another size, naming both", () => {
    const set = lowRankSet(10);
    expect(() => fitProjection(set, 13)).toThrow(ProjectionError);
    expect(() => fitProjection(set, 0)).toThrow(/needs 1 to 12 dimensions, got 0/);
    const other: VectorSet = { embedderId: "x", dims: 4, ids: [1], data: new Float32Array([1, 0, 0, 0]) };
    expect(() => projectVectors(other, fitProjection(set, 2))).toThrow(/takes 12-dimensional vectors, these have 4/);
  });
});
