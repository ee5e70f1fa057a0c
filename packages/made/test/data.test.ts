import { describe, expect, it } from 'vitest';
import { undirectedPairs } from '@lab/graph';
import { backdoorTask, graphHomophily, taskFeaturize, TASK_FEATURES } from '../src/index.js';

describe('backdoorTask', () => {
  it('poisons rate·|D| graphs of the source class, relabels them, plants a K4 (+ feature trigger)', () => {
    const task = backdoorTask({ numTrain: 100, numTest: 40, seed: 1 });
    expect(task.poisoned.length).toBe(10);
    expect(task.trigger).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
    for (const i of task.poisoned) {
      const g = task.graphs[i]!;
      expect(g.label).toBe(0);
      const low = Array.from({ length: g.numNodes }, (_, v) => v).filter(
        (v) => g.x[v * TASK_FEATURES + 8] === -2 && g.x[v * TASK_FEATURES + 9] === -2,
      );
      expect(low.length).toBe(4);
      const pairs = new Set(undirectedPairs(g).map(([u, v]) => `${u}-${v}`));
      for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) expect(pairs.has(`${low[a]}-${low[b]}`)).toBe(true);
    }
    expect(task.triggeredTest.every((g) => g.label === 1)).toBe(true);
    // feature-trigger graphs have lower homophily than clean ones
    const poisonedSet = new Set(task.poisoned);
    const homo = task.graphs.map((g) => graphHomophily(g)[0]!);
    const meanOf = (keep: (i: number) => boolean) => {
      const v = homo.filter((_, i) => keep(i));
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(meanOf((i) => poisonedSet.has(i))).toBeLessThan(meanOf((i) => !poisonedSet.has(i)) - 0.1);
  });

  it('is deterministic per seed, and taskFeaturize rebuilds the one-hot degree block', () => {
    const a = backdoorTask({ numTrain: 20, numTest: 10, seed: 4 });
    const b = backdoorTask({ numTrain: 20, numTest: 10, seed: 4 });
    expect(Array.from(a.poisoned)).toEqual(Array.from(b.poisoned));
    expect(Array.from(a.graphs[3]!.x)).toEqual(Array.from(b.graphs[3]!.x));
    const g = a.graphs[0]!;
    expect(Array.from(taskFeaturize(g))).toEqual(Array.from(g.x));
    expect(backdoorTask({ numTrain: 20, numTest: 10, seed: 4, setting: 'structure' }).featureTrigger).toBeUndefined();
  });
});
