import * as tf from '@tensorflow/tfjs';
import { first } from './util.js';

/** ScatterNd (no gradient in tfjs 4.22): the updates gradient is gatherND(dy, indices). */
export const scatterNdGrad: tf.GradConfig = {
  kernelName: 'ScatterNd',
  inputsToSave: ['indices'],
  gradFunc: (dy, saved) => {
    const [indices] = saved as [tf.Tensor];
    return { updates: () => tf.gatherND(first(dy), indices), indices: () => tf.zerosLike(indices) };
  },
};
