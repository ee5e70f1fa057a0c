import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend } from '@lab/core';
import { CBAS_COLOURS, cbasGraph, loadGoodJson } from '../src/data.js';
import { validateNodeGraph, type NodeGraph } from '../src/graph.js';
import { tinyGood } from './helpers.js';

function colourOf(g: NodeGraph, v: number): number {
  const row = Array.from(g.x.subarray(v * 4, v * 4 + 4));
  return CBAS_COLOURS.findIndex((c) => c.every((value, k) => Math.abs(value - row[k]!) < 1e-6));
}

function agreement(g: NodeGraph, select: (v: number) => boolean): number {
  let hit = 0;
  let total = 0;
  for (let v = 0; v < g.numNodes; v++) {
    if (!select(v)) continue;
    total++;
    if (colourOf(g, v) === g.y[v]) hit++;
  }
  return hit / total;
}

describe('cbasGraph', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('builds GOOD-CBAS sized concept shift: 700 nodes, 4 classes, 60/20/20 split in 5 equal environments', () => {
    const g = cbasGraph({ seed: 0 });
    validateNodeGraph(g, { undirected: true });
    expect(g.numNodes).toBe(700);
    expect(g.numClasses).toBe(4);
    const counts = [0, 0, 0, 0];
    g.y.forEach((c) => counts[c]!++);
    expect(counts).toEqual([300, 160, 160, 80]);
    const sum = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
    expect([sum(g.trainMask), sum(g.valMask), sum(g.testMask)]).toEqual([420, 140, 140]);
    const envSizes = [0, 1, 2, 3, 4].map((e) => g.env.filter((v) => v === e).length);
    expect(envSizes).toEqual([84, 84, 84, 84, 84]);
    for (let v = 0; v < g.numNodes; v++) expect(g.env[v]! >= 0).toBe(g.trainMask[v] === 1);
    for (let v = 0; v < g.numNodes; v++) expect(colourOf(g, v)).toBeGreaterThanOrEqual(0);
  });

  it('plants a colour shortcut that holds in training and breaks at test time', () => {
    const g = cbasGraph({ seed: 1 });
    // P(colour = y) = r + (1 − r)/4: ≈ 0.89 over the training environments, 0.475 on validation, 0.25 on test.
    expect(agreement(g, (v) => g.trainMask[v] === 1)).toBeGreaterThan(0.83);
    expect(agreement(g, (v) => g.env[v] === 0)).toBeGreaterThan(agreement(g, (v) => g.env[v] === 4) - 0.05);
    expect(agreement(g, (v) => g.valMask[v] === 1)).toBeLessThan(0.6);
    expect(agreement(g, (v) => g.testMask[v] === 1)).toBeLessThan(0.37);
  });

  it('is deterministic per seed and varies across seeds; covariate shift colours by split', () => {
    const a = cbasGraph({ seed: 4 });
    const b = cbasGraph({ seed: 4 });
    const c = cbasGraph({ seed: 5 });
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(Array.from(a.src)).toEqual(Array.from(b.src));
    expect(Array.from(a.trainMask)).not.toEqual(Array.from(c.trainMask));
    const cov = cbasGraph({ seed: 0, shift: 'covariate' });
    for (let v = 0; v < cov.numNodes; v++) {
      const expected = cov.trainMask[v] ? cov.env[v]! : cov.valMask[v] ? 2 : 3;
      expect(colourOf(cov, v)).toBe(expected);
    }
    const large = cbasGraph({ seed: 0, baseNodes: 1200, houses: 320 });
    expect(large.numNodes).toBe(2800);
  });

  it("split 'good' is GOOD-CBAS's 140 / 140 / 140 / 140 / 140 with environments on all 420 training-environment nodes", () => {
    const g = cbasGraph({ seed: 4, split: 'good' });
    const count = (m: Uint8Array | undefined) => m!.reduce((a, b) => a + b, 0);
    expect([count(g.trainMask), count(g.idValMask), count(g.valMask), count(g.testMask)]).toEqual([140, 140, 140, 140]);
    expect(Array.from(g.env).filter((e) => e >= 0)).toHaveLength(420);
    for (let v = 0; v < g.numNodes; v++)
      if (g.trainMask[v] || g.idValMask![v]) expect(g.env[v]).toBeGreaterThanOrEqual(0);
    // Same colours and environments as the all-train split of the same seed: only the labelled subset changes.
    const all = cbasGraph({ seed: 4 });
    expect(g.x).toEqual(all.x);
    expect(g.env).toEqual(all.env);
  });

  it('randomEdges adds exactly that many new undirected edges (no self-loops, no duplicates), seeded', () => {
    const plain = cbasGraph({ seed: 5, baseNodes: 60, houses: 10, m: 3 });
    const g = cbasGraph({ seed: 5, baseNodes: 60, houses: 10, m: 3, randomEdges: 40 });
    expect(g.src.length - plain.src.length).toBe(80);
    const keys = new Set<string>();
    for (let e = 0; e < g.src.length; e++) {
      expect(g.src[e]).not.toBe(g.dst[e]);
      keys.add(`${g.src[e]}-${g.dst[e]}`);
    }
    expect(keys.size).toBe(g.src.length);
    for (let e = 0; e < g.src.length; e++) expect(keys.has(`${g.dst[e]}-${g.src[e]}`)).toBe(true);
    expect(cbasGraph({ seed: 5, baseNodes: 60, houses: 10, m: 3, randomEdges: 40 }).src).toEqual(g.src);
  });

  it('rejects bad options', () => {
    expect(() => cbasGraph({ shift: 'label' as never })).toThrow(/shift: expected one of 'concept', 'covariate'/);
    expect(() => cbasGraph({ trainFraction: 1.2 })).toThrow(/trainFraction/);
    expect(() => cbasGraph({ trainCorrelations: [1.5] })).toThrow(/trainCorrelations\[0\]/);
  });
});

