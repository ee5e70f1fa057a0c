import { bench, describe } from 'vitest';
import { Adam, initBackend, tf } from '@lab/core';
import { ContrastiveEncoder, supConLoss, symNceLoss } from '../src/index.js';

// Sizes from issue 4, item 7: loss forward + backward at M ∈ {256, 1024} rows, D = 128, plus one
// training step of the MNIST miniature (batch 128 images → 256 rows, MLP 784-128-64 + head 64-64-32).
await initBackend('wasm');

for (const m of [256, 1024]) {
  // few samples: one M = 1024 forward + backward took seconds on a loaded 2-core machine (≈ 0.1–0.2 s now, idle)
  const opts = { time: 0, iterations: m > 256 ? 3 : 10, warmupIterations: 1 };
  const features = tf.randomNormal([m, 128], 0, 1, 'float32', 1) as tf.Tensor2D;
  const labels = Int32Array.from({ length: m }, (_, i) => (i * 7) % 10);
  describe(`losses, M = ${m}, D = 128 (forward + backward)`, () => {
    bench(
      'supConLoss',
      () => {
        tf.tidy(() =>
          tf
            .grad((x: tf.Tensor) => supConLoss(x, labels, { temperature: 0.5 }))(features)
            .dataSync(),
        );
      },
      opts,
    );
    bench(
      "symNceLoss (revForm 'mae')",
      () => {
        tf.tidy(() =>
          tf
            .grad((x: tf.Tensor) => symNceLoss(x, labels, { temperature: 0.5 }))(features)
            .dataSync(),
        );
      },
      opts,
    );
    bench(
      "symNceLoss (revForm 'linear')",
      () => {
        tf.tidy(() =>
          tf
            .grad((x: tf.Tensor) => symNceLoss(x, labels, { temperature: 0.5, beta: 0.2, revForm: 'linear' }))(features)
            .dataSync(),
        );
      },
      opts,
    );
  });
}

const encoder = new ContrastiveEncoder({ seed: 0 });
const optimizer = new Adam(encoder, { lr: 1e-3 });
const views = tf.randomUniform([256, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
const stepLabels = Int32Array.from({ length: 256 }, (_, i) => (i % 128) % 10);
describe('training step (miniature: 256 rows, MLP 784-128-64 + head 64-64-32, Adam)', () => {
  bench(
    'SymNCE-mae step',
    () => {
      optimizer.minimize(() => symNceLoss(encoder.project(encoder.features(views)), stepLabels, { temperature: 0.5 }));
    },
    { time: 0, iterations: 10, warmupIterations: 2 },
  );
  bench(
    'SupCon step',
    () => {
      optimizer.minimize(() => supConLoss(encoder.project(encoder.features(views)), stepLabels, { temperature: 0.5 }));
    },
    { time: 0, iterations: 10, warmupIterations: 2 },
  );
});
