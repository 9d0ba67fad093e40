import { describe, expect, it } from "vitest";
import { dequantize, dot, embeddingText, normalise, quantizeInt8, rowOf, type VectorSet } from "../../lib/vectors.ts";

describe("embeddingText", () => {
  it("joins title and overview as a sentence", () => {
    expect(embeddingText("Dark", "A boy vanishes.")).toBe("Dark. A boy vanishes.");
  });

  it("does not double the punctuation of a title that ends a sentence", () => {
    expect(embeddingText("Airplane!", "A pilot panics.")).toBe("Airplane! A pilot panics.");
  });

  it("uses the title alone when the overview is empty", () => {
    expect(embeddingText("Dark", "  ")).toBe("Dark");
  });
});

describe("normalise and dot", () => {
  it("scales a vector to unit length", () => {
    const v = normalise([3, 4]);
    expect(v[0]).toBeCloseTo(0.6);
    expect(v[1]).toBeCloseTo(0.8);
  });

  it("leaves a zero vector at zero instead of dividing by zero", () => {
    expect(Array.from(normalise([0, 0]))).toEqual([0, 0]);
  });

  it("multiplies rows at the given offsets of packed arrays", () => {
    expect(dot([9, 1, 2], 1, [3, 4, 9], 0, 2)).toBe(11);
  });
});

describe("rowOf", () => {
  const set: VectorSet = { embedderId: "t", dims: 1, ids: [42, 7, 13], data: new Float32Array(3) };

  it("finds the row of an id", () => {
    expect(rowOf(set, 13)).toBe(2);
  });

  it("returns -1 for an unknown id", () => {
    expect(rowOf(set, 99)).toBe(-1);
  });
});

describe("quantizeInt8", () => {
  const set: VectorSet = { embedderId: "t", dims: 2, ids: [1, 2], data: new Float32Array([0.6, -0.8, 0, 0]) };

  it("maps each row's largest magnitude to ±127", () => {
    const q = quantizeInt8(set);
    expect(q.data[1]).toBe(-127);
    expect(q.scales[0]).toBeCloseTo(0.8 / 127);
  });

  it("keeps a zero row at zero with scale 0", () => {
    const q = quantizeInt8(set);
    expect(Array.from(q.data.subarray(2))).toEqual([0, 0]);
    expect(q.scales[1]).toBe(0);
  });

  it("dequantises to unit rows carrying the embedder id", () => {
    const back = dequantize(quantizeInt8(set));
    expect(back.embedderId).toBe("t");
    expect(dot(back.data, 0, back.data, 0, 2)).toBeCloseTo(1, 6);
  });
});
