import type * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, heap, mark, offsetOf, size, zeroedOutput } from './heap.js';
import { simdKernels } from './simd.js';

/**
 * `UnsortedSegmentSum` for WASM (stock lacks it, so `tf.gather` had no gradient there):
 * out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]. One pass over the heap, rows added with a tight loop;
 * ids outside [0, numSegments) are dropped, as in TensorFlow. float32 rows are added by the SIMD kernels.
 */
function unsortedSegmentSum({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): Info {
  const wasm = backend as Backend;
  const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  // tf.unsortedSegmentSum allows ids of rank ≥ 1 covering the leading axes of x.
  const idRank = segmentIds.shape.length;
  const rows = size(segmentIds.shape);
  const inner = size(x.shape.slice(idRank));
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  const simd = simdKernels(wasm);
  if (simd && x.dtype === 'float32' && segmentIds.dtype === 'int32') {
    const out = zeroedOutput(wasm, outShape);
    simd.segmentSum(offsetOf(wasm, x), offsetOf(wasm, segmentIds), rows, inner, offsetOf(wasm, out), numSegments);
    return out;
  }
  const out = wasm.makeOutput(outShape, x.dtype);
  const o = heap(wasm, out);
  o.fill(0);
  const xs = heap(wasm, x);
  const ids = heap(wasm, segmentIds);
  if (inner === 1) {
    for (let i = 0; i < rows; i++) {
      const s = ids[i]!;
      if (s >= 0 && s < numSegments) o[s] = o[s]! + xs[i]!;
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const s = ids[i]!;
      if (s < 0 || s >= numSegments) continue;
      const src = i * inner;
      const dst = s * inner;
      for (let j = 0; j < inner; j++) o[dst + j] = o[dst + j]! + xs[src + j]!;
    }
  }
  return out;
}

export function segmentKernels(): tf.KernelConfig[] {
  return [
    { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: mark(unsortedSegmentSum as tf.KernelFunc) },
  ];
}
