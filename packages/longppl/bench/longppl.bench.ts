import { bench, describe } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import { CausalLM, llamaConfig, nextTokenNll, tokenNll } from '@lab/lm';
import { keyMask, longCELoss, windowSchedule } from '../src/index.js';

await initBackend('wasm');
// The benchmark model: tiny LLaMA (d = 64, 2 layers, 4 heads / 2 KV heads, byte vocabulary).
const model = CausalLM.random(
  llamaConfig({ vocabSize: 258, hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 172 }),
  { seed: 0 },
);
const rng = new Rng(0);
const ids = (n: number) => Int32Array.from({ length: n }, () => rng.int(256));
const doc1k = ids(1024);
const doc4k = ids(4096);
const batch = tf.tensor2d(ids(4 * 256), [4, 256], 'int32');
const optimizer = tf.train.adam(1e-3);
const weights = new Float32Array(255).fill(1);

describe('scoring (next-token NLL, query-chunked attention)', () => {
  bench(
    'tiny LLaMA, 1k tokens (tokens/s = 1024 × hz)',
    () => {
      nextTokenNll(model, doc1k);
    },
    { iterations: 3, time: 0 },
  );
  bench(
    'tiny LLaMA, 4k tokens (tokens/s = 4096 × hz)',
    () => {
      nextTokenNll(model, doc4k);
    },
    { iterations: 2, time: 0 },
  );
});

describe('training', () => {
  bench(
    'CE step, batch 4 × 256 tokens (tokens/s = 1024 × hz)',
    () => {
      tf.tidy(
        () =>
          void optimizer.minimize(() => tokenNll(model, batch).mean() as tf.Scalar, false, model.trainableVariables()),
      );
    },
    { iterations: 3, time: 0 },
  );
  bench(
    'LongCE loss step, 1 × 256 tokens',
    () => {
      tf.tidy(
        () =>
          void optimizer.minimize(
            () => longCELoss(tokenNll(model, batch.slice([0, 0], [1, 256])).reshape([255]) as tf.Tensor1D, weights),
            false,
            model.trainableVariables(),
          ),
      );
    },
    { iterations: 3, time: 0 },
  );
});

describe('pure core', () => {
  const a = Float32Array.from({ length: 28672 }, () => rng.uniform(0, 5));
  const b = Float32Array.from({ length: 28672 }, () => rng.uniform(0, 9));
  bench('windowSchedule + keyMask at n = 32768 (K = 4096, d = 1024)', () => {
    windowSchedule(32768, 4096, 1024);
    keyMask(a, b, 2, -2);
  });
});
