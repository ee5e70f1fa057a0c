import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, gradCheck, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import {
  GATConv,
  GCNConv,
  GINConv,
  SAGEConv,
  gatConv,
  gcnConv,
  ginConv,
  globalMaxPool,
  globalMeanPool,
  globalSumPool,
  propagate,
  sageConv,
  segmentSum,
  gatherNodes,
  undirectedEdges,
  type GraphStructure,
} from '../src/index.js';

// Golden vectors of the MADE spec (shared/golden/made.json): GCN/GIN on two small graphs.
const golden = JSON.parse(readFileSync(new URL('./fixtures/graph-made-golden.json', import.meta.url), 'utf8'));
const inp = golden.inputs;
const out = golden.outputs;
const pairs = inp.edges as [number, number][];
const g: GraphStructure = { numNodes: inp.N, ...undirectedEdges(pairs) };
const batch = Int32Array.from(inp.batch as number[]);
const P = inp.params as Record<string, number[][] | number[] | number>;
const t2 = (k: string) => tf.tensor2d(P[k] as number[][]);
const t1 = (k: string) => tf.tensor1d(P[k] as number[]);

function expectClose(actual: tf.Tensor | ArrayLike<number>, expected: unknown, rtol = 1e-5): void {
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  const { error, index } = maxRelativeError(
    a,
    ArrayBuffer.isView(expected) ? Array.from(expected as Float32Array) : flatten(expected),
    1e-6,
  );
  expect(error, `worst entry ${index}`).toBeLessThan(rtol);
}

function crossEntropyPerRow(logits: tf.Tensor2D, labels: number[]): tf.Tensor1D {
  return tf.tidy(
    () => tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, logits.shape[1])), 1)) as tf.Tensor1D,
  );
}

function ginForward(w?: tf.Tensor1D) {
  return tf.tidy(() => {
    const x = tf.tensor2d(inp.X as number[][]);
    const h = ginConv(x, g, { w1: t2('W1'), b1: t1('b1'), w2: t2('W2'), b2: t1('b2') }, { edgeWeight: w });
    const logits = tf.add(tf.matMul(globalSumPool(h, batch, 2), t2('Wc')), t1('bc')) as tf.Tensor2D;
    return { h, logits };
  });
}

