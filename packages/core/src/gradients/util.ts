import * as tf from '@tensorflow/tfjs';

/** The upstream gradient of a single-output kernel (the tape passes an array for multi-output ones). */
export function first(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(dy) ? dy[0]! : dy;
}

/**
 * Scatter-adds `values` (flattened) into a zero tensor of `shape` at flat positions `flatIndex`. Written
 * as `unsortedSegmentSum` so the scatter is differentiable itself (its gradient is a gather).
 */
export function scatterFlat(values: tf.Tensor, flatIndex: tf.Tensor, shape: number[]): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tf.unsortedSegmentSum(values.reshape([-1]), flatIndex.reshape([-1]).toInt() as tf.Tensor1D, n).reshape(shape);
}
