import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorLeak, tf } from '@lab/core';
import { GCNConv, gcnConv, gcnNorm, globalMeanPool, type GraphStructure } from '../../src/index.js';
import {
  batch,
  expectClose,
  expectGoldenForward,
  expectLayerLeakFree,
  fixture,
  g,
  inp,
  out,
  t1,
  t2,
} from '../helpers.js';

function gcnForward(w?: tf.Tensor1D) {
  return tf.tidy(() => {
    const x = tf.tensor2d(inp.X as number[][]);
    const h = tf.relu(gcnConv(x, g, { weight: t2('Wg'), bias: t1('bg') }, w)) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(globalMeanPool(h, batch, 2), t2('Wc')), t1('bc')) as tf.Tensor2D;
    return { h, logits };
  });
}

// Path 0-1-2-3-4 plus loops 1→1, 3→3 and a zero-weight loop on the isolated node 5 (self-loops-reference.py).
const ref = fixture('self-loops-reference.json');
const loopy: GraphStructure = {
  numNodes: ref.inputs.N,
  src: Int32Array.from(ref.inputs.src),
  dst: Int32Array.from(ref.inputs.dst),
};
const params = () => ({ weight: tf.tensor2d(ref.inputs.W), bias: tf.tensor1d(ref.inputs.b) });

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`gcnConv (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('with edge weights equals the dense D^-1/2 (A_w + I) D^-1/2 X W + b (golden)', () => {
      tf.tidy(() => {
        const w = tf.tensor1d(out.selfcheck_edge_weights as number[]);
        expectClose(gcnConv(tf.tensor2d(inp.X), g, { weight: t2('Wg'), bias: t1('bg') }, w), out.selfcheck_gcn_dense);
      });
    });

    it('GCN + ReLU + mean pooling: node embeddings, logits, per-graph CE (golden)', () => {
      expectGoldenForward(gcnForward, 'gcn');
    });

    it('the hard clean-node mask reproduces gcn_logits_clean_mask (golden)', () => {
      tf.tidy(() => expectClose(gcnForward(tf.tensor1d(out.clean_edge_mask)).logits, out.gcn_logits_clean_mask));
    });

    it('existing self-loops are kept, not doubled (PyG add_remaining_self_loops), without edge weights', () => {
      tf.tidy(() => {
        const { norm, selfNorm } = gcnNorm(loopy);
        expectClose(norm, ref.outputs.gcn_norm);
        expectClose(selfNorm, ref.outputs.gcn_self_norm);
        expectClose(gcnConv(tf.tensor2d(ref.inputs.X), loopy, params()), ref.outputs.gcn);
      });
    });

    it('weighted loops keep their weight; a degree-0 node gets 0 (PyG masks deg^-1/2 = ∞)', () => {
      tf.tidy(() => {
        const w = tf.tensor1d(ref.inputs.edge_weight);
        const { norm, selfNorm } = gcnNorm(loopy, w);
        expectClose(norm, ref.outputs.gcn_norm_weighted);
        expectClose(selfNorm, ref.outputs.gcn_self_norm_weighted);
        expectClose(gcnConv(tf.tensor2d(ref.inputs.X), loopy, params(), w), ref.outputs.gcn_weighted);
      });
    });

    it('the gradient reaches every edge weight, loops included (float64 central differences)', () => {
      tf.tidy(() => {
        const x = tf.tensor2d(ref.inputs.X);
        const r = tf.tensor2d(ref.inputs.R);
        const f = (w: tf.Tensor) => tf.sum(tf.mul(gcnConv(x, loopy, params(), w as tf.Tensor1D), r)) as tf.Scalar;
        const grad = tf.grad(f)(tf.tensor1d(ref.inputs.edge_weight));
        expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
        expectClose(grad, ref.outputs.gcn_weighted_grad_edge_weight, 1e-3);
      });
    });
  });
}

describe('gcnNorm and GCNConv (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('on a loop-free graph equals the previous self-loop rule deg_i = 1 + Σ w_ji', () => {
    tf.tidy(() => {
      const w = tf.tensor1d(out.selfcheck_edge_weights as number[]);
      const { norm, selfNorm } = gcnNorm(g, w);
      const deg = new Float64Array(g.numNodes).fill(1);
      const wv = w.dataSync();
      g.dst.forEach((d, k) => (deg[d]! += wv[k]!));
      expectClose(
        selfNorm,
        Array.from(deg, (d) => 1 / d),
      );
      expectClose(
        norm,
        Array.from(g.src, (s, k) => wv[k]! / Math.sqrt(deg[s]! * deg[g.dst[k]!]!)),
      );
    });
  });

  it('several loops on one node: the last one in edge order gives the weight; no leaks', async () => {
    const twoLoops: GraphStructure = {
      numNodes: 2,
      src: Int32Array.from([0, 0, 1, 0]),
      dst: Int32Array.from([0, 1, 0, 0]),
    };
    const w = tf.tensor1d([5, 1, 1, 3]);
    const leaked = await tensorLeak(() => {
      const { norm, selfNorm } = gcnNorm(twoLoops, w);
      // node 0: loop 3 (the last), deg 3 + 1 = 4; node 1: loop 1 (filled), deg 1 + 1 = 2
      expectClose(selfNorm, [3 / 4, 1 / 2]);
      expectClose(norm, [0, 1 / Math.sqrt(8), 1 / Math.sqrt(8), 0]);
      tf.dispose([norm, selfNorm]);
    });
    expect(leaked).toBe(0);
    w.dispose();
  });

  it('GCNConv: shape, variables, no leaks, clear errors', async () => {
    await expectLayerLeakFree(new GCNConv({ inDim: 4, outDim: 8, seed: 1 }), 8);
    const x = tf.tensor2d(inp.X as number[][]);
    expect(() => gcnConv(x, g, { weight: tf.zeros([3, 2]) as tf.Tensor2D })).toThrow(
      /gcnConv weight: expected shape \[4, \*\]/,
    );
    expect(() => gcnNorm(g, tf.ones([3]) as tf.Tensor1D)).toThrow(/edgeWeight: expected shape \[24\]/);
    expect(() => new GCNConv({ inDim: 0, outDim: 2, seed: 0 })).toThrow(/inDim/);
    x.dispose();
  });
});
