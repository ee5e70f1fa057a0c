import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tensorLeak, tf } from '@lab/core';
import { TopKSAE } from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const data = (n: number, d: number, seed = 0) => tf.tensor2d(new Rng(seed).normalArray(n * d), [n, d]) as tf.Tensor2D;

describe('TopKSAE', () => {
  it('owns W_enc [L, D], b_lat [L], W_dec [D, L], b_pre [D] and defaults to L = D, k = D/8', () => {
    const sae = new TopKSAE(16);
    expect(sae.options.latents).toBe(16);
    expect(sae.options.k).toBe(2);
    expect(sae.trainableVariables.map((v) => v.shape)).toEqual([[16, 16], [16], [16, 16], [16]]);
    sae.dispose();
  });

  it('encodes to at most k positive latents per row and decodes back to D', () => {
    const sae = new TopKSAE(12, { latents: 24, k: 3 });
    const x = data(10, 12);
    const { pre, latents, indices } = sae.encode(x);
    expect(pre.shape).toEqual([10, 24]);
    expect(indices.shape).toEqual([10, 3]);
    const rows = latents.arraySync();
    for (const row of rows) expect(row.filter((v) => v !== 0).length).toBeLessThanOrEqual(3);
    const rec = sae.decode(latents);
    expect(rec.shape).toEqual([10, 12]);
    tf.dispose([x, pre, latents, indices, rec]);
    sae.dispose();
  });

  it('fit lowers the normalised MSE; the decoder learning rate is its own', async () => {
    const x = data(64, 8, 1);
    const a = new TopKSAE(8, { k: 4, seed: 3 });
    const before = a.loss(x).dataSync()[0]!;
    const { finalLoss } = await a.fit(x, { steps: 60, lr: 1e-2, decoderLr: 1e-2 });
    expect(finalLoss).toBeLessThan(before);
    const b = new TopKSAE(8, { k: 4, seed: 3 });
    await b.fit(x, { steps: 5, lr: 1e-2, decoderLr: 1e-4 });
    const c = new TopKSAE(8, { k: 4, seed: 3 });
    await c.fit(x, { steps: 5, lr: 1e-2, decoderLr: 1e-2 });
    const dDec = tf.tidy(() => tf.sub(b.wDec, c.wDec).abs().max().dataSync()[0]!);
    const dEnc = tf.tidy(() => tf.sub(b.wEnc, c.wEnc).abs().max().dataSync()[0]!);
    expect(dDec).toBeGreaterThan(1e-3);
    expect(dEnc).toBeLessThan(dDec);
    [a, b, c].forEach((s) => s.dispose());
    x.dispose();
  });

  it('minibatches, unit-norm decoder columns and dead-latent counting', async () => {
    const x = data(40, 6, 2);
    const sae = new TopKSAE(6, { latents: 12, k: 2, unitNormDecoder: true, batchSize: 16 });
    await sae.fit(x, { steps: 6 });
    const norms = tf.tidy(() => tf.norm(sae.wDec, 'euclidean', 0).dataSync());
    for (const n of norms) expect(n).toBeCloseTo(1, 4);
    const dead = sae.deadLatents(x);
    expect(dead).toBeGreaterThanOrEqual(0);
    expect(dead).toBeLessThanOrEqual(12);
    sae.dispose();
    x.dispose();
  });

  it('leaks no tensors over a loop of fit (the public training entry point)', async () => {
    const x = data(32, 6, 4);
    const sae = new TopKSAE(6, { k: 2 });
    await sae.fit(x, { steps: 2 });
    const leaked = await tensorLeak(async () => {
      for (let i = 0; i < 5; i++) await sae.fit(x, { steps: 3 });
    });
    expect(leaked).toBe(0);
    sae.dispose();
    x.dispose();
  });
});
