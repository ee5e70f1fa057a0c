import { readFileSync } from 'node:fs';
import { LabError, Rng, flatten, initBackend, tensorLeak, tf } from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  estimateAlphaBetaGamma,
  keptIndices,
  lowestMarginPerClass,
  mixDifficult,
  outOfFoldMargins,
  randomRemoval,
  top2Margin,
} from '../src/index.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/difficult-examples.json', import.meta.url), 'utf8'));
const ref = golden.margin_removal;

describe('supervised margin scoring and per-class removal', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('top2Margin matches the golden margins to 1e-6', () => {
    const logits = tf.tensor2d(ref.logits as number[][]);
    const m = top2Margin(logits);
    const want = flatten(ref.top2_margin);
    m.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-6));
    logits.dispose();
  });

  it('lowestMarginPerClass matches the golden indices exactly (golden and our own margins)', () => {
    const labels = Int32Array.from(ref.labels as number[]);
    const logits = tf.tensor2d(ref.logits as number[][]);
    const ours = top2Margin(logits);
    logits.dispose();
    for (const frac of ['0.2', '0.4']) {
      const want = ref[`removed_frac_${frac}`] as number[];
      expect(Array.from(lowestMarginPerClass(ref.top2_margin, labels, Number(frac)))).toEqual(want);
      expect(Array.from(lowestMarginPerClass(ours, labels, Number(frac)))).toEqual(want);
    }
  });

  it('rounds ⌊frac·n_c + 0.5⌋ per class and breaks ties by lower index', () => {
    const labels = Int32Array.from([0, 0, 0, 0, 1, 1]);
    const margins = [0.5, 0.1, 0.1, 0.9, 0.3, 0.2];
    // class 0: ⌊0.25·4 + 0.5⌋ = 1 → index 1 (tie with 2, lower index wins); class 1: ⌊0.25·2 + 0.5⌋ = 1 → index 5
    expect(Array.from(lowestMarginPerClass(margins, labels, 0.25))).toEqual([1, 5]);
    expect(Array.from(lowestMarginPerClass(margins, labels, 0))).toEqual([]);
  });

  it('rejects invalid input', () => {
    const labels = Int32Array.from([0, 1]);
    expect(() => lowestMarginPerClass([0.1, 0.2], labels, 1)).toThrow(/frac/);
    expect(() => lowestMarginPerClass([0.1, 0.2], labels, -0.1)).toThrow(/frac/);
    expect(() => lowestMarginPerClass([0.1], labels, 0.2)).toThrow(/margins: expected 2 values/);
    expect(() => lowestMarginPerClass([0.1, Number.NaN], labels, 0.2)).toThrow(/margins: expected finite/);
    const one = tf.ones([3, 1]) as tf.Tensor2D;
    expect(() => top2Margin(one)).toThrow(/at least 2 classes/);
    one.dispose();
    expect(() => randomRemoval(5, 6, new Rng(0))).toThrow(/count/);
    expect(() => keptIndices(3, [3])).toThrow(/removed/);
  });

  it('outOfFoldMargins scores every example from a model that never saw it, and leaks nothing', async () => {
    // Two well-separated Gaussian blobs plus a few points placed exactly between them: the in-between points must get the lowest margins.
    const rng = new Rng(1);
    const n = 120;
    const d = 4;
    const x = new Float32Array(n * d);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      const centre = i < 110 ? (i % 2 === 0 ? -2 : 2) : 0; // the last 10 are ambiguous
      for (let k = 0; k < d; k++) x[i * d + k] = centre + 0.3 * rng.normal();
    }
    const xt = tf.tensor2d(x, [n, d]);
    let margins: Float32Array = new Float32Array(0);
    const leaked = await tensorLeak(async () => {
      margins = await outOfFoldMargins(xt, labels, {
        folds: 3,
        hidden: 16,
        epochs: 20,
        batchSize: 32,
        lr: 1e-2,
        seed: 0,
      });
    });
    expect(leaked).toBe(0);
    expect(margins.length).toBe(n);
    const removed = lowestMarginPerClass(margins, labels, 10 / 120);
    const caught = Array.from(removed).filter((i) => i >= 110).length;
    expect(caught).toBeGreaterThanOrEqual(8);
    await expect(outOfFoldMargins(xt, labels.subarray(1), {})).rejects.toThrow(/labels: expected 120/);
    await expect(outOfFoldMargins(xt, labels, { folds: 1 })).rejects.toThrow(/folds/);
    xt.dispose();
  });

  it('randomRemoval and keptIndices partition the data', () => {
    const removed = randomRemoval(50, 20, new Rng(3));
    expect(new Set(removed).size).toBe(20);
    const kept = keptIndices(50, removed);
    expect(kept.length + removed.length).toBe(50);
    expect([...kept, ...removed].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(randomRemoval(50, 20, new Rng(3)))).toEqual(Array.from(removed));
  });
});

