import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorLeak, tf } from '@lab/core';
import { ContrastiveEncoder, defaultEncoderConfig } from '../src/index.js';

describe('ContrastiveEncoder', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('is the miniature by default: 784-128-64 encoder, 64-64-32 head, seeded', () => {
    const a = new ContrastiveEncoder();
    const b = new ContrastiveEncoder();
    expect(a.config).toEqual(defaultEncoderConfig);
    expect(a.trainableVariables.map((v) => v.shape)).toEqual([
      [784, 128],
      [128],
      [128, 64],
      [64],
      [64, 64],
      [64],
      [64, 32],
      [32],
    ]);
    expect(a.parameters().map((v) => Array.from(v.dataSync()))).toEqual(
      b.parameters().map((v) => Array.from(v.dataSync())),
    );
    a.dispose();
    b.dispose();
  });

  it('maps [B, inputDim] to h [B, featureDim] (ReLU) and u [B, projDim], leaking nothing', async () => {
    const e = new ContrastiveEncoder({ inputDim: 6, hidden: [5], featureDim: 4, headHidden: 3, projDim: 2, seed: 1 });
    const x = tf.randomNormal([3, 6], 0, 1, 'float32', 2) as tf.Tensor2D;
    expect(
      await tensorLeak(() =>
        tf.tidy(() => {
          const h = e.features(x);
          expect(h.shape).toEqual([3, 4]);
          expect(Math.min(...h.dataSync())).toBeGreaterThanOrEqual(0);
          expect(e.project(h).shape).toEqual([3, 2]);
        }),
      ),
    ).toBe(0);
    expect(() => e.features(tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(/x: expected shape \[B, 6\]/);
    tf.dispose([x]);
    e.dispose();
  });
});
