import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, initBackend, tf } from '@lab/core';
import { SAGEConv, sageConv } from '../../src/index.js';
import { expectLayerLeakFree, g, inp } from '../helpers.js';

describe('sageConv and SAGEConv (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('gradient check in the features and both weights', () => {
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
    });
  });

  it('shape, variables, no leaks', async () => {
    await expectLayerLeakFree(new SAGEConv({ inDim: 4, outDim: 8, seed: 1 }), 8);
  });
});
