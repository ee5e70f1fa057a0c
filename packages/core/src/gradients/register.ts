import * as tf from '@tensorflow/tfjs';
import { BROADCAST_GRAD_KERNELS, withBroadcastReduction } from './broadcast-grads.js';
import { einsumGrad } from './einsum-grad.js';
import { gatherNdGrad } from './gather-nd-grad.js';
import {
  equalGrad,
  greaterGrad,
  lessEqualGrad,
  lessGrad,
  logicalAndGrad,
  logicalNotGrad,
  logicalOrGrad,
  notEqualGrad,
} from './piecewise-constant-grads.js';
import { scatterNdGrad } from './scatter-nd-grad.js';
import { sparseSegmentSumGrad } from './sparse-segment-sum-grad.js';
import { stridedSliceGrad } from './strided-slice-grad.js';
import { topKGrad } from './top-k-grad.js';
import { unsortedSegmentSumGrad } from './unsorted-segment-sum-grad.js';

/**
 * Backend-independent gradients (tfjs's gradient registry is global, not per backend), one per file as in
 * tfjs-core's `src/gradients/`. Three lists, three policies:
 */

/** Gradients stock tfjs 4.22 lacks: registered only where tfjs has none (never override). */
export const missingGradients: readonly tf.GradConfig[] = [
  stridedSliceGrad,
  gatherNdGrad,
  scatterNdGrad,
  topKGrad,
  sparseSegmentSumGrad,
  einsumGrad,
  equalGrad,
  notEqualGrad,
  greaterGrad,
  lessGrad,
  lessEqualGrad,
  logicalAndGrad,
  logicalOrGrad,
  logicalNotGrad,
];

/** Faster formulations of stock gradients (same maths): they replace the stock one, once. */
export const replacedGradients: readonly tf.GradConfig[] = [unsortedSegmentSumGrad];

/** Kernels whose stock gradient is wrapped to reduce over broadcast axes (see broadcast-grads.ts). */
export const wrappedGradients: readonly string[] = BROADCAST_GRAD_KERNELS;

/** Marks a gradient config we registered, so that registration stays idempotent across module copies (ESM + CJS). */
const OURS = Symbol.for('@lab/core/gradient');

type Marked = tf.GradConfig & { [OURS]?: true };

const isOurs = (kernelName: string) => (tf.getGradient(kernelName) as Marked | undefined)?.[OURS] === true;
const register = (config: tf.GradConfig) => tf.registerGradient(Object.assign({ [OURS]: true as const }, config));

/** Registers the gradients above. Idempotent: a gradient already ours is left alone. */
export function registerGradients(): void {
  for (const grad of missingGradients) if (!tf.getGradient(grad.kernelName)) register(grad);
  for (const grad of replacedGradients) if (!isOurs(grad.kernelName)) register(grad);
  for (const kernelName of wrappedGradients) {
    const stock = tf.getGradient(kernelName);
    if (stock?.inputsToSave && !isOurs(kernelName)) register(withBroadcastReduction(stock));
  }
}
