import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorLeak, tf } from '@lab/core';
import { batchGraphs, undirectedPairs } from '@lab/graph';
import {
  GIN,
  GraphClassifier,
  EdgeMaskGenerator,
  ablDefend,
  backdoorTask,
  evaluateBackdoor,
  graphHomophily,
  injectSubgraphTrigger,
  isolate,
  madeDefend,
  makeTrigger,
  trainClassifier,
  triggerTestSet,
  TASK_FEATURES,
} from '../src/index.js';

const tiny = () => backdoorTask({ numTrain: 60, numTest: 20, seed: 3 });

describe('attack and task', () => {
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
});

describe('training loops (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('train, isolate, MADE, ABL (joint and sequential), random drop and node-homophily masks run without leaking tensors', async () => {
    const task = tiny();
    const model = new GIN({ inDim: TASK_FEATURES, hidden: 8, layers: 2, classes: 2, seed: 0 });
    const leaked = await tensorLeak(async () => {
      const losses = await trainClassifier(model, task.graphs, { epochs: 2, batchSize: 16 });
      expect(losses.length).toBe(2);
      const iso = await isolate(model, task.graphs, { isoEpochs: 1, ratio: 0.1, batchSize: 16 });
      expect(iso.isolated.length).toBe(6);
      expect(iso.byCriterion.homophily.length).toBe(6);
      const copy = model.clone();
      const r = await madeDefend(copy, task.graphs, {
        isolation: iso,
        unlearnEpochs: 1,
        batchSize: 16,
        isoBatchSize: 4,
      });
      expect(r.masks.size).toBe(6);
      for (const [i, m] of r.masks) {
        expect(m.length).toBe(task.graphs[i]!.src.length);
        for (let k = 0; k < m.length; k += 2) expect(m[k]).toBeCloseTo(m[k + 1]!, 6); // symmetric
      }
      expect(r.log[0]!.maskMean).toBeGreaterThan(0);
      const masked = evaluateBackdoor(copy, task.cleanTest, task.triggeredTest, 0, { maskWith: r.generator! });
      expect(masked.acc).toBeGreaterThanOrEqual(0);
      r.generator!.dispose();
      for (const extra of [
        { randomDropRate: 0.5 },
        { maskObjective: 'nodeHomophily' as const },
        { maskObjective: 'adversarialBudget' as const },
        { lambdaC: 0.5, finetuneEpochs: 1 },
      ]) {
        const c = model.clone();
        const res = await madeDefend(c, task.graphs, {
          isolation: iso,
          unlearnEpochs: 1,
          batchSize: 16,
          isoBatchSize: 4,
          ...extra,
        });
        res.generator?.dispose();
        c.dispose();
      }
      for (const schedule of ['joint', 'sequential'] as const) {
        const c = model.clone();
        await ablDefend(c, task.graphs, { isolation: iso, schedule, epochs: 1, ascentEpochs: 1, batchSize: 16 });
        c.dispose();
      }
      const { acc, asr } = evaluateBackdoor(copy, task.cleanTest, task.triggeredTest, 0);
      expect(acc).toBeGreaterThanOrEqual(0);
      expect(asr).toBeLessThanOrEqual(1);
      copy.dispose();
    });
    expect(leaked).toBe(0);
    model.dispose();
  });

  it('edge-mask generator: symmetric masks in (0, 1) with gradients into its own parameters only', () => {
    const task = tiny();
    const model = new GIN({ inDim: TASK_FEATURES, hidden: 8, layers: 2, classes: 2, seed: 0 });
    const gen = new EdgeMaskGenerator({ embDim: 8, seed: 1 });
    const b = task.graphs.slice(0, 4);
    tf.tidy(() => {
      const batchB = {
        ...b[0]!,
        batch: new Int32Array(b[0]!.numNodes),
        ptr: Int32Array.from([0, b[0]!.numNodes]),
        edgePtr: Int32Array.from([0, b[0]!.src.length]),
        numGraphs: 1,
      };
      const { grads } = tf.variableGrads(
        () => tf.sum(gen.apply(model.apply(batchB).firstH, batchB)) as tf.Scalar,
        [...gen.parameters(), ...model.parameters()],
      );
      for (const v of gen.parameters()) expect(grads[v.name]).toBeDefined();
      for (const v of model.parameters()) {
        const g = grads[v.name];
        if (g) expect(Math.max(...Array.from(g.abs().dataSync()))).toBe(0);
      }
    });
    gen.dispose();
    model.dispose();
  });

  it('invalid defense options throw', async () => {
    const task = tiny();
    const model = new GraphClassifier({
      arch: 'sage',
      inDim: TASK_FEATURES,
      hidden: 4,
      layers: 1,
      classes: 2,
      seed: 0,
    });
    const gcn = new GraphClassifier({
      arch: 'gcn',
      inDim: TASK_FEATURES,
      hidden: 4,
      layers: 2,
      classes: 2,
      seed: 0,
      pooling: 'max',
    });
    for (const m of [model, gcn]) {
      tf.tidy(() => {
        expect(m.apply(batchGraphs(task.graphs.slice(0, 5))).logits.shape).toEqual([5, 2]);
      });
    }
    expect(() =>
      model.apply(batchGraphs([{ ...task.graphs[0]!, featDim: 1, x: new Float32Array(task.graphs[0]!.numNodes) }])),
    ).toThrow(/featDim: expected 10/);
    gcn.dispose();
    await expect(isolate(model, task.graphs, { ratio: 2 })).rejects.toThrow(/ratio/);
    await expect(isolate(model, [], {})).rejects.toThrow(/non-empty/);
    await expect(madeDefend(model, task.graphs, { clip: 0 })).rejects.toThrow(/clip/);
    await expect(madeDefend(model, task.graphs, { maskObjective: 'nope' as never })).rejects.toThrow(/maskObjective/);
    expect(
      () => new GraphClassifier({ arch: 'gat' as never, inDim: 2, hidden: 2, layers: 1, classes: 2, seed: 0 }),
    ).toThrow(/arch/);
    model.dispose();
  });
});
