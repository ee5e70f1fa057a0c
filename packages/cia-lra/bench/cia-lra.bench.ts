import { bench, describe } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { cbasGraph, ciaLoss, ciaLraLoss, lraPairs, trainNodeOOD, type NodeOODMethod } from '../src/index.js';

await initBackend('wasm');

// GOOD-CBAS size (700 nodes) for the graph-only preprocessing and the losses.
const mini = cbasGraph({ seed: 0 });
const miniPairs = lraPairs(mini, { details: false });
const h = tf.randomNormal([mini.numNodes, 64], 0, 1, 'float32', 1) as tf.Tensor2D;

describe('CIA-LRA pair table and losses (700 nodes, hidden 64)', () => {
  bench(
    'lraPairs (t = 3, exact hops, training labels)',
    () => {
      lraPairs(mini, { details: false });
    },
    { iterations: 3, time: 0, warmupIterations: 0 },
  );
  bench(
    'ciaLoss forward + backward',
    () => {
      tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) => ciaLoss(x as tf.Tensor2D, mini.y, mini.env))(h)
          .dataSync(),
      );
    },
    { iterations: 5, time: 0, warmupIterations: 1 },
  );
  bench(
    'ciaLraLoss forward + backward',
    () => {
      tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) => ciaLraLoss(x as tf.Tensor2D, miniPairs))(h)
          .dataSync(),
      );
    },
    { iterations: 5, time: 0, warmupIterations: 1 },
  );
});

// The benchmark: one full-batch epoch of each method on a 10k-node graph (4,300 BA nodes + 1,140 houses).
const big = cbasGraph({ seed: 0, baseNodes: 4300, houses: 1140 });
const bigPairs = lraPairs(big, { details: false });
const methods: [NodeOODMethod, number][] = [
  ['erm', 0],
  ['irm', 1],
  ['vrex', 10],
  ['cia', 0.01],
  ['cia-lra', 0.01],
];

describe(`one training epoch, ${big.numNodes} nodes (hidden 64, penalty on from epoch 0)`, () => {
  for (const [method, lambda] of methods) {
    bench(
      method,
      async () => {
        await trainNodeOOD(big, { method, lambda, epochs: 1, penaltyStartEpoch: 0, hidden: 64 }, { pairs: bigPairs });
      },
      { iterations: 2, time: 0, warmupIterations: 0 },
    );
  }
});
