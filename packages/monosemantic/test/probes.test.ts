import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import { addInputNoise, linearProbe, symmetricLabelNoise } from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('symmetricLabelNoise (properties: the sampler is RNG-based, spec §6)', () => {
  const labels = Int32Array.from({ length: 5000 }, (_, i) => i % 10);
  const noisy = symmetricLabelNoise(labels, 0.37, 10, new Rng(1));

  it('changes exactly ⌊rN⌋ labels and never to the original class', () => {
    let changed = 0;
    for (let i = 0; i < labels.length; i++) if (noisy[i] !== labels[i]) changed++;
    expect(changed).toBe(Math.floor(0.37 * 5000));
  });

  it('draws the new classes uniformly among the other C − 1 (χ² test)', () => {
    // offset (new − old) mod C is uniform on 1..9 under flip-to-other.
    const counts = new Array(10).fill(0);
    for (let i = 0; i < labels.length; i++) if (noisy[i] !== labels[i]) counts[(noisy[i]! - labels[i]! + 10) % 10]++;
    expect(counts[0]).toBe(0);
    const n = counts.reduce((a, b) => a + b, 0);
    const chi2 = counts.slice(1).reduce((s, c) => s + (c - n / 9) ** 2 / (n / 9), 0);
    expect(chi2).toBeLessThan(26.1); // χ²(8) at p = 0.001
  });

  it('rate 0 and rate 1', () => {
    expect(symmetricLabelNoise(labels, 0, 10, new Rng(0))).toEqual(labels);
    const all = symmetricLabelNoise(labels, 1, 10, new Rng(0));
    expect(all.every((v, i) => v !== labels[i])).toBe(true);
  });
});

describe('addInputNoise', () => {
  it('gaussian: zero mean, σ spread; uniform: mean s/2 (not zero-mean, as the official code)', () => {
    const x = tf.zeros([200, 50]);
    const g = addInputNoise(x, 'gaussian', 0.6, new Rng(0));
    const u = addInputNoise(x, 'uniform', 0.4, new Rng(0));
    const { mean: gm, variance: gv } = tf.moments(g);
    expect(Math.abs(gm.dataSync()[0]!)).toBeLessThan(0.02);
    expect(Math.sqrt(gv.dataSync()[0]!)).toBeCloseTo(0.6, 1);
    expect(tf.mean(u).dataSync()[0]).toBeCloseTo(0.2, 2);
    expect(tf.min(u).dataSync()[0]).toBeGreaterThanOrEqual(0);
    tf.dispose([x, g, u, gm, gv]);
  });
});

describe('linearProbe', () => {
  it('separates separable features and predicts new rows with the fitted classifier', async () => {
    const rng = new Rng(2);
    const n = 300;
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const f = tf.tensor2d(
      Float32Array.from({ length: n * 3 }, (_, k) => (k % 3 === y[Math.floor(k / 3)]! ? 2 : 0) + 0.3 * rng.normal()),
      [n, 3],
    ) as tf.Tensor2D;
    const probe = await linearProbe(f, y, f, y, { epochs: 20 });
    expect(probe.acc).toBeGreaterThan(0.95);
    const predicted = probe.predict(f);
    const agree = predicted.filter((p, i) => p === y[i]).length / n;
    expect(agree).toBeCloseTo(probe.acc, 5);
    for (const protocol of ['standardizedAdam', 'l2Adam'] as const) {
      const p = await linearProbe(f, y, f, y, { protocol, epochs: 30 });
      expect(p.predict(f).filter((v, i) => v === y[i]).length / n).toBeCloseTo(p.acc, 5);
    }
    f.dispose();
  });
});
