import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { GINConv, ginAggregate, ginConv, globalSumPool, type GraphStructure } from '../../src/index.js';
import {
  batch,
  crossEntropyPerRow,
  expectClose,
  expectGoldenForward,
  expectLayerLeakFree,
  g,
  inp,
  out,
  t1,
  t2,
} from '../helpers.js';

function ginForward(w?: tf.Tensor1D) {
  return tf.tidy(() => {
    const x = tf.tensor2d(inp.X as number[][]);
    const h = ginConv(x, g, { w1: t2('W1'), b1: t1('b1'), w2: t2('W2'), b2: t1('b2') }, { edgeWeight: w });
    const logits = tf.add(tf.matMul(globalSumPool(h, batch, 2), t2('Wc')), t1('bc')) as tf.Tensor2D;
    return { h, logits };
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`ginConv matches the golden vectors (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('GIN-0 + sum pooling: node embeddings, logits, per-graph CE', () => {
      expectGoldenForward(ginForward, 'gin');
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
  });
}

describe('GINConv (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('an existing self-loop is an ordinary edge of the sum (no loop is added)', () => {
    tf.tidy(() => {
      const loop: GraphStructure = { numNodes: 2, src: Int32Array.from([0, 1]), dst: Int32Array.from([0, 0]) };
      const x = tf.tensor2d([[1], [10]]);
      expect(Array.from(ginAggregate(x, loop, { eps: 0.5 }).dataSync())).toEqual([1.5 + 1 + 10, 15]);
    });
  });

  it('shape, variables, no leaks', async () => {
    await expectLayerLeakFree(new GINConv({ inDim: 4, outDim: 8, seed: 1 }), 8);
  });
});
