import * as tf from '@tensorflow/tfjs';
import { parseEinsum } from '../wasm/einsum.js';
import { first } from './util.js';

/**
 * `einsum(terms → out)` with each operand's private letters (in no other operand and not in `out`) summed
 * away first: tfjs 4.22's cpu Einsum returns wrong shapes for them ('ij,k->i' gives [1, 2]), and the
 * gradient equations below make them whenever the forward one sums a letter of a single operand.
 */
function einsumSummedFirst(terms: string[], out: string, operands: tf.Tensor[]): tf.Tensor {
  const kept = terms.map((term, t) => {
    const shared = new Set([...out, ...terms.filter((_, j) => j !== t).join('')]);
    return [...term].filter((ch) => shared.has(ch)).join('');
  });
  const reduced = operands.map((x, t) => {
    const axes = [...terms[t]!].flatMap((ch, i) => (kept[t]!.includes(ch) ? [] : [i]));
    return axes.length > 0 ? tf.sum(x, axes) : x;
  });
  return tf.einsum(`${kept.join(',')}->${out}`, ...reduced);
}

/**
 * Einsum (no gradient in tfjs 4.22): dX_t = einsum(dy, other operands → letters of X_t), broadcast over
 * the letters of X_t that appear nowhere else.
 */
export const einsumGrad: tf.GradConfig = {
  kernelName: 'Einsum',
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const g = first(dy);
    const { equation } = attrs as unknown as { equation: string };
    const { inputs, output } = parseEinsum(equation, saved.length);
    const grads: Record<string, () => tf.Tensor> = {};
    inputs.forEach((term, t) => {
      grads[String(t)] = () => {
        const others = inputs.filter((_, j) => j !== t);
        const available = new Set([...output, ...others.join('')]);
        const reachable = [...term].filter((ch) => available.has(ch)).join('');
        const partial = einsumSummedFirst([output, ...others], reachable, [g, ...saved.filter((_, j) => j !== t)]);
        if (reachable === term) return partial;
        // Letters summed away inside X_t: its gradient is constant along them.
        const shape = [...term].map((ch, i) => (available.has(ch) ? saved[t]!.shape[i]! : 1));
        return tf.broadcastTo(partial.reshape(shape), saved[t]!.shape);
      };
    });
    return grads;
  },
};
