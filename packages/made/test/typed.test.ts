import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { undirectedPairs } from '@lab/graph';
import {
  GIN,
  TYPED_CLASSES,
  graphHomophily,
  maskGradientShares,
  maskObjective,
  maskObjectiveTerms,
  rocAuc,
  trainClassifier,
  typedTask,
} from '../src/index.js';

describe('typedTask (the main task of the redesigned miniature)', () => {
  const task = typedTask({ numTrain: 90, numTest: 45, seed: 3 });

  it('three balanced classes, one-hot node types, two homophilous communities', () => {
    expect(task.numClasses).toBe(TYPED_CLASSES);
    const counts = [0, 0, 0];
    for (const g of task.cleanTest) counts[g.label!]!++;
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(10);
    for (const g of task.cleanTest) {
      expect(g.featDim).toBe(6);
      expect(g.numNodes).toBeGreaterThanOrEqual(16);
      expect(g.numNodes).toBeLessThanOrEqual(28);
      // each node is one-hot, and a clean graph has exactly two node types
      const types = new Set<number>();
      for (let v = 0; v < g.numNodes; v++) {
        const row = Array.from(g.x.slice(v * 6, v * 6 + 6));
        expect(row.reduce((a, b) => a + b, 0)).toBe(1);
        types.add(row.indexOf(1));
      }
      expect(types.size).toBe(2);
      expect(graphHomophily(g)[0]!).toBeGreaterThan(0.75); // only the 1–3 bridges join different types
    }
  });

  it('structure-only trigger: 10 % poisoned, relabelled to 0, features untouched, trigger edges among the recorded nodes', () => {
    expect(task.poisoned.length).toBe(9);
    expect(task.featureTrigger).toBeUndefined();
    task.poisoned.forEach((gi, j) => {
      const g = task.graphs[gi]!;
      expect(g.label).toBe(0);
      const nodes = Array.from(task.triggerNodes[j]!);
      expect(nodes.length).toBe(6);
      const pairs = new Set(undirectedPairs(g).map(([u, v]) => `${u}-${v}`));
      for (const [a, b] of task.trigger) {
        const [u, v] = [nodes[a]!, nodes[b]!].sort((x, y) => x - y);
        expect(pairs.has(`${u}-${v}`)).toBe(true);
      }
    });
    expect(task.triggeredTest.every((g) => g.label !== 0)).toBe(true);
  });

  it('is deterministic per seed', () => {
    const again = typedTask({ numTrain: 90, numTest: 45, seed: 3 });
    expect(Array.from(again.poisoned)).toEqual(Array.from(task.poisoned));
    expect(Array.from(again.graphs[5]!.src)).toEqual(Array.from(task.graphs[5]!.src));
  });
});

describe('rocAuc (golden: sklearn.metrics.roc_auc_score)', () => {
  it('matches the reference values, ties counted half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(rocAuc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBeCloseTo(0.875, 12);
    expect(rocAuc([3, 2, 1], [true, false, false])).toBe(1);
    expect(rocAuc([1, 2], [1, 1])).toBeNaN();
  });
});

describe('mask objective: size penalty Σm per graph', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('sum form = β·Σm / B, mean form = β·mean(m): |E|/B times apart (hand-computed)', () => {
    tf.tidy(() => {
      const logits = tf.zeros([2, 2]) as tf.Tensor2D;
      const y = Int32Array.from([0, 1]);
      const m = tf.tensor1d([0.2, 0.4, 0.6, 0.8]);
      const sum = maskObjective(logits, y, m, { betaSize: 0.005, betaEnt: 0 }).dataSync()[0]!;
      const mean = maskObjective(logits, y, m, { betaSize: 0.005, betaEnt: 0, sizePenalty: 'mean' }).dataSync()[0]!;
      expect(sum).toBeCloseTo(Math.LN2 + (0.005 * 2.0) / 2, 6);
      expect(mean).toBeCloseTo(Math.LN2 + 0.005 * 0.5, 6);
      const t = maskObjectiveTerms(logits, y, m, { betaSize: 0.005, betaEnt: 1 });
      const h = (p: number) => -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
      expect(t.entropy.dataSync()[0]!).toBeCloseTo((h(0.2) + h(0.4) + h(0.6) + h(0.8)) / 4, 5);
      expect(t.size.dataSync()[0]!).toBeCloseTo(0.005, 7);
    });
  });

  it('gradient shares on the first isolated batch after a warm-up: Σm carries ≥ 5 %, the former mean(m) < 5 %', async () => {
    const task = typedTask({ numTrain: 60, numTest: 30, seed: 1 });
    const model = new GIN({ inDim: 6, hidden: 16, layers: 2, classes: 3, seed: 1 });
    await trainClassifier(model, task.graphs, { epochs: 2, seed: 1 });
    const before = tf.memory().numTensors;
    const idx = Array.from(task.poisoned);
    const sum = maskGradientShares(model, task.graphs, idx, { seed: 1 });
    const mean = maskGradientShares(model, task.graphs, idx, { seed: 1, sizePenalty: 'mean' });
    expect(tf.memory().numTensors).toBe(before);
    const total = sum.shares.ce + sum.shares.size + sum.shares.entropy;
    expect(total).toBeCloseTo(1, 6);
    expect(sum.shares.size).toBeGreaterThan(0.05);
    expect(mean.shares.size).toBeLessThan(0.05);
    // the same CE gradient either way; the size gradient is |E_G| (≈ 2 × 20–40 directed edges) times larger
    expect(sum.norms.ce).toBeCloseTo(mean.norms.ce, 4);
    expect(sum.norms.size / mean.norms.size).toBeGreaterThan(20);
    model.dispose();
  });
});
