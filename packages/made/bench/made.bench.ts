import { bench, describe } from 'vitest';
import { Adam, Rng, initBackend, tf } from '@lab/core';
import { barabasiAlbertEdges, graphClassificationDataset, undirectedEdges, type GraphBatch } from '@lab/graph';
import { GCN, GIN, crossEntropyPerSample, trainClassifier } from '../src/index.js';

await initBackend('wasm');

// 1,000 graphs of ~30 nodes (BA-2motif, degree features), one GIN training epoch (3 layers, hidden 32, batch 32).
const graphs = graphClassificationDataset({
  numGraphs: 1000,
  minNodes: 22,
  maxNodes: 28,
  features: 'degree',
  maxDegree: 6,
  seed: 0,
});
const gin = new GIN({ inDim: graphs[0]!.featDim, hidden: 32, layers: 3, classes: 2, seed: 0 });

// One graph of 10k nodes and ~50k directed edges (BA, m = 3 → 2·3·10k), GCN forward + backward (2 layers, hidden 64).
const n = 10_000;
const { src, dst } = undirectedEdges(barabasiAlbertEdges(n, 3, new Rng(1)));
const big: GraphBatch = {
  numNodes: n,
  featDim: 16,
  x: new Rng(2).normalArray(n * 16),
  src,
  dst,
  batch: new Int32Array(n),
  ptr: Int32Array.from([0, n]),
  edgePtr: Int32Array.from([0, src.length]),
  numGraphs: 1,
  labels: Int32Array.from([1]),
};
const gcn = new GCN({ inDim: 16, hidden: 64, layers: 2, classes: 2, seed: 0 });
const opt = new Adam(gcn, { lr: 0.01 });

describe('made training', () => {
  bench(
    'GIN epoch, 1,000 graphs × ~30 nodes (batch 32)',
    async () => {
      await trainClassifier(gin, graphs, { epochs: 1 });
    },
    { iterations: 2, warmupIterations: 0, time: 0 },
  );

  bench(
    `GCN forward + backward + Adam step, ${n} nodes / ${src.length} edges`,
    () => {
      opt.minimize(() => tf.mean(crossEntropyPerSample(gcn.apply(big).logits, big.labels!)) as tf.Scalar);
    },
    { iterations: 3, warmupIterations: 1, time: 0 },
  );
});
