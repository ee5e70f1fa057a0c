import * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, type KernelArgs, offsetOf, overrideStock, runStock, size } from './heap.js';
import { type BinaryKernel, simdKernels } from './simd.js';

/**
 * Element-wise kernels that stock tfjs-backend-wasm runs through a generic per-element loop, 15–40×
 * slower than its own `Add` (measured per million float32 on the build machine: Maximum ≈ 11–14 ms,
 * comparisons ≈ 6.5–8 ms, Select ≈ 6 ms, against ≈ 0.4 ms for Add): `Maximum`, `Minimum`, the six
 * comparisons and `Select`, as SIMD loops. Operands may be full, scalars, or rows repeated over leading
 * axes; other broadcasts, other dtypes and a missing SIMD module stay stock.
 */

/** Elements after which `shape` repeats inside `outShape` (n: full, 1: scalar, trailing size: a row), or −1. */
function period(shape: number[], outShape: number[]): number {
  const n = size(outShape);
  const count = size(shape);
  if (count === n) return n;
  if (count === 1) return 1;
  const trimmed = shape.slice(shape.findIndex((d) => d !== 1));
  const tail = outShape.slice(outShape.length - trimmed.length);
  return trimmed.every((d, i) => d === tail[i]) ? count : -1;
}

function binary(name: string, kernel: BinaryKernel, outDtype: 'float32' | 'bool') {
  return ({ inputs, backend }: KernelArgs): Info => {
    const wasm = backend as Backend;
    const { a, b } = inputs as { a: Info; b: Info };
    const simd = a.dtype === 'float32' && b.dtype === 'float32' ? simdKernels(wasm) : null;
    if (simd !== null) {
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = size(outShape);
      const [pa, pb] = [period(a.shape, outShape), period(b.shape, outShape)];
      if (pa > 0 && pb > 0 && (pa === n || pb === n)) {
        const out = wasm.makeOutput(outShape, outDtype);
        if (n > 0) simd.binary[kernel](offsetOf(wasm, a), pa, offsetOf(wasm, b), pb, offsetOf(wasm, out), n);
        return out;
      }
    }
    return runStock(name, wasm, { a, b });
  };
}

function select({ inputs, backend }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { condition, t, e } = inputs as { condition: Info; t: Info; e: Info };
  const n = size(t.shape);
  const fourBytes = t.dtype === 'float32' || t.dtype === 'int32';
  const simd =
    condition.dtype === 'bool' && fourBytes && e.dtype === t.dtype && size(condition.shape) === n && size(e.shape) === n
      ? simdKernels(wasm)
      : null;
  if (simd === null) return runStock('Select', wasm, { condition, t, e });
  const out = wasm.makeOutput(t.shape, t.dtype);
  if (n > 0) simd.select(offsetOf(wasm, condition), offsetOf(wasm, t), offsetOf(wasm, e), offsetOf(wasm, out), n);
  return out;
}

export function elementwiseKernels(): tf.KernelConfig[] {
  const binaries = [
    ['Maximum', 'maximum', 'float32'],
    ['Minimum', 'minimum', 'float32'],
    ['Greater', 'greater', 'bool'],
    ['GreaterEqual', 'greaterEqual', 'bool'],
    ['Less', 'less', 'bool'],
    ['LessEqual', 'lessEqual', 'bool'],
    ['Equal', 'equal', 'bool'],
    ['NotEqual', 'notEqual', 'bool'],
  ] as const;
  return [
    ...binaries.map(([name, kernel, dtype]) => ({ kernelName: name, kernelFunc: binary(name, kernel, dtype) })),
    { kernelName: 'Select', kernelFunc: select },
  ].flatMap(overrideStock);
}
