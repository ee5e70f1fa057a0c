import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorLeak, type ProgressEvent } from '@lab/core';
import {
  GIN,
  GraphClassifier,
  ablDefend,
  backdoorTask,
  evaluateBackdoor,
  isolate,
  madeDefend,
  predict,
  trainClassifier,
  TASK_FEATURES,
} from '../src/index.js';

const tiny = () => backdoorTask({ numTrain: 60, numTest: 20, seed: 3 });

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
    await expect(isolate(model, task.graphs, { ratio: 2 })).rejects.toThrow(/ratio/);
    await expect(isolate(model, [], {})).rejects.toThrow(/non-empty/);
    await expect(madeDefend(model, task.graphs, { clip: 0 })).rejects.toThrow(/clip/);
    await expect(madeDefend(model, task.graphs, { maskObjective: 'nope' as never })).rejects.toThrow(/maskObjective/);
    model.dispose();
  });

  it('training reports per-epoch losses and progress events, deterministically per seed', async () => {
    const task = tiny();
    const run = async () => {
      const model = new GIN({ inDim: TASK_FEATURES, hidden: 8, layers: 2, classes: 2, seed: 1 });
      const events: ProgressEvent[] = [];
      const epochs: number[] = [];
      const losses = await trainClassifier(model, task.graphs, {
        epochs: 2,
        batchSize: 16,
        seed: 5,
        onProgress: (e) => events.push(e),
        onEpoch: (e) => epochs.push(e.epoch),
      });
      const { predictions, ce } = predict(model, task.graphs.slice(0, 7), { chunk: 3 });
      model.dispose();
      return { losses, events, epochs, predictions: Array.from(predictions), ce: Array.from(ce!) };
    };
    const a = await run();
    expect(a.losses).toHaveLength(2);
    expect(a.epochs).toEqual([0, 1]);
    // 60 graphs in batches of 16: 4 steps per epoch, reported as steps of 8
    expect(a.events.at(-1)).toEqual({ stage: 'train', done: 8, total: 8 });
    expect(a.predictions).toHaveLength(7);
    expect(await run()).toEqual(a);
  });
});
