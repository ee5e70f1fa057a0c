import { bench, describe } from 'vitest';
import { initBackend, ntXentLoss, tf } from '@lab/core';
import { difficultPairLoss, selectDifficultPairs, trainSimCLR } from '../src/index.js';

// Issue 5, item 7: the loss at batch B ∈ {256, 1024} items (2B = 512 and 2048 rows), projector width 32
// (the miniature's) and backbone width 64 for the selection; plus one epoch of the MNIST-sized miniature.
await initBackend('wasm');

for (const items of [256, 1024]) {
  const rows = 2 * items;
  const opts = { time: 0, iterations: items > 256 ? 3 : 10, warmupIterations: 1 };
  const z = tf.randomNormal([rows, 32], 0, 1, 'float32', 1) as tf.Tensor2D;
  const h = tf.randomNormal([rows, 64], 0, 1, 'float32', 2) as tf.Tensor2D;
  const { P } = selectDifficultPairs(h);
  describe(`batch B = ${items} (${rows} rows), z: 32, h: 64`, () => {
    bench(
      'ntXentLoss (@lab/core), forward + backward',
      () => {
        tf.tidy(() =>
          tf
            .grad((x: tf.Tensor) => ntXentLoss(x, 0.5))(z)
            .dataSync(),
        );
      },
      opts,
    );
    bench(
      "difficultPairLoss 'combined' (Eq. 16), forward + backward",
      () => {
        tf.tidy(() =>
          tf
            .grad((x: tf.Tensor) => difficultPairLoss(x as tf.Tensor2D, P))(z)
            .dataSync(),
        );
      },
      opts,
    );
    bench(
      'selectDifficultPairs (global percentiles, host sort)',
      () => {
        selectDifficultPairs(h).P.dispose();
      },
      opts,
    );
  });
}

const images = tf.randomUniform([1024, 784], 0, 1, 'float32', 3) as tf.Tensor2D;
describe('one epoch of the miniature recipe on 1,024 images (8 steps of B = 128)', () => {
  for (const mode of ['ntxent', 'combined'] as const) {
    bench(
      `trainSimCLR mode '${mode}'`,
      async () => {
        (await trainSimCLR({ x: images }, { mode, epochs: 1 })).model.dispose();
      },
      { time: 0, iterations: 3, warmupIterations: 1 },
    );
  }
});
