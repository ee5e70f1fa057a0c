import * as tf from '@tensorflow/tfjs';

/** A zero gradient for a piecewise-constant kernel (lets `where(cond(x), …)` backprop through the condition). */
function zeroGrad(kernelName: string, inputNames: string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: inputNames,
    // The tape wants float32 gradients even for bool/int inputs.
    gradFunc: (_dy, saved) => Object.fromEntries(inputNames.map((name, i) => [name, () => tf.zeros(saved[i]!.shape)])),
  };
}

/**
 * Comparisons and logical ops, which tfjs 4.22 leaves without a gradient: one zero-gradient config per
 * kernel. Kept in one file because the eight configs differ only in the kernel name and arity.
 */
export const equalGrad = zeroGrad('Equal', ['a', 'b']);
export const notEqualGrad = zeroGrad('NotEqual', ['a', 'b']);
export const greaterGrad = zeroGrad('Greater', ['a', 'b']);
export const lessGrad = zeroGrad('Less', ['a', 'b']);
export const lessEqualGrad = zeroGrad('LessEqual', ['a', 'b']);
export const logicalAndGrad = zeroGrad('LogicalAnd', ['a', 'b']);
export const logicalOrGrad = zeroGrad('LogicalOr', ['a', 'b']);
export const logicalNotGrad = zeroGrad('LogicalNot', ['x']);
