import * as tf from '@tensorflow/tfjs';

/** Sums a gradient over the axes its input was broadcast along, so it has the input's shape. */
export function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.shape.length - shape.length;
  let r = lead > 0 ? tf.sum(g, [...Array(lead).keys()]) : g;
  const ones = shape.map((d, i) => (d === 1 && r.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
  if (ones.length > 0) r = tf.sum(r, ones, true);
  return r.reshape(shape);
}

/**
 * Kernels whose stock gradient tfjs 4.22 forgets to reduce over broadcast axes, on every backend
 * ("gradient of input 'b' has shape [3,5], which does not match the shape of the input [5]"):
 * BatchMatMul (batched × unbatched), Maximum, Minimum and SquaredDifference.
 */
export const BROADCAST_GRAD_KERNELS = ['BatchMatMul', 'Maximum', 'Minimum', 'SquaredDifference'] as const;

/** The stock gradient of `stock.kernelName` with each input's gradient reduced to that input's shape (same maths). */
export function withBroadcastReduction(stock: tf.GradConfig): tf.GradConfig {
  const names = stock.inputsToSave ?? [];
  return {
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const grads = stock.gradFunc(dy, saved, attrs);
      const out: Record<string, () => tf.Tensor> = {};
      for (const [name, fn] of Object.entries(grads)) {
        const input = saved[names.indexOf(name)];
        out[name] = input ? () => reduceToShape(fn(), input.shape) : fn;
      }
      return out;
    },
  };
}
