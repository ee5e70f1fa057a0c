import { describe, expect, it } from 'vitest';
import { twoDigitImages, loadMiniature } from '../src/index.js';

describe('miniature data', () => {
  it('two-digit images put digit a left and b right, class 10a + b', () => {
    const digits = {
      images: Float32Array.from({ length: 3 * 4 }, (_, i) => Math.floor(i / 4) + 1),
      labels: Int32Array.from([4, 7, 9]),
      count: 3,
      height: 2,
      width: 2,
    };
    const pairs = twoDigitImages(digits, [0, 1, 2], 3, 1);
    expect(pairs.width).toBe(4);
    const b0 = (7919 * 0 + 1) % 3;
    expect(pairs.labels[0]).toBe(10 * 4 + digits.labels[b0]!);
    expect(Array.from(pairs.images.subarray(0, 4))).toEqual([1, 1, b0 + 1, b0 + 1]);
  });

  it('loads the golden-ratio splits of MNIST (and MNIST-100) with the asked sizes', async () => {
    const d = await loadMiniature({ dataset: 'mnist', pretrainSize: 300, probeSize: 100, testSize: 50 });
    expect([d.pretrain.count, d.probe.count, d.test.count, d.numClasses]).toEqual([300, 100, 50, 10]);
    expect(Array.from(d.probe.labels)).toEqual(Array.from(d.pretrain.labels.subarray(0, 100)));
    expect(new Set(d.probe.labels).size).toBe(10);
    const p = await loadMiniature({ dataset: 'mnist100', pretrainSize: 300, probeSize: 100, testSize: 50 });
    expect([p.pretrain.width, p.numClasses, p.test.count]).toEqual([56, 100, 50]);
    expect(Math.max(...p.pretrain.labels)).toBeLessThan(100);
  });
});