function gcnForward(w?: tf.Tensor1D) {
  return tf.tidy(() => {
    const x = tf.tensor2d(inp.X as number[][]);
    const h = tf.relu(gcnConv(x, g, { weight: t2('Wg'), bias: t1('bg') }, w)) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(globalMeanPool(h, batch, 2), t2('Wc')), t1('bc')) as tf.Tensor2D;
    return { h, logits };
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`graph layers match the golden vectors (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('GCN with edge weights equals the dense D^-1/2 (A_w + I) D^-1/2 X W + b', () => {
      tf.tidy(() => {
        const w = tf.tensor1d(out.selfcheck_edge_weights as number[]);
        expectClose(gcnConv(tf.tensor2d(inp.X), g, { weight: t2('Wg'), bias: t1('bg') }, w), out.selfcheck_gcn_dense);
      });
    });

    it('GIN-0 + sum pooling: node embeddings, logits, per-graph CE', () => {
      tf.tidy(() => {
        const { h, logits } = ginForward();
        expectClose(h, out.gin_node_h);
        expectClose(logits, out.gin_logits);
        expectClose(crossEntropyPerRow(logits, inp.y), out.gin_ce_per_graph);
      });
    });

    it('GCN + ReLU + mean pooling: node embeddings, logits, per-graph CE', () => {
      tf.tidy(() => {
        const { h, logits } = gcnForward();
        expectClose(h, out.gcn_node_h);
        expectClose(logits, out.gcn_logits);
        expectClose(crossEntropyPerRow(logits, inp.y), out.gcn_ce_per_graph);
      });
    });

    it('∂CE/∂w for all 24 directed edges through GIN (the autograd path of learned edge masks)', () => {
      tf.tidy(() => {
        const w = tf.ones([g.src.length]) as tf.Tensor1D;
        const f = (ww: tf.Tensor) =>
          tf.mean(crossEntropyPerRow(ginForward(ww as tf.Tensor1D).logits, inp.y)) as tf.Scalar;
        expect(f(w).dataSync()[0]).toBeCloseTo(out.gin_ce_mean, 5);
        expectClose(tf.grad(f)(w), out.gin_grad_edge_weight, 1e-4);
      });
    });

    it('the hard clean-node mask reproduces gcn_logits_clean_mask', () => {
      tf.tidy(() => expectClose(gcnForward(tf.tensor1d(out.clean_edge_mask)).logits, out.gcn_logits_clean_mask));
    });
  });
}

describe('message passing and layers (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('gather/segment sum agree with a host loop and have gradients', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const idx = Int32Array.from([2, 0, 2, 1]);
      expect(Array.from(gatherNodes(x, idx).dataSync())).toEqual([5, 6, 1, 2, 5, 6, 3, 4]);
      const s = segmentSum(
        tf.tensor2d([
          [1, 1],
          [2, 2],
          [3, 3],
          [4, 4],
        ]),
        idx,
        4,
      );
      expect(Array.from(s.dataSync())).toEqual([2, 2, 4, 4, 4, 4, 0, 0]);
      const r = gradCheck(
        (xx) =>
          tf.sum(
            tf.square(propagate(xx as tf.Tensor2D, { numNodes: 3, src: idx, dst: Int32Array.from([0, 1, 1, 2]) })),
          ),
        [x],
      );
      expect(r.passed).toBe(true);
    });
  });

  it('pooling: sum, mean and max per graph, max gradient flows to the arg-max', () => {
    tf.tidy(() => {
      const h = tf.tensor2d([
        [1, -1],
        [3, -5],
        [2, 0],
        [7, 7],
      ]);
      const b = Int32Array.from([0, 0, 1, 1]);
      expect(Array.from(globalSumPool(h, b, 3).dataSync())).toEqual([4, -6, 9, 7, 0, 0]);
      expect(Array.from(globalMeanPool(h, b, 3).dataSync())).toEqual([2, -3, 4.5, 3.5, 0, 0]);
      expect(Array.from(globalMaxPool(h, b, 3).dataSync())).toEqual([3, -1, 7, 7, 0, 0]);
      const grad = tf.grad((hh: tf.Tensor) => tf.sum(globalMaxPool(hh as tf.Tensor2D, b, 3)))(h);
      expect(Array.from(grad.dataSync())).toEqual([0, 1, 1, 0, 0, 0, 1, 1]);
    });
    expect(() => globalSumPool(tf.zeros([2, 1]), Int32Array.from([0]), 1)).toThrow(/batch: expected 2/);
  });

  it('GAT: attention rows sum to one (uniform when attention weights are 0), heads concat or mean, edge attributes change it', () => {
    tf.tidy(() => {
      const x = tf.tensor2d(inp.X as number[][]);
      const weight = tf.randomNormal([4, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
      const zeros = tf.zeros([2, 3]) as tf.Tensor2D;
      // with a = 0 the attention is uniform over {in-neighbours} ∪ {self}: GAT = mean aggregation with self-loop
      const gat = gatConv(x, g, { weight, attSrc: zeros, attDst: zeros }, { concat: true });
      const xw = tf.matMul(x, weight) as tf.Tensor2D;
      const deg = new Float32Array(g.numNodes).fill(1);
      for (const d of g.dst) deg[d]!++;
      const expected = tf.div(tf.add(propagate(xw, g), xw), tf.tensor2d(deg, [g.numNodes, 1]));
      expectClose(gat, expected.dataSync());
      const mean = gatConv(x, g, { weight, attSrc: zeros, attDst: zeros }, { concat: false });
      expect(mean.shape).toEqual([11, 3]);
      const att = tf.randomNormal([2, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
      const edgeAttr = tf.randomUniform([g.src.length, 1], 0, 1, 'float32', 3) as tf.Tensor2D;
      const p = { weight, attSrc: att, attDst: att, weightEdge: tf.ones([1, 6]) as tf.Tensor2D, attEdge: att };
      const a = gatConv(x, g, p, { edgeAttr }).dataSync();
      const b = gatConv(x, g, p, { edgeAttr: tf.mul(edgeAttr, 3) as tf.Tensor2D }).dataSync();
      expect(maxRelativeError(a, b).error).toBeGreaterThan(1e-4);
    });
  });

  it('gradient checks of SAGE and GAT (weights, features, edge attributes)', () => {
    tf.tidy(() => {
      const x = tf.tensor2d(inp.X as number[][]);
      const wn = tf.randomNormal([4, 3], 0, 0.5, 'float32', 4);
      const wr = tf.randomNormal([4, 3], 0, 0.5, 'float32', 5);
      const sage = gradCheck(
        (xx, a, b) =>
          tf.sum(
            tf.square(sageConv(xx as tf.Tensor2D, g, { weightNeigh: a as tf.Tensor2D, weightRoot: b as tf.Tensor2D })),
          ),
        [x, wn, wr],
      );
      expect(sage.passed).toBe(true);
      const w = tf.randomNormal([4, 4], 0, 0.5, 'float32', 6);
      const att = tf.randomNormal([2, 2], 0, 0.5, 'float32', 7);
      const ea = tf.randomUniform([g.src.length, 1], 0, 1, 'float32', 8);
      const gat = gradCheck(
        (ww, aa, e) =>
          tf.sum(
            tf.square(
              gatConv(
                x,
                g,
                {
                  weight: ww as tf.Tensor2D,
                  attSrc: aa as tf.Tensor2D,
                  attDst: aa as tf.Tensor2D,
                  weightEdge: tf.ones([1, 4]) as tf.Tensor2D,
                  attEdge: aa as tf.Tensor2D,
                },
                { edgeAttr: e as tf.Tensor2D },
              ),
            ),
          ),
        [w, att, ea],
      );
      expect(gat.passed).toBe(true);
    });
  });

  it('trainable layers: shapes, variables, no leaks, clear errors', async () => {
    const x = tf.tensor2d(inp.X as number[][]);
    const layers = [
      new GCNConv({ inDim: 4, outDim: 8, seed: 1 }),
      new GINConv({ inDim: 4, outDim: 8, seed: 1 }),
      new SAGEConv({ inDim: 4, outDim: 8, seed: 1 }),
      new GATConv({ inDim: 4, outDim: 4, heads: 2, seed: 1 }),
    ];
    for (const layer of layers) {
      const leaked = await tensorLeak(() => {
        const y = layer.forward(x, g);
        expect(y.shape).toEqual([11, 8]);
        y.dispose();
      });
      expect(leaked).toBe(0);
      expect(layer.parameters().length).toBeGreaterThan(0);
    }
    const before = tf.memory().numTensors;
    layers.forEach((l) => l.dispose());
    expect(tf.memory().numTensors).toBeLessThan(before);
    expect(() => gcnConv(x, g, { weight: tf.zeros([3, 2]) as tf.Tensor2D })).toThrow(
      /gcnConv weight: expected shape \[4, \*\]/,
    );
    expect(() => propagate(tf.zeros([3, 2]) as tf.Tensor2D, g)).toThrow(/x: expected shape \[11, D\]/);
    expect(() => new GCNConv({ inDim: 0, outDim: 2, seed: 0 })).toThrow(/inDim/);
    x.dispose();
  });
});
