import { describe, expect, it } from 'vitest';
import {
  Rng,
  batchIndices,
  gatherRows,
  iterateBatches,
  kFoldSplits,
  numBatches,
  samplePerClass,
  shuffleInPlace,
  splitIndices,
} from '@lab/core';

describe('batching', () => {
  it('covers every index once, in order without shuffle', () => {
    const batches = batchIndices(10, 4);
    expect(batches.map((b) => Array.from(b))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batchIndices(10, 4, { dropLast: true }).length).toBe(2);
    expect(numBatches(10, 4)).toBe(3);
    expect(numBatches(10, 4, true)).toBe(2);
    expect([...iterateBatches([7, 8, 9], 2)].map((b) => Array.from(b))).toEqual([[7, 8], [9]]);
  });

  it('shuffles reproducibly from the seed', () => {
    const a = batchIndices(100, 32, { shuffle: true, rng: new Rng(1) });
    const b = batchIndices(100, 32, { shuffle: true, rng: new Rng(1) });
    const c = batchIndices(100, 32, { shuffle: true, rng: new Rng(2) });
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    expect(a.map((x) => Array.from(x))).not.toEqual(c.map((x) => Array.from(x)));
    expect(a.flatMap((x) => Array.from(x)).sort((p, q) => p - q)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('shuffles a given index array without changing its content', () => {
    const src = Int32Array.of(5, 6, 7, 8);
    const out = batchIndices(src, 3, { shuffle: true, rng: new Rng(3) }).flatMap((b) => Array.from(b));
    expect(out.sort()).toEqual([5, 6, 7, 8]);
    expect(Array.from(src)).toEqual([5, 6, 7, 8]); // the input is copied
    const arr = [1, 2, 3, 4, 5];
    expect(shuffleInPlace(arr, new Rng(1)).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('splitIndices gives disjoint seeded parts', () => {
    const [tr, pr, te] = splitIndices(10000, [1000, 1000, 2000], new Rng(0));
    expect(tr!.length + pr!.length + te!.length).toBe(4000);
    expect(new Set([...tr!, ...pr!, ...te!]).size).toBe(4000);
    expect(Array.from(splitIndices(10000, [1000], new Rng(0))[0]!)).toEqual(Array.from(tr!));
    expect(() => splitIndices(10, [6, 6], new Rng(0))).toThrow(/sizes: expected a total of at most n = 10, got 12/);
  });

  it('gatherRows copies rows of any typed array', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(gatherRows(x, 3, [3, 0]))).toEqual([9, 10, 11, 0, 1, 2]);
    expect(gatherRows(Int32Array.of(1, 2), 1, [1])).toBeInstanceOf(Int32Array);
    expect(() => gatherRows(x, 5, [0])).toThrow(/divisible/);
    expect(() => gatherRows(x, 3, [4])).toThrow(/indices/);
  });

  it('kFoldSplits partitions the indices, optionally stratified', () => {
    const splits = kFoldSplits(23, 5, new Rng(1));
    expect(splits.map((s) => s.test.length)).toEqual([5, 5, 5, 4, 4]);
    const allTest = splits.flatMap((s) => Array.from(s.test)).sort((a, b) => a - b);
    expect(allTest).toEqual(Array.from({ length: 23 }, (_, i) => i));
    for (const s of splits) {
      expect(s.train.length + s.test.length).toBe(23);
      expect(Array.from(s.train).some((i) => s.test.includes(i))).toBe(false);
    }
    const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : 1));
    for (const s of kFoldSplits(100, 5, new Rng(2), { labels })) {
      expect(Array.from(s.test).filter((i) => labels[i] === 1).length).toBe(4);
    }
    expect(Array.from(kFoldSplits(23, 5, new Rng(1))[0]!.test)).toEqual(Array.from(splits[0]!.test));
    expect(() => kFoldSplits(10, 1, new Rng(1))).toThrow(/folds/);
    expect(() => kFoldSplits(10, 2, new Rng(1), { labels: [0] })).toThrow(/labels: expected 10/);
  });

  it('samplePerClass draws a seeded balanced subset', () => {
    const labels = Int32Array.from({ length: 95 }, (_, i) => i % 10);
    const idx = samplePerClass(labels, 3, new Rng(4));
    expect(idx.length).toBe(30);
    const counts = new Array(10).fill(0);
    idx.forEach((i) => counts[labels[i]!]++);
    expect(counts).toEqual(new Array(10).fill(3));
    expect(samplePerClass(labels, 20, new Rng(4)).length).toBe(95); // classes smaller than perClass are taken whole
    expect(Array.from(samplePerClass(labels, 3, new Rng(4)))).toEqual(Array.from(idx));
    expect(() => samplePerClass(labels, -1, new Rng(1))).toThrow(/perClass/);
  });

  it('rejects bad options', () => {
    expect(() => batchIndices(10, 0)).toThrow(/batchSize/);
    expect(() => batchIndices(10, 2.5)).toThrow(/batchSize/);
    expect(() => batchIndices(10, 2, { shuffle: true })).toThrow(/rng/);
    expect(() => batchIndices([0, -1], 2)).toThrow(/source/);
    expect(() => batchIndices(-3, 2)).toThrow(/source/);
  });
});
