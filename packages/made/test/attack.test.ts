import { describe, expect, it } from 'vitest';
import { backdoorTask, injectSubgraphTrigger, makeTrigger, triggerTestSet } from '../src/index.js';

const tiny = () => backdoorTask({ numTrain: 60, numTest: 20, seed: 3 });

describe('SBA subgraph-trigger attack', () => {
  it('rejects invalid attack options', () => {
    const task = tiny();
    expect(() => injectSubgraphTrigger(task.graphs, { rate: 1.5 })).toThrow(/rate/);
    expect(() => injectSubgraphTrigger(task.graphs, { size: 1 })).toThrow(/size/);
    expect(() => injectSubgraphTrigger(task.graphs, { target: 7 })).toThrow(/target: expected one of the classes/);
    expect(() => injectSubgraphTrigger([], {})).toThrow(/non-empty/);
    expect(() => injectSubgraphTrigger(task.graphs, { rate: 0.9, sourceClasses: [1] })).toThrow(/only \d+ graphs/);
    expect(makeTrigger({ kind: 'ER', size: 5, p: 0.8, seed: 2 }).length).toBeGreaterThan(0);
    expect(triggerTestSet(task.cleanTest, task.trigger, 0, 1).every((g) => g.label !== 0)).toBe(true);
  });

  it('draws ER/SW/BA triggers with at least one edge, seeded', () => {
    for (const kind of ['ER', 'SW', 'BA'] as const) {
      const edges = makeTrigger({ kind, size: 5, p: 0.5, k: 2, seed: 1 });
      expect(edges.length).toBeGreaterThan(0);
      expect(makeTrigger({ kind, size: 5, p: 0.5, k: 2, seed: 1 })).toEqual(edges);
      for (const [u, v] of edges) expect(u !== v && u < 5 && v < 5).toBe(true);
    }
    expect(makeTrigger({ kind: 'fixed', size: 3, edges: [[2, 0]] })).toEqual([[0, 2]]);
  });
});
