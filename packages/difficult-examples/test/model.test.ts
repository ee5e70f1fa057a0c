import { Rng, initBackend, tensorLeak, tf } from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SimCLRModel, encode, resolveTrainOptions, trainSimCLR, twoViews } from '../src/index.js';

describe('SimCLR model and training loop', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('backbone and projector shapes; h is post-ReLU', () => {
    const model = new SimCLRModel({ inputDim: 16, hidden: [8], featureDim: 6, projHidden: 5, projDim: 3, seed: 1 });
    const x = tf.randomUniform([4, 16], 0, 1, 'float32', 2) as tf.Tensor2D;
    const h = model.backbone(x);
    const z = model.project(h);
    expect(h.shape).toEqual([4, 6]);
    expect(z.shape).toEqual([4, 3]);
    expect(Math.min(...h.dataSync())).toBeGreaterThanOrEqual(0);
    expect(model.trainableVariables.length).toBe(8);
    tf.dispose([x, h, z]);
    model.dispose();
  });

  it('two views are view-major, differ, and keep the batch', () => {
    const x = tf.randomUniform([3, 36], 0, 1, 'float32', 4) as tf.Tensor2D;
    const v = twoViews(x, { maxShift: 2, cropScale: null, noiseStd: 0 }, 6, new Rng(0));
    expect(v.shape).toEqual([6, 36]);
    const d = tf.tidy(
      () =>
        v
          .slice([0, 0], [3, -1])
          .sub(v.slice([3, 0], [3, -1]))
          .abs()
          .sum()
          .dataSync()[0]!,
    );
    expect(d).toBeGreaterThan(0);
    tf.dispose([x, v]);
  });

  it('trains every mode, logs selection, is deterministic per seed and leaks nothing', async () => {
    const x = tf.randomUniform([48, 64], 0, 1, 'float32', 5) as tf.Tensor2D;
    const small = {
      epochs: 2,
      batchSize: 8,
      imageSide: 8,
      model: { hidden: [16], featureDim: 8, projHidden: 8, projDim: 4 },
    };
    for (const mode of ['ntxent', 'remove', 'margin', 'temperature', 'combined'] as const) {
      const leaked = await tensorLeak(async () => {
        const { model, log } = await trainSimCLR({ x }, { ...small, mode });
        expect(log.length).toBe(2);
        expect(log[0]!.steps).toBe(6);
        expect(Number.isFinite(log[1]!.loss)).toBe(true);
        if (mode === 'ntxent') expect(log[0]!.selectedFraction).toBe(0);
        else expect(log[0]!.selectedFraction).toBeGreaterThan(0.5);
        model.dispose();
      });
      expect(leaked, mode).toBe(0);
    }
    const run = async () => {
      const { model, log } = await trainSimCLR({ x }, { ...small, mode: 'combined', seed: 3 });
      const h = encode(model, x, 20);
      const values = Array.from(h.dataSync());
      h.dispose();
      model.dispose();
      return { values, loss: log[1]!.loss };
    };
    const a = await run();
    const b = await run();
    expect(b.loss).toBe(a.loss);
    expect(b.values).toEqual(a.values);
    x.dispose();
  });

  it('rejects bad training input', async () => {
    const x = tf.ones([10, 64]) as tf.Tensor2D;
    await expect(trainSimCLR({ x }, { imageSide: 28 })).rejects.toThrow(/data.x: expected 28·28/);
    await expect(trainSimCLR({ x }, { imageSide: 8, batchSize: 16 })).rejects.toThrow(/at least batchSize = 16/);
    await expect(trainSimCLR({ x }, { imageSide: 8, mode: 'bogus' as never })).rejects.toThrow(/mode/);
    await expect(trainSimCLR({ x }, { imageSide: 8, loss: { rho: 0 } })).rejects.toThrow(/rho/);
    await expect(trainSimCLR({ x }, { imageSide: 8, selection: { posHigh: 0.9, posLow: 0.5 } })).rejects.toThrow(
      /posHigh/,
    );
    const nan = tf.fill([10, 64], Number.NaN) as tf.Tensor2D;
    await expect(trainSimCLR({ x: nan }, { imageSide: 8, batchSize: 4 })).rejects.toThrow(/data.x: expected finite/);
    expect(() => resolveTrainOptions({ augment: { cropScale: [0.8, 0.5] } })).toThrow(/cropScale/);
    expect(
      () => new SimCLRModel({ inputDim: 0, hidden: [4], featureDim: 2, projHidden: 2, projDim: 2, seed: 0 }),
    ).toThrow(/inputDim/);
    tf.dispose([x, nan]);
  });
});
