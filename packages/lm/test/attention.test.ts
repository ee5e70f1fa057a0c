import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, initBackend, maxRelativeError, tf } from '@lab/core';
import { causalAttention } from '../src/attention.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('attention', () => {
  it('sliding window equals a dense masked reference, chunked or not', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([1, 2, 7, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
      const k = tf.randomNormal([1, 1, 7, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
      const v = tf.randomNormal([1, 1, 7, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
      const W = 3;
      const mask = tf.tensor2d(
        Array.from({ length: 49 }, (_, idx) => {
          const i = Math.floor(idx / 7),
            j = idx % 7;
          return j <= i && j > i - W ? 0 : -1e9;
        }),
        [7, 7],
      );
      const kk = tf.tile(k, [1, 2, 1, 1]);
      const vv = tf.tile(v, [1, 2, 1, 1]);
      const ref = tf.matMul(tf.softmax(tf.add(tf.div(tf.matMul(q, kk, false, true), 2), mask)), vv);
      for (const queryChunk of [1, 3, 7]) {
        const { output, probs } = causalAttention(q, k, v, { window: W, queryChunk, returnProbs: true });
        expect(maxRelativeError(output.dataSync(), ref.dataSync(), 1e-5).error).toBeLessThan(1e-4);
        expect(probs!.shape).toEqual([1, 2, 7, 7]);
      }
    });
  });

  it('has correct gradients with respect to q, k and v (chunked)', () => {
    const q = tf.randomNormal([1, 2, 5, 4], 0, 1, 'float32', 4);
    const k = tf.randomNormal([1, 1, 5, 4], 0, 1, 'float32', 5);
    const v = tf.randomNormal([1, 1, 5, 4], 0, 1, 'float32', 6);
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, { queryChunk: 2, window: 3 })
        .output.square()
        .sum() as tf.Scalar;
    const res = gradCheck(f, [q, k, v]);
    expect(res.passed).toBe(true);
    tf.dispose([q, k, v]);
  });
});
