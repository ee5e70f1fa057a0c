import * as tf from '@tensorflow/tfjs';
import { registerGradients } from '../gradients/register.js';
import { convKernels } from './conv.js';
import { einsumKernels } from './einsum.js';
import { elementwiseKernels } from './elementwise.js';
import { fusedKernels } from './fused.js';
import { gatherV2Override } from './gather-v2.js';
import { type StockOverride, isOurs, overrideStock } from './heap.js';
import { matMulKernels } from './matmul.js';
import { maxPoolGradOverride } from './max-pool-grad.js';
import { movementKernels } from './movement.js';
import { powOverride } from './pow.js';
import { reduceKernels } from './reduce.js';
import { segmentKernels } from './segment.js';
import { simdKernelConfigs } from './simd.js';
import { stridedSliceOverride } from './strided-slice.js';
import { transposeKernels } from './transpose.js';

/**
 * Stock kernels replaced one per file: wrong values in tfjs-backend-wasm 4.22 (StridedSlice, GatherV2,
 * MaxPoolGrad; found by the op matrix), or correct but slow (Pow).
 */
const stockOverrides: readonly StockOverride[] = [
  powOverride,
  maxPoolGradOverride,
  stridedSliceOverride,
  gatherV2Override,
];

/** Every kernel config we add to (or replace on) the WASM backend. */
function wasmKernelConfigs(): tf.KernelConfig[] {
  return [
    ...segmentKernels(),
    ...convKernels(),
    ...einsumKernels(),
    ...matMulKernels(),
    ...fusedKernels(),
    ...stockOverrides.flatMap(overrideStock),
    ...transposeKernels(),
    ...reduceKernels(),
    ...movementKernels(),
    ...elementwiseKernels(),
    ...simdKernelConfigs(),
  ];
}

/**
 * Registers the WASM kernels stock tfjs lacks, the WASM fast paths, and the backend-independent gradients
 * of `src/gradients/` (tfjs's gradient registry is global).
 * Idempotent: safe to call on every initBackend() (and from both the ESM and CJS builds, which share
 * tfjs's global kernel registry: registration checks a marker on the registered kernel, not a module flag).
 */
export function registerWasmCompletions(): void {
  for (const config of wasmKernelConfigs()) {
    if (isOurs(config.kernelName)) continue;
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  registerGradients();
}
