import * as tf from '@tensorflow/tfjs';
import {
  type Backend,
  type Info,
  type KernelArgs,
  free,
  heap,
  offsetOf,
  overrideStock,
  run,
  runStock,
  size,
  zeroedOutput,
} from './heap.js';
import { simdKernels } from './simd.js';

/**
 * `Sum` over axes that are not innermost. The stock kernel first transposes the reduced axes to the
 * end with its internal (slow, generic) transpose — e.g. a bias gradient, Σ over [B, H, W] of a
 * [256, 26, 26, 32] tensor. When the reduced axes form one contiguous block we sum rows directly,
 * out[o, i] = Σ_r x[o, r, i], in one pass; other layouts go through our fast Transpose first.
 * Innermost reductions stay on the stock (SIMD) kernel.
 */
function sum({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x } = inputs as { x: Info };
  const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  const contiguous = axes.every((a, i) => a === axes[0]! + i);
  const innermost = axes.length > 0 && axes[axes.length - 1] === rank - 1;
  if (x.dtype !== 'float32' || axes.length === 0 || (contiguous && innermost) || size(x.shape) === 0) {
    return runStock('Sum', wasm, { x }, attrs as Record<string, unknown>);
  }
  const keptShape = x.shape.filter((_, i) => !axes.includes(i));
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : keptShape;
  if (!contiguous) {
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const moved = run('Transpose', wasm, { x }, { perm: [...kept, ...axes] });
    const reducedAxes = axes.map((_, j) => kept.length + j);
    const out = runStock('Sum', wasm, { x: moved }, { axis: reducedAxes, keepDims: false });
    free(wasm, moved);
    return { ...out, shape: outShape };
  }
  const a0 = axes[0]!;
  const a1 = axes[axes.length - 1]!;
  const outer = size(x.shape.slice(0, a0));
  const red = size(x.shape.slice(a0, a1 + 1));
  const inner = size(x.shape.slice(a1 + 1));
  const simd = simdKernels(wasm);
  if (simd) {
    const out = zeroedOutput(wasm, outShape);
    simd.sumMiddle(offsetOf(wasm, x), outer, red, inner, offsetOf(wasm, out));
    return out;
  }
  const out = wasm.makeOutput(outShape, 'float32');
  const o = heap(wasm, out) as Float32Array;
  o.fill(0);
  const xs = heap(wasm, x) as Float32Array;
  for (let p = 0; p < outer; p++) {
    const dst = p * inner;
    for (let r = 0; r < red; r++) {
      const src = (p * red + r) * inner;
      for (let i = 0; i < inner; i++) o[dst + i] = o[dst + i]! + xs[src + i]!;
    }
  }
  return out;
}

export function reduceKernels(): tf.KernelConfig[] {
  return overrideStock({ kernelName: 'Sum', kernelFunc: sum });
}
