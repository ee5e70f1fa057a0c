import * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, type KernelArgs, type StockOverride, heap, offsetOf } from './heap.js';
import { simdKernels } from './simd.js';

/**
 * `MaxPoolGrad`: stock tfjs-backend-wasm 4.22 drops the gradient of windows whose values are all negative.
 * dx[argmax of each window] += dy (first maximum wins, as on the cpu backend); NHWC. The SIMD module's
 * loop (W2's pool gradient: 92 → ≈ 15 ms), or this one in JS if it did not load.
 */
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

export const maxPoolGradOverride: StockOverride = { kernelName: 'MaxPoolGrad', kernelFunc: maxPoolGrad };
