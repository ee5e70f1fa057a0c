import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, initBackend, tf } from '@lab/core';
import { gatherNodes, globalMaxPool, globalMeanPool, globalSumPool, propagate, segmentSum } from '../src/index.js';
import { g } from './helpers.js';

describe('message passing and pooling (wasm)', () => {
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

  it('propagate names the features it was given', () => {
    expect(() => propagate(tf.zeros([3, 2]) as tf.Tensor2D, g)).toThrow(/x: expected shape \[11, D\]/);
  });
});
