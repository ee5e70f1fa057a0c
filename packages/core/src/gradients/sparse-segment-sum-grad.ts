import * as tf from '@tensorflow/tfjs';
import { first } from './util.js';

/** SparseSegmentSum (no gradient in tfjs 4.22): the data gradient scatter-adds dy[segmentIds] to the gathered rows. */
export const sparseSegmentSumGrad: tf.GradConfig = {
  kernelName: 'SparseSegmentSum',
  inputsToSave: ['data', 'indices', 'segmentIds'],
  gradFunc: (dy, saved) => {
    const [data, indices, segmentIds] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    return {
      data: () => tf.unsortedSegmentSum(tf.gather(first(dy), segmentIds), indices as tf.Tensor1D, data.shape[0]!),
      indices: () => tf.zerosLike(indices),
      segmentIds: () => tf.zerosLike(segmentIds),
    };
  },
};
