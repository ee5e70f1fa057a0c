import * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, type KernelArgs, type StockOverride, heap, offsetOf, size } from './heap.js';
import { simdKernels } from './simd.js';

/**
 * `GatherV2`: stock tfjs-backend-wasm 4.22 gathers from the wrong rows when `batchDims > 0` (found by the
 * op matrix), and indexes element by element: 210 ms to gather 50k rows of 64 floats, where the row
 * copies here (the SIMD module's, or `set` in JS) take a few ms.
 */
function gatherV2({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x, indices } = inputs as { x: Info; indices: Info };
  const { axis, batchDims = 0 } = attrs as unknown as { axis: number; batchDims?: number };
  const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
    x as tf.TensorInfo as tf.Tensor,
    indices as tf.TensorInfo as tf.Tensor,
    parsedAxis,
    batchDims,
  );
  const { batchSize, outerSize, dimSize, sliceSize } = info;
  const perBatch = size(indices.shape) / batchSize;
  const simd = x.dtype === 'bool' ? null : simdKernels(wasm);
  if (simd && batchSize === 1 && indices.dtype === 'int32') {
    const ids = heap(wasm, indices);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! < 0 || ids[i]! >= dimSize)
        throw new Error(`GatherV2: the index value ${ids[i]} is not in [0, ${dimSize - 1}]`);
    }
    const out = wasm.makeOutput(info.outputShape, x.dtype);
    simd.gatherRows(
      offsetOf(wasm, x),
      outerSize,
      dimSize,
      sliceSize,
      offsetOf(wasm, indices),
      ids.length,
      offsetOf(wasm, out),
    );
    return out;
  }
  const out = wasm.makeOutput(info.outputShape, x.dtype);
  const xs = heap(wasm, x);
  const ids = heap(wasm, indices);
  const o = heap(wasm, out);
  let dst = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let outer = 0; outer < outerSize; outer++) {
      for (let i = 0; i < perBatch; i++) {
        const id = ids[b * perBatch + i]!;
        if (id < 0 || id >= dimSize) throw new Error(`GatherV2: the index value ${id} is not in [0, ${dimSize - 1}]`);
        const src = ((b * outerSize + outer) * dimSize + id) * sliceSize;
        if (sliceSize >= 16) {
          o.set(xs.subarray(src, src + sliceSize), dst);
          dst += sliceSize;
        } else {
          for (let j = 0; j < sliceSize; j++) o[dst++] = xs[src + j]!;
        }
      }
    }
  }
  return out;
}

export const gatherV2Override: StockOverride = { kernelName: 'GatherV2', kernelFunc: gatherV2 };
