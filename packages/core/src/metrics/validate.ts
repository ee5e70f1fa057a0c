import * as tf from '@tensorflow/tfjs';
import { LabError } from '../errors.js';

// Input checks shared by the metrics: each names the argument it checks.

/** Class ids: an array, or a 1-D tensor. */
export type Labels = ArrayLike<number> | tf.Tensor;

export function labelArray(labels: Labels, name: string): Int32Array {
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1)
      throw new LabError(
        'SHAPE_MISMATCH',
        `${name}: expected a 1-D tensor of class ids, got shape [${labels.shape.join(', ')}]`,
      );
    labels = labels.dataSync() as ArrayLike<number>;
  }
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0)
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}: expected non-negative integer class ids, got ${y} at index ${i}`,
      );
    out[i] = y;
  }
  return out;
}

export function numberArray(values: ArrayLike<number>, name: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new LabError('NON_FINITE', `${name}: expected finite numbers, got ${v} at index ${i}`);
    out[i] = v;
  }
  return out;
}

export function assert2D(x: tf.Tensor, name: string): asserts x is tf.Tensor2D {
  if (!(x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor2D, got ${typeof x}`);
  if (x.rank !== 2)
    throw new LabError('SHAPE_MISMATCH', `${name}: expected a 2-D tensor [N, D], got shape [${x.shape.join(', ')}]`);
  if (x.shape[0] === 0)
    throw new LabError('EMPTY_INPUT', `${name}: expected at least 1 row, got shape [${x.shape.join(', ')}]`);
}

export function assertFiniteTensor(x: tf.Tensor, name: string): void {
  const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(x))).dataSync()[0]);
  if (bad) throw new LabError('NON_FINITE', `${name}: expected finite values, found NaN or Inf`);
}
