import { bench, describe } from 'vitest';
import { Rng, initBackend, tf, valueAndGrads, disposeGrads } from '@lab/core';
import { GCNConv, GINConv, erdosRenyiEdges, graphFromPairs, nodeFeatures } from '../src/index.js';

await initBackend('wasm');
// One node-classification-sized graph: 10,000 nodes, ≈ 50,000 undirected edges, 64 features.
const rng = new Rng(0);
const n = 10_000;
const dim = 64;
const pairs = erdosRenyiEdges(n, 10 / n, rng);
const graph = graphFromPairs(
  n,
  pairs,
  Float32Array.from({ length: n * dim }, () => rng.normal()),
  dim,
);
const x = nodeFeatures(graph);
const gcn = new GCNConv({ inDim: dim, outDim: dim, seed: 0 });
const gin = new GINConv({ inDim: dim, outDim: dim, seed: 0 });

describe(`message passing (${n} nodes, ${graph.src.length} directed edges, ${dim} features)`, () => {
  for (const [name, layer] of [
    ['GCNConv', gcn],
    ['GINConv', gin],
  ] as const) {
    bench(`${name} forward + backward`, () => {
      const { value, grads } = valueAndGrads(
        () => tf.tidy(() => tf.mean(tf.square(layer.forward(x, graph))) as tf.Scalar),
        layer.namedParameters(),
      );
      value.dataSync();
      value.dispose();
      disposeGrads(grads);
    });
  }
});
