import * as tf from '@tensorflow/tfjs';
import { first } from './util.js';

/** Flat row index of each index tuple: indices [..., depth] into `shape` → rows [...], over numRows = Π shape[:depth]. */
function flatRowIndex(indices: tf.Tensor, shape: number[]): { rows: tf.Tensor; numRows: number; sliceSize: number } {
  const depth = indices.shape[indices.shape.length - 1]!;
  const strides: number[] = [];
  let s = 1;
  for (let i = depth - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const rows = tf.sum(tf.mul(indices.toInt(), tf.tensor1d(strides, 'int32')), -1);
  return { rows, numRows: s, sliceSize: shape.slice(depth).reduce((p, d) => p * d, 1) };
}

/** GatherNd (no gradient in tfjs 4.22): the params gradient scatter-adds the rows of dy to the gathered index tuples. */
export const gatherNdGrad: tf.GradConfig = {
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, saved) => {
    const [params, indices] = saved as [tf.Tensor, tf.Tensor];
    return {
      params: () => {
        const { rows, numRows, sliceSize } = flatRowIndex(indices, params.shape);
        const g = first(dy).reshape([-1, sliceSize]); // [tuples, slice]
        return tf.unsortedSegmentSum(g, rows.reshape([-1]), numRows).reshape(params.shape);
      },
      indices: () => tf.zerosLike(indices),
    };
  },
};
