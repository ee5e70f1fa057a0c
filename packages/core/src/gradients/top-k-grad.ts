import * as tf from '@tensorflow/tfjs';
import { first, scatterFlat } from './util.js';

/** TopK (no gradient in tfjs 4.22): the values gradient goes back to the positions the values came from. */
export const topKGrad: tf.GradConfig = {
  kernelName: 'TopK',
  inputsToSave: ['x'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved) => {
    const [x, indices] = saved as [tf.Tensor, tf.Tensor];
    return {
      x: () => {
        const n = x.shape[x.shape.length - 1]!;
        const k = indices.shape[indices.shape.length - 1]!;
        const rows = indices.size / Math.max(k, 1);
        const rowBase = tf.range(0, rows * n, n, 'int32').reshape([rows, 1]); // [rows, 1]
        const flat = tf.add(indices.reshape([rows, k]), rowBase); // [rows, k] flat positions in x
        return scatterFlat(first(dy), flat, x.shape);
      },
    };
  },
};
