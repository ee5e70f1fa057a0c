import { bench, describe } from 'vitest';
import { Adam, Rng, augmentBatch, initBackend, tf, valueAndGrads, disposeGrads } from '@lab/core';
import { MlpEncoder, TopKSAE, nclLoss, pool2 } from '../src/index.js';

// The hot paths of the standard replication: one NCL step (batch 256 → 512 rows, augmentation on 28×28,
// pooling, encoder 196-128-128, projector 128-128-128) and one full-batch top-k SAE step (2000 × 128, k = 16).
await initBackend('wasm');
const rng = new Rng(0);
const images = tf.tensor2d(rng.uniformArray(256 * 784), [256, 784]);
const encoder = new MlpEncoder({ inputDim: 196, hidden: 128, projDim: 128, numClasses: 0, seed: 0 });
const optimizer = new Adam(encoder, { lr: 1e-3 });
const augment = {
  imageSize: [28, 28] as [number, number],
  shift: 3,
  cutout: { size: 10 },
  jitter: { brightness: [0.6, 1] as [number, number] },
  noiseStd: 0.1,
};
const features = tf.tensor2d(rng.normalArray(2000 * 128), [2000, 128]);
const sae = new TopKSAE(128, { k: 16, steps: 1 });

describe('hot paths', () => {
  bench('NCL step: augment 2 views + pool + forward + backward + Adam (512 rows)', () => {
    const { value, grads } = valueAndGrads(
      () => {
        const views = pool2(
          tf.concat([augmentBatch(images, augment, rng), augmentBatch(images, augment, rng)], 0) as tf.Tensor2D,
          [28, 28],
        );
        return nclLoss(encoder.forward(views), undefined, { temperature: 0.5 }).loss;
      },
      encoder.namedParameters({ trainableOnly: true }),
    );
    optimizer.step(grads);
    value.dispose();
    disposeGrads(grads);
  });

  bench('top-k SAE: 10 full-batch steps (2000 × 128, k = 16)', async () => {
    await sae.fit(features, { steps: 10 });
  });
});
