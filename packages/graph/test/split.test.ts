import { describe, expect, it } from 'vitest';
import { graphClassificationDataset, stratifiedSplit } from '../src/index.js';

describe('stratifiedSplit', () => {
  // Stored sorted by class, as PROTEINS, NCI1 and DD are: 60 of class 0, 30 of class 1, 10 of class 2.
  const labels = [...Array(60).fill(0), ...Array(30).fill(1), ...Array(10).fill(2)] as number[];

  it('puts round(f · n_c) of every class in the test part, in a seeded random order', () => {
    const s = stratifiedSplit(labels, { testFraction: 0.2, seed: 3 });
    const count = (xs: number[], c: number) => xs.filter((x) => x === c).length;
    expect([0, 1, 2].map((c) => count(s.test, c))).toEqual([12, 6, 2]);
    expect([0, 1, 2].map((c) => count(s.train, c))).toEqual([48, 24, 8]);
    expect([...s.trainIndex, ...s.testIndex].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    expect(s.test).toEqual(s.testIndex.map((i) => labels[i]));
    expect(s.test.slice(0, 12)).not.toEqual(Array(12).fill(0)); // mixed, not class-sorted
    expect(stratifiedSplit(labels, { testFraction: 0.2, seed: 3 })).toEqual(s);
    expect(stratifiedSplit(labels, { testFraction: 0.2, seed: 4 }).testIndex).not.toEqual(s.testIndex);
  });

  it('takes graphs (their label), keeps one of each side for small classes, a singleton class trains', () => {
    const graphs = graphClassificationDataset({ numGraphs: 12, families: ['er', 'ba'], features: 'degree', seed: 0 });
    const s = stratifiedSplit(graphs, { testFraction: 0.1, seed: 0 });
    expect(new Set(s.test.map((g) => g.label))).toEqual(new Set([0, 1]));
    expect(s.train.length + s.test.length).toBe(12);
    const tiny = stratifiedSplit([5, 5, 7], { testFraction: 0.9, seed: 1 });
    expect(tiny.test).toEqual([5]);
    expect(tiny.train.sort()).toEqual([5, 7]);
  });
});
