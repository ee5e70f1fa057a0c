import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import { MlpEncoder, pool2, pretrain } from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const images = (n: number, seed = 0) => tf.tensor2d(new Rng(seed).uniformArray(n * 784), [n, 784]) as tf.Tensor2D;
const tiny = { steps: 3, batchSize: 8, hidden: 8, projDim: 8 };

describe('pretrain', () => {
  it('pools 28×28 to 14×14 by 2×2 means', () => {
    const x = tf.tensor2d(
      Float32Array.from({ length: 784 }, (_, i) => i),
      [1, 784],
    ) as tf.Tensor2D;
    const p = pool2(x, [28, 28]);
    expect(p.shape).toEqual([1, 196]);
    expect(p.dataSync()[0]).toBeCloseTo((0 + 1 + 28 + 29) / 4, 5);
    tf.dispose([x, p]);
  });

  it.each(['cl', 'ncl'] as const)('trains a %s encoder and logs one finite loss per step', async (method) => {
    const x = images(32);
    const { encoder, log } = await pretrain({ x }, { ...tiny, method });
    expect(log).toHaveLength(3);
    expect(log.every(Number.isFinite)).toBe(true);
    expect(encoder).toBeInstanceOf(MlpEncoder);
    const pooled = pool2(x, [28, 28]);
    const u = encoder.embed(pooled);
    expect(u.shape).toEqual([32, 8]);
    tf.dispose([x, pooled, u]);
    encoder.dispose();
  });

  it('repRelu, no augmentation, and the online classifier (detached or not) all run', async () => {
    const x = images(24, 1);
    const labels = Int32Array.from({ length: 24 }, (_, i) => i % 3);
    for (const onlineProbeDetach of [true, false]) {
      const { encoder, log } = await pretrain(
        { x, labels },
        { ...tiny, nonNeg: 'repRelu', augment: false, onlineProbeDetach, steps: 2 },
      );
      expect(encoder.classifier).not.toBeNull();
      expect(log.every(Number.isFinite)).toBe(true);
      encoder.dispose();
    }
    x.dispose();
  });

  it('the same seed gives the same run', async () => {
    const x = images(32, 2);
    const a = await pretrain({ x }, { ...tiny, seed: 5 });
    const b = await pretrain({ x }, { ...tiny, seed: 5 });
    expect(a.log).toEqual(b.log);
    a.encoder.dispose();
    b.encoder.dispose();
    x.dispose();
  });

  it('keeps tf.memory().numTensors flat over a loop of pretrain', async () => {
    const x = images(32, 3);
    (await pretrain({ x }, tiny)).encoder.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) (await pretrain({ x }, { ...tiny, seed: i })).encoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