describe('ω-mixing and the α/β/γ estimator', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('mixes ⌊ω·N + 0.5⌋ images with different-class partners, keeping the rest untouched', () => {
    const n = 40;
    const dim = 6;
    const x = Float32Array.from({ length: n * dim }, (_, i) => (i % 7) / 7);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
    const { x: mixed, mixedIdx, partnerIdx } = mixDifficult(x, labels, 0.3, new Rng(5), { dim });
    expect(mixedIdx.length).toBe(12);
    const isMixed = new Set(mixedIdx);
    mixedIdx.forEach((i, k) => {
      const j = partnerIdx[k]!;
      expect(labels[j]).not.toBe(labels[i]);
      for (let p = 0; p < dim; p++)
        expect(mixed[i * dim + p]).toBeCloseTo(0.5 * x[i * dim + p]! + 0.5 * x[j * dim + p]!, 6);
    });
    for (let i = 0; i < n; i++)
      if (!isMixed.has(i))
        expect(Array.from(mixed.subarray(i * dim, (i + 1) * dim))).toEqual(
          Array.from(x.subarray(i * dim, (i + 1) * dim)),
        );
    expect(x[0]).toBe(0); // input untouched
    expect(mixDifficult(x, labels, 0, new Rng(5), { dim }).mixedIdx.length).toBe(0);
    expect(() => mixDifficult(x, labels, 1.5, new Rng(5), { dim })).toThrow(/omega/);
    expect(() => mixDifficult(x, labels, -0.1, new Rng(5), { dim })).toThrow(/omega/);
    expect(() => mixDifficult(x.subarray(1), labels, 0.3, new Rng(5), { dim })).toThrow(/x: expected 40/);
  });

  it('estimateAlphaBetaGamma averages cosines over the three kinds of pair', () => {
    // rows: class 0 = e1, e1; class 1 = e2, and a flagged class-1 row halfway to e1.
    const f = tf.tensor2d([
      [1, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const est = estimateAlphaBetaGamma(f, Int32Array.from([0, 0, 1, 1]), Uint8Array.from([0, 0, 0, 1]));
    const c = Math.SQRT1_2;
    expect(est.alpha).toBeCloseTo((2 * 1 + 2 * c) / 4, 6); // (0,1),(1,0),(2,3),(3,2)
    expect(est.beta).toBeCloseTo(0, 6); // (0,2),(1,2) both ways
    expect(est.gamma).toBeCloseTo(c, 6); // (0,3),(1,3) both ways
    expect(() => estimateAlphaBetaGamma(f, Int32Array.from([0, 0, 1]), Uint8Array.from([0, 0, 0, 1]))).toThrow(
      /labels: expected 4/,
    );
    f.dispose();
  });

  it('rejects non-finite features', () => {
    const f = tf.tensor2d([
      [1, Number.NaN],
      [1, 0],
    ]);
    expect(() => estimateAlphaBetaGamma(f, Int32Array.from([0, 1]), Uint8Array.from([0, 0]))).toThrow(LabError);
    f.dispose();
  });
});