describe('loadGoodJson', () => {
  const json = tinyGood;

  it('loads x, edges, labels, masks and environment ids (−1 outside training)', () => {
    const g = loadGoodJson(json);
    expect(g.numNodes).toBe(4);
    expect(g.featDim).toBe(2);
    expect(g.numClasses).toBe(2);
    expect(Array.from(g.env)).toEqual([0, 1, -1, -1]);
    expect(Array.from(g.testMask)).toEqual([0, 0, 0, 1]);
    expect(Array.from(loadGoodJson({ ...json, env_id: undefined }).env)).toEqual([-1, -1, -1, -1]);
    expect(loadGoodJson({ ...json, y: [[0], [1], [1], [0]] }).y[1]).toBe(1);
  });

  it('rejects malformed files with the offending key', () => {
    expect(() => loadGoodJson([1, 2])).toThrow(LabError);
    expect(() => loadGoodJson({ ...json, train_mask: undefined })).toThrow(/missing 'train_mask'/);
    expect(() => loadGoodJson({ ...json, y: [0, 1] })).toThrow(/'y' has 2 entries, expected 4/);
    expect(() => loadGoodJson({ ...json, x: [[1, 0], [0], [1, 1], [0, 0]] })).toThrow(
      /'x'\[1\] has 1 features, expected 2/,
    );
    expect(() =>
      loadGoodJson({
        ...json,
        edge_index: [
          [0, 9],
          [1, 0],
        ],
      }),
    ).toThrow(/node ids in \[0, 4\), got 9 → 0/);
    expect(() => loadGoodJson({ ...json, num_classes: 1 })).toThrow(
      /graph.y: expected labels in \[0, 1\), got 1 at node 1/,
    );
    expect(() => loadGoodJson({ ...json, test_mask: [0, 0, 0, 0] })).toThrow(
      /graph.testMask: expected at least one node/,
    );
    expect(() =>
      loadGoodJson({
        ...json,
        x: [
          [NaN, 0],
          [0, 1],
          [1, 1],
          [0, 0],
        ],
      }),
    ).toThrow(/must be a number|finite/);
  });
});
