import * as tf from '@tensorflow/tfjs';
import { conv2D } from './conv.js';
import { type Backend, type Info, type KernelArgs, free, overrideStock, run, runStock } from './heap.js';
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

/** The kernel each fused activation runs as after the product (linear: none); other activations go to the stock fused kernel. */
const ACTIVATION_KERNELS: Record<string, string | null> = {
  linear: null,
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

const supported = (attrs: FusedAttrs) => Object.hasOwn(ACTIVATION_KERNELS, attrs.activation ?? 'linear');

/** y + bias, then the activation; consumes `y`. */
function biasAndActivation(
  backend: Backend,
  y: Info,
  inputs: { bias?: Info; preluActivationWeights?: Info },
  attrs: FusedAttrs,
): Info {
  let out = y;
  const then = (name: string, extra: Record<string, Info> = {}, kernelAttrs: Record<string, unknown> = {}) => {
    const next = run(name, backend, { ...(name === 'Add' ? { a: out } : { x: out }), ...extra }, kernelAttrs);
    free(backend, out);
    out = next;
  };
  if (inputs.bias) then('Add', { b: inputs.bias });
  const kernel = ACTIVATION_KERNELS[attrs.activation ?? 'linear'];
  if (kernel === 'LeakyRelu') then(kernel, {}, { alpha: attrs.leakyreluAlpha ?? 0.2 });
  else if (kernel === 'Prelu') then(kernel, { alpha: inputs.preluActivationWeights! });
  else if (kernel) then(kernel);
  return out;
}

function fusedMatMul({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { a, b, bias, preluActivationWeights } = inputs as {
    a: Info;
    b: Info;
    bias?: Info;
    preluActivationWeights?: Info;
  };
  if (!supported(attrs as FusedAttrs))
    return runStock('_FusedMatMul', wasm, inputs as Record<string, Info>, attrs as Record<string, unknown>);
  const product = batchMatMul({ inputs: { a, b }, backend, attrs });
  return biasAndActivation(wasm, product, { bias, preluActivationWeights }, attrs as FusedAttrs);
}

function fusedConv2D({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x, filter, bias, preluActivationWeights } = inputs as {
    x: Info;
    filter: Info;
    bias?: Info;
    preluActivationWeights?: Info;
  };
  if (
    (attrs as { dataFormat?: string }).dataFormat === 'NCHW' ||
    x.dtype !== 'float32' ||
    !supported(attrs as FusedAttrs)
  ) {
    return runStock('FusedConv2D', wasm, inputs as Record<string, Info>, attrs as Record<string, unknown>);
  }
  const y = conv2D({ inputs: { x, filter }, backend, attrs });
  return biasAndActivation(wasm, y, { bias, preluActivationWeights }, attrs as FusedAttrs);
}

/** Kernel configs replacing the stock fused kernels (each keeps the stock setupFunc). */
export function fusedKernels(): tf.KernelConfig[] {
  return [
    { kernelName: '_FusedMatMul', kernelFunc: fusedMatMul },
    { kernelName: 'FusedConv2D', kernelFunc: fusedConv2D },
  ].flatMap(overrideStock);
}
