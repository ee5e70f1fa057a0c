import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import {
  C4Cnn,
  MlpEncoder,
  SmallCnn,
  encodeImages,
  pretrain,
  rotationAccuracy,
  type EsslOptions,
} from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** 64 synthetic 14×14 "digits": a bar whose orientation and position depend on the class. */
function toyData(n = 64) {
  const rng = new Rng(7);
  const px = new Float32Array(n * 196);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 4;
    for (let t = 2; t < 12; t++) {
      const [r, c] = y[i]! % 2 === 0 ? [3 + y[i]!, t] : [t, 3 + y[i]!];
      px[i * 196 + r * 14 + c] = 0.8 + 0.2 * rng.next();
    }
  }
  return { x: tf.tensor4d(px, [n, 14, 14, 1]), y };
}

describe('encoders', () => {
  it('map [B, 14, 14, 1] to their feature width', () => {
    const x = tf.zeros([3, 14, 14, 1]) as tf.Tensor4D;
    for (const [enc, dim] of [
      [new MlpEncoder({ width: 16 }), 16],
      [new SmallCnn(), 288],
      [new C4Cnn(), 144],
    ] as const) {
      expect(enc.featureDim).toBe(dim);
      const h = encodeImages(enc, x);
      expect(h.shape).toEqual([3, dim]);
      tf.dispose(h);
      enc.dispose();
    }
    x.dispose();
  });

  it('the C4-CNN features are invariant to rotating the centre 12×12 of an image (group pooling)', () => {
    // 12×12 inputs pool exactly (12 → 6 → 3), so the whole encoder is C4-invariant up to the spatial rotation of the 3×3 grid
    const enc = new C4Cnn({ inputSize: 12, seed: 3 });
    const x = tf.tensor4d(new Rng(1).uniformArray(2 * 144), [2, 12, 12, 1]);
    const xr = tf.tidy(() => tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 1));
    const a = encodeImages(enc, x).reshape([2, 3, 3, 16]);
    const b = encodeImages(enc, xr).reshape([2, 3, 3, 16]);
    const ar = tf.tidy(() => tf.reverse(tf.transpose(a, [0, 2, 1, 3]), 1));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(ar, b))).dataSync()[0]!)).toBeLessThan(1e-4);
    tf.dispose([x, xr, a, b, ar]);
    enc.dispose();
  });
});

describe('pretrain', () => {
  it('learns rotation prediction on toy data, and rotationAccuracy scores the head', async () => {
    const { x, y } = toyData();
    const enc = new MlpEncoder({ width: 32, seed: 1 });
    const { log, head } = await pretrain({ x }, enc, { epochs: 12, batchSize: 32, lr: 1e-2, maxShift: 0 });
    expect(log).toHaveLength(24);
    expect(log.at(-1)!.rotLoss).toBeLessThan(log[0]!.rotLoss);
    const acc = rotationAccuracy(enc, head, x, y, { even: [0, 2] });
    expect(acc.all).toBeGreaterThan(0.5);
    expect(acc.even).toBeGreaterThanOrEqual(0);
    tf.dispose(x);
    head.dispose();
    enc.dispose();
  });

  it('runs every task, mode, the faithful quirks and SimCLR + rot on every encoder kind', async () => {
    const { x, y } = toyData(16);
    const cases = [
      { task: 'hflip' },
      { task: 'vflip' },
      { task: 'invert' },
      { task: 'blur', blurKernels: [3, 5, 5] },
      { task: 'blur', faithful: true, blurKernels: [3, 5, 5] },
      { task: 'jigsaw' },
      { task: 'rotation', mode: 'add' },
      { task: 'rotation', mode: 'eliminate' },
      { task: 'rotation', mode: 'eliminate', faithful: true },
      { task: 'rotation', combineSimCLR: 0.4 },
      { task: 'none', combineSimCLR: 1 },
    ] as Partial<EsslOptions>[];
    for (const c of cases) {
      const enc = new MlpEncoder({ width: 8 });
      const { log, head } = await pretrain({ x, y }, enc, { epochs: 1, batchSize: 8, ...c });
      expect(log.length, JSON.stringify(c)).toBe(c.task === 'none' ? 0 : 2);
      expect(log.every((l) => Number.isFinite(l.rotLoss))).toBe(true);
      head.dispose();
      enc.dispose();
    }
    for (const enc of [new SmallCnn({ seed: 1 }), new C4Cnn({ fields: [2, 2], seed: 1 })]) {
      const before = encodeImages(enc, x);
      const { head } = await pretrain({ x }, enc, { epochs: 1, batchSize: 8 });
      const after = encodeImages(enc, x);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(after, before))).dataSync()[0]!)).toBeGreaterThan(0);
      tf.dispose([before, after]);
      head.dispose();
      enc.dispose();
    }
    tf.dispose(x);
  });

  it("task 'none' trains nothing: the encoder keeps its random initialisation", async () => {
    const { x } = toyData(8);
    const enc = new MlpEncoder({ width: 8 });
    const w = enc.fc1.weight.clone();
    const { log, head } = await pretrain({ x }, enc, { task: 'none' });
    expect(log).toHaveLength(0);
    expect(Array.from(enc.fc1.weight.dataSync())).toEqual(Array.from(w.dataSync()));
    tf.dispose([x, w]);
    head.dispose();
    enc.dispose();
  });

  it('is deterministic for a seed', async () => {
    const { x } = toyData(16);
    const run = async () => {
      const enc = new MlpEncoder({ width: 8, seed: 2 });
      const { log, head } = await pretrain({ x }, enc, { epochs: 1, batchSize: 8, seed: 5 });
      head.dispose();
      enc.dispose();
      return log;
    };
    expect(await run()).toEqual(await run());
    tf.dispose(x);
  });

  it('leaks no tensors: tf.memory().numTensors is flat over a loop of pretrain', async () => {
    const { x, y } = toyData(16);
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const enc = new MlpEncoder({ width: 8, seed: i });
      const { head } = await pretrain({ x, y }, enc, {
        epochs: 1,
        batchSize: 8,
        mode: i % 2 ? 'eliminate' : 'add',
        combineSimCLR: i === 3 ? 0.4 : 0,
      });
      head.dispose();
      enc.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    tf.dispose(x);
  });
});
