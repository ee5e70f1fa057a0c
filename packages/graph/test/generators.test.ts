import { describe, expect, it } from 'vitest';
import { Rng } from '@lab/core';
import {
  baShapes,
  barabasiAlbertEdges,
  erdosRenyiEdges,
  graphClassificationDataset,
  motif,
  stochasticBlockModel,
  undirectedPairs,
  validateGraph,
  wattsStrogatzEdges,
} from '../src/index.js';

describe('synthetic generators', () => {
  it('ER, BA and WS have the expected edge counts and are seeded', () => {
    expect(barabasiAlbertEdges(20, 2, new Rng(1)).length).toBe(2 * 18);
    expect(wattsStrogatzEdges(10, 4, 0.3, new Rng(1)).length).toBe(20);
    const er = erdosRenyiEdges(60, 0.2, new Rng(3));
    expect(er.length).toBeGreaterThan(0.15 * 1770);
    expect(er.length).toBeLessThan(0.25 * 1770);
    expect(erdosRenyiEdges(30, 0.3, new Rng(5))).toEqual(erdosRenyiEdges(30, 0.3, new Rng(5)));
    expect(() => barabasiAlbertEdges(3, 3, new Rng(0))).toThrow(/n: expected an integer >= 4/);
    expect(() => wattsStrogatzEdges(10, 3, 0.1, new Rng(0))).toThrow(/even/);
  });

  it('BA-shapes: 700 nodes, house roles, houses attached by one edge', () => {
    const g = baShapes({ seed: 1 });
    expect(g.numNodes).toBe(700);
    validateGraph(g, 'baShapes', { undirected: true, reversePairs: true, duplicates: 'error', selfLoops: 'error' });
    const counts = [0, 0, 0, 0];
    g.nodeLabels!.forEach((c) => counts[c]!++);
    expect(counts).toEqual([300, 160, 160, 80]);
    // every house has exactly 6 internal edges and one edge to the base
    const pairs = undirectedPairs(g);
    const internal = new Array(80).fill(0);
    const toBase = new Array(80).fill(0);
    for (const [u, v] of pairs) {
      const hu = g.houseOf[u]!;
      const hv = g.houseOf[v]!;
      if (hu >= 0 && hu === hv) internal[hu]++;
      else if (hu >= 0 || hv >= 0) toBase[Math.max(hu, hv)]++;
    }
    expect(new Set(internal)).toEqual(new Set([6]));
    expect(new Set(toBase)).toEqual(new Set([1]));
    expect(baShapes({ seed: 1 }).src).toEqual(g.src);
    expect(baShapes({ seed: 1, randomEdges: 70 }).src.length).toBe(g.src.length + 140);
  });

  it('motifs and SBM', () => {
    expect(motif('house').edges.length).toBe(6);
    expect(motif('cycle', 6).edges.length).toBe(6);
    expect(motif('grid').edges.length).toBe(12);
    expect(() => motif('hexagon' as never)).toThrow(/motif kind/);
    const sbm = stochasticBlockModel({ sizes: [40, 40], pIn: 0.3, pOut: 0.02, featDim: 4, featureSignal: 2, seed: 2 });
    let inside = 0;
    for (let k = 0; k < sbm.src.length; k++)
      if (sbm.nodeLabels![sbm.src[k]!] === sbm.nodeLabels![sbm.dst[k]!]) inside++;
    expect(inside / sbm.src.length).toBeGreaterThan(0.8);
    expect(() => stochasticBlockModel({ sizes: [5, 5, 5], featDim: 2 })).toThrow(/featDim/);
  });

  it('graph classification families are balanced, labelled and differ by structure', () => {
    const ds = graphClassificationDataset({ numGraphs: 40, families: ['ba-house', 'ba-cycle'], seed: 3 });
    expect(ds.filter((g) => g.label === 0).length).toBe(20);
    for (const g of ds) {
      validateGraph(g, 'g', { reversePairs: true });
      expect(g.motifNodes.length).toBe(5);
      expect(g.numNodes).toBeGreaterThanOrEqual(17);
    }
    const fam = graphClassificationDataset({
      numGraphs: 8,
      families: ['er', 'ba', 'ws', 'sbm'],
      features: 'degree',
      maxDegree: 5,
      seed: 1,
    });
    expect(fam[0]!.featDim).toBe(6);
    expect(new Set(fam.map((g) => g.label))).toEqual(new Set([0, 1, 2, 3]));
  });
});
