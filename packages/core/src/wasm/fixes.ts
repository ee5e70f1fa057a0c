import * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, free, heap, mark, offsetOf, run, runStock, size, stockKernel } from './heap.js';
import { simdKernels } from './simd.js';

/**
 * Overrides for stock tfjs-backend-wasm 4.22 kernels that return wrong values (found by the op matrix):
 * - `StridedSlice` with a non-contiguous slice labels its output float32 whatever the input dtype,
 *   so an int32 slice reads back as denormal floats (1 → 1.4e-45).
 * - `GatherV2` with `batchDims > 0` gathers from the wrong rows (and the stock kernel indexes element
 *   by element: 210 ms to gather 50k rows of 64 floats; row copies here take a few ms).
 * - `MaxPoolGrad` drops the gradient of windows whose values are all negative.
 * It also holds small fast paths for stock kernels that are correct but slow (Pow).
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function stridedSlice({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x } = inputs as { x: Info };
  if (x.dtype === 'float32') return runStock('StridedSlice', wasm, { x }, attrs as Record<string, unknown>);
  if (x.dtype === 'int32') {
    // The copy is bit-exact (4-byte elements); only the dtype label is wrong.
    const out = runStock('StridedSlice', wasm, { x }, attrs as Record<string, unknown>);
    (wasm.dataIdMap.get(out.dataId) as unknown as { dtype: string }).dtype = 'int32';
    return { ...out, dtype: 'int32' };
  }
  // bool (1-byte elements): slice as float32 and cast back.
  const xf = run('Cast', wasm, { x }, { dtype: 'float32' });
  const sf = runStock('StridedSlice', wasm, { x: xf }, attrs as Record<string, unknown>);
  free(wasm, xf);
  const out = run('Cast', wasm, { x: sf }, { dtype: x.dtype });
  free(wasm, sf);
  return out;
}

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

/** dx[argmax of each window] += dy (first maximum wins, as on the cpu backend); NHWC. The SIMD module's loop (W2's pool gradient: 92 → ≈ 15 ms), or this one in JS if it did not load. */
function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { dy, input } = inputs as { dy: Info; input: Info };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const c = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: ch,
    outHeight,
    outWidth,
    strideHeight: sh,
    strideWidth: sw,
    filterHeight: fh,
    filterWidth: fw,
  } = c;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const dx = wasm.makeOutput(input.shape, 'float32');
  const simd = input.dtype === 'float32' && dy.dtype === 'float32' ? simdKernels(wasm) : null;
  if (simd) {
    simd.maxPoolGrad(
      offsetOf(wasm, input),
      offsetOf(wasm, dy),
      offsetOf(wasm, dx),
      batchSize,
      inHeight,
      inWidth,
      ch,
      outHeight,
      outWidth,
      fh,
      fw,
      sh,
      sw,
      top,
      left,
    );
    return dx;
  }
  const o = heap(wasm, dx);
  o.fill(0);
  const xs = heap(wasm, input);
  const g = heap(wasm, dy);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * ch;
        for (let k = 0; k < ch; k++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < fh; i++) {
            const yy = oy * sh - top + i;
            if (yy < 0 || yy >= inHeight) continue;
            for (let j = 0; j < fw; j++) {
              const xx = ox * sw - left + j;
              if (xx < 0 || xx >= inWidth) continue;
              const idx = ((b * inHeight + yy) * inWidth + xx) * ch + k;
              const v = xs[idx]!;
              if (v > best || at < 0) {
                best = v;
                at = idx;
              }
            }
          }
          if (at >= 0) o[at] = o[at]! + g[dyBase + k]!;
        }
      }
    }
  }
  return dx;
}

/**
 * `Pow` with a scalar exponent in {1, 2, 3, 4, 0.5, −1} through Multiply/Sqrt/Reciprocal: the stock
 * kernel calls `pow()` per element (≈ 30 ms per 1M elements; GELU's x³ and its gradient's x² hit it).
 */
function pow({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { a, b } = inputs as { a: Info; b: Info };
  if (
    size(b.shape) === 1 &&
    a.dtype === 'float32' &&
    size(a.shape) >= size(b.shape) &&
    b.shape.length <= a.shape.length
  ) {
    const e = heap(wasm, b)[0]!;
    const mul = (x: Info, y: Info) => run('Multiply', wasm, { a: x, b: y });
    const shaped = (x: Info): Info => ({ ...x, shape: tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape) });
    if (e === 1) return shaped(run('Identity', wasm, { x: a }));
    if (e === 2) return shaped(mul(a, a));
    if (e === 3 || e === 4) {
      const sq = mul(a, a);
      const out = mul(sq, e === 3 ? a : sq);
      free(wasm, sq);
      return shaped(out);
    }
    if (e === 0.5) return shaped(run('Sqrt', wasm, { x: a }));
    if (e === -1) return shaped(run('Reciprocal', wasm, { x: a }));
  }
  return runStock('Pow', wasm, inputs as Record<string, Info>, attrs as Record<string, unknown>);
}

export function fixKernels(): tf.KernelConfig[] {
  const out: tf.KernelConfig[] = [];
  const pw = stockKernel('Pow');
  if (pw)
    out.push({
      kernelName: 'Pow',
      backendName: 'wasm',
      setupFunc: pw.setupFunc,
      kernelFunc: mark(pow as tf.KernelFunc, pw),
    });
  const mp = stockKernel('MaxPoolGrad');
  if (mp)
    out.push({
      kernelName: 'MaxPoolGrad',
      backendName: 'wasm',
      setupFunc: mp.setupFunc,
      kernelFunc: mark(maxPoolGrad as tf.KernelFunc, mp),
    });
  const ss = stockKernel('StridedSlice');
  if (ss)
    out.push({
      kernelName: 'StridedSlice',
      backendName: 'wasm',
      setupFunc: ss.setupFunc,
      kernelFunc: mark(stridedSlice as tf.KernelFunc, ss),
    });
  const g = stockKernel('GatherV2');
  if (g)
    out.push({
      kernelName: 'GatherV2',
      backendName: 'wasm',
      setupFunc: g.setupFunc,
      kernelFunc: mark(gatherV2 as tf.KernelFunc, g),
    });
  return out;
}
