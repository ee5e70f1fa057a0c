import * as tf from '@tensorflow/tfjs';
import { conv2D } from './conv.js';
import { type Backend, type Info, free, mark, run, runStock, stockKernel } from './heap.js';
import { batchMatMul } from './matmul.js';

/**
 * `_FusedMatMul` and `FusedConv2D` (what tf.layers' Dense and Conv2D and `tf.fused.*` call): the product
 * or convolution through core's kernels (matmul.ts, conv.ts), then the bias and the activation through
 * the registered kernels. Stock runs them on XNNPACK, which core keeps on one thread and which packs
 * the weights on every call. NCHW convolutions stay stock (their bias broadcasts over another axis).
 */

interface FusedAttrs {
  activation?: string;
  leakyreluAlpha?: number;
}

/** Activations applied by a registered kernel after the product (others go to the stock fused kernel). */
const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu']);

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** y + bias, then the activation; consumes `y`. */
function biasAndActivation(backend: Backend, y: Info, inputs: { bias?: Info; preluActivationWeights?: Info }, attrs: FusedAttrs): Info {
  let out = y;
  const then = (name: string, extra: Record<string, Info> = {}, kernelAttrs: Record<string, unknown> = {}) => {
    const next = run(name, backend, { ...(name === 'Add' ? { a: out } : { x: out }), ...extra }, kernelAttrs);
    free(backend, out);
    out = next;
  };
  if (inputs.bias) then('Add', { b: inputs.bias });
  switch (attrs.activation ?? 'linear') {
    // ACTIVATIONS lists these cases.
    case 'linear':
      break;
    case 'relu':
      then('Relu');
      break;
    case 'relu6':
      then('Relu6');
      break;
    case 'elu':
      then('Elu');
      break;
    case 'sigmoid':
      then('Sigmoid');
      break;
    case 'leakyrelu':
      then('LeakyRelu', {}, { alpha: attrs.leakyreluAlpha ?? 0.2 });
      break;
    case 'prelu':
      then('Prelu', { alpha: inputs.preluActivationWeights! });
      break;
  }
  return out;
}

function fusedMatMul({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { a, b, bias, preluActivationWeights } = inputs as { a: Info; b: Info; bias?: Info; preluActivationWeights?: Info };
  if (!ACTIVATIONS.has((attrs as FusedAttrs).activation ?? 'linear')) return runStock('_FusedMatMul', wasm, inputs as Record<string, Info>, attrs as Record<string, unknown>);
  const product = batchMatMul({ inputs: { a, b }, backend, attrs });
  return biasAndActivation(wasm, product, { bias, preluActivationWeights }, attrs as FusedAttrs);
}

function fusedConv2D({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x, filter, bias, preluActivationWeights } = inputs as { x: Info; filter: Info; bias?: Info; preluActivationWeights?: Info };
  const { dataFormat, activation = 'linear' } = attrs as FusedAttrs & { dataFormat?: string };
  if (dataFormat === 'NCHW' || x.dtype !== 'float32' || !ACTIVATIONS.has(activation)) {
    return runStock('FusedConv2D', wasm, inputs as Record<string, Info>, attrs as Record<string, unknown>);
  }
  const y = conv2D({ inputs: { x, filter }, backend, attrs });
  return biasAndActivation(wasm, y, { bias, preluActivationWeights }, attrs as FusedAttrs);
}

/** Kernel configs replacing the stock fused kernels (each keeps the stock setupFunc). */
export function fusedKernels(): tf.KernelConfig[] {
  const out: tf.KernelConfig[] = [];
  for (const [name, kernelFunc] of [['_FusedMatMul', fusedMatMul], ['FusedConv2D', fusedConv2D]] as const) {
    const stock = stockKernel(name);
    if (stock) out.push({ kernelName: name, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: mark(kernelFunc as tf.KernelFunc, stock) });
  }
  return out;
}
