import * as tf from '@tensorflow/tfjs';
import { convKernels } from './conv.js';
import { einsumKernels } from './einsum.js';
import { elementwiseKernels } from './elementwise.js';
import { fixKernels } from './fixes.js';
import { fusedKernels } from './fused.js';
import { fixBroadcastGradients, gradientConfigs, unsortedSegmentSumGrad } from './gradients.js';
import { isOurs } from './heap.js';
import { matMulKernels } from './matmul.js';
import { movementKernels } from './movement.js';
import { reduceKernels } from './reduce.js';
import { segmentKernels } from './segment.js';
import { simdKernelConfigs } from './simd.js';
import { transposeKernels } from './transpose.js';

/** Every kernel config we add to (or replace on) the WASM backend. */
function wasmKernelConfigs(): tf.KernelConfig[] {
  return [
    ...segmentKernels(),
    ...convKernels(),
    ...einsumKernels(),
    ...matMulKernels(),
    ...fusedKernels(),
    ...fixKernels(),
    ...transposeKernels(),
    ...reduceKernels(),
    ...movementKernels(),
    ...elementwiseKernels(),
    ...simdKernelConfigs(),
  ];
}

/**
 * Registers the WASM kernels and gradients stock tfjs lacks, and the WASM fast paths.
 * Idempotent: safe to call on every initBackend() (and from both the ESM and CJS builds, which share
 * tfjs's global kernel registry: registration checks a marker on the registered kernel, not a module flag).
 */
export function registerWasmCompletions(): void {
  for (const config of wasmKernelConfigs()) {
    if (isOurs(config.kernelName)) continue;
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  // Gradients missing on every backend: register only where tfjs has none (never override).
  for (const grad of gradientConfigs()) {
    if (!tf.getGradient(grad.kernelName)) tf.registerGradient(grad);
  }
  fixBroadcastGradients();
  // A faster formulation of an existing gradient (same maths): replace once.
  if (!(tf.getGradient('UnsortedSegmentSum') as { [FAST]?: true } | undefined)?.[FAST]) {
    tf.registerGradient(Object.assign({ [FAST]: true as const }, unsortedSegmentSumGrad));
  }
}

const FAST = Symbol.for('@lab/core/fast-grad');
