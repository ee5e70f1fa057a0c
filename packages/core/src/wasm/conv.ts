import * as tf from '@tensorflow/tfjs';
import {
  type Backend,
  type Info,
  type KernelArgs,
  free,
  freeView,
  heapF32,
  mark,
  offsetOf,
  reshape,
  run,
  runStock,
  stockKernel,
  view,
} from './heap.js';
import { simdKernels } from './simd.js';

/**
 * Convolutions for WASM through im2col + matmul (core's SIMD kernels, see matmul.ts).
 *
 * Stock tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` (CNNs could not train), its
 * `Conv2DBackpropInput` is a naive loop (4.2 s for one 256×26×26×32 ← 3×3×64 layer), and its `Conv2D`
 * runs on XNNPACK's thread pool, whose idle threads spin and compete with core's own worker pool (core
 * starts XNNPACK with one thread, see threads.ts). All three are products over the im2col matrix
 * P [M = batch·outH·outW, K = fh·fw·inC]:
 *   Y [M, outC]  = P @ W               (forward)
 *   dW [K, outC] = Pᵀ @ dY            (filter gradient)
 *   dP [M, K]    = dY @ Wᵀ, then col2im scatter-adds dP into dX   (input gradient; stride 1: a forward
 *                                      convolution of dY with the rotated filter)
 * We process M in chunks of ~2 MB so the working set stays in cache and the heap stays small.
 */

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

let chunkFloats = 1 << 19;

/** Internal (tests): sets the im2col chunk size in floats; returns the previous one. */
export function setConvChunkFloats(n: number): number {
  const previous = chunkFloats;
  chunkFloats = n;
  return previous;
}

/** Rows per chunk: ~chunkFloats floats of im2col (it stays in cache), and at most 4096 rows. */
function chunkRows(m: number, k: number): number {
  return Math.max(1, Math.min(m, 4096, Math.floor(chunkFloats / k)));
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  a: ConvAttrs,
  dilations: number | [number, number] = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    dilations,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
}

type Simd = NonNullable<ReturnType<typeof simdKernels>>;

/** im2col rows m0 … m0 + rows − 1 of x (NHWC) into the chunk p [rows, K], in the SIMD kernel. */
function im2col(
  backend: Backend,
  simd: Simd,
  c: tf.backend_util.Conv2DInfo,
  x: Info,
  p: Info,
  m0: number,
  rows: number,
): void {
  simd.im2col(
    offsetOf(backend, x),
    offsetOf(backend, p),
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outHeight,
    c.outWidth,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    c.padInfo.top,
    c.padInfo.left,
    m0,
    rows,
  );
}

/** Y = P·W chunk by chunk, each chunk's product written straight into its rows of Y; x [B, H, W, inC], filter [fh, fw, inC, outC]. */
function conv2dNHWC(backend: Backend, simd: Simd, x: Info, filter: Info, c: tf.backend_util.Conv2DInfo): Info {
  const { batchSize, outHeight, outWidth, outChannels: N, filterHeight: fh, filterWidth: fw, inChannels } = c;
  const M = batchSize * outHeight * outWidth;
  const K = fh * fw * inChannels;
  const y = backend.makeOutput([batchSize, outHeight, outWidth, N], 'float32');
  const rowsPerChunk = chunkRows(M, K);
  const p = backend.makeOutput([Math.max(1, rowsPerChunk * K)], 'float32');
  const packed = backend.makeOutput([Math.max(1, K * (N - (N % 8)))], 'float32');
  for (let m0 = 0; m0 < M; m0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, M - m0);
    im2col(backend, simd, c, x, p, m0, rows);
    simd.matMul(
      offsetOf(backend, p),
      offsetOf(backend, filter),
      offsetOf(backend, packed),
      offsetOf(backend, y) + 4 * m0 * N,
      rows,
      K,
      N,
      1,
      0,
      false,
    );
  }
  free(backend, p);
  free(backend, packed);
  return y;
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

/**
 * Walks im2col rows m0 … m0 + rows − 1 (output positions, NHWC) patch by patch: for each of the fh·fw
 * taps, `visit(inputOffset, patchOffset)` gets the offset of its inChannels-long run in the input (−1
 * where the tap falls in the padding) and the offset of that run in the chunk's patch matrix [rows, K].
 * im2col copies the runs; col2im adds them back.
 */
function forEachPatchRun(
  c: tf.backend_util.Conv2DInfo,
  m0: number,
  rows: number,
  visit: (inputOffset: number, patchOffset: number) => void,
): void {
  const {
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    filterHeight: fh,
    filterWidth: fw,
    strideHeight: sh,
    strideWidth: sw,
  } = c;
  let patch = 0;
  for (let t = 0; t < rows; t++) {
    const m = m0 + t;
    const ox = m % outWidth;
    const oy = Math.floor(m / outWidth) % outHeight;
    const b = Math.floor(m / (outWidth * outHeight));
    const y0 = oy * sh - c.padInfo.top;
    const x0 = ox * sw - c.padInfo.left;
    for (let i = 0; i < fh; i++) {
      const yy = y0 + i;
      const rowOk = yy >= 0 && yy < inHeight;
      for (let j = 0; j < fw; j++, patch += inChannels) {
        const xx = x0 + j;
        visit(rowOk && xx >= 0 && xx < inWidth ? ((b * inHeight + yy) * inWidth + xx) * inChannels : -1, patch);
      }
    }
  }
}

/**
 * dW [K, outC] = Σ over chunks of Pᵀ [K, rows] · dY [rows, outC]; x: [B, H, W, inC] (NHWC),
 * dy: [B, outH, outW, outC]. Each chunk fills P [rows, K] with contiguous copies of inC-long runs; the
 * chunk's dY rows are used in place (a heap view), and the product reads Pᵀ in place.
 */
function filterGradNHWC(backend: Backend, x: Info, dy: Info, filterShape: number[], attrs: ConvAttrs): Info {
  const c = convInfo(x.shape, filterShape, attrs);
  const { batchSize, inChannels, outHeight, outWidth, outChannels, filterHeight: fh, filterWidth: fw } = c;
  const M = batchSize * outHeight * outWidth;
  const K = fh * fw * inChannels;
  const simd = simdKernels(backend);
  const rowsPerChunk = chunkRows(M, K);
  const acc = new Float32Array(outChannels * K); // dW [K, outC]
  for (let m0 = 0; m0 < M; m0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, M - m0);
    const p = backend.makeOutput([rows, K], 'float32');
    if (simd) im2col(backend, simd, c, x, p, m0, rows);
    else {
      const ps = heapF32(backend, p);
      const xs = heapF32(backend, x);
      forEachPatchRun(c, m0, rows, (src, w) => {
        if (src < 0) for (let ci = 0; ci < inChannels; ci++) ps[w + ci] = 0;
        else for (let ci = 0; ci < inChannels; ci++) ps[w + ci] = xs[src + ci]!;
      });
    }
    const dyRows = view(backend, dy, m0 * outChannels, [rows, outChannels]);
    const part = run('BatchMatMul', backend, { a: p, b: dyRows }, { transposeA: true, transposeB: false }); // [K, outC]
    freeView(backend, dyRows);
    const ps2 = heapF32(backend, part);
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + ps2[i]!;
    free(backend, part);
    free(backend, p);
  }
  const out = backend.makeOutput(filterShape, 'float32');
  const o = heapF32(backend, out);
  o.set(acc);
  return out;
}

/**
 * Stride 1: dX is a plain convolution of dY (padded by fh−1−top, …) with the filter rotated by 180°
 * and its in/out channels swapped, which runs on our Conv2D (as fast as the forward pass).
 * Returns null when the padding would be negative (then col2im is used).
 */
function inputGradByConv(backend: Backend, dy: Info, filter: Info, c: tf.backend_util.Conv2DInfo): Info | null {
  const { filterHeight: fh, filterWidth: fw, inChannels: ci, outChannels: co } = c;
  const { top, bottom, left, right } = c.padInfo;
  const pads = [fh - 1 - top, fh - 1 - bottom, fw - 1 - left, fw - 1 - right];
  if (pads.some((p) => p < 0)) return null;
  const rotated = backend.makeOutput([fh, fw, co, ci], 'float32'); // W'[i, j, o, k] = W[fh−1−i, fw−1−j, k, o]
  const w = heapF32(backend, filter);
  const r = heapF32(backend, rotated);
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const src = ((fh - 1 - i) * fw + (fw - 1 - j)) * ci * co;
      const dst = (i * fw + j) * co * ci;
      for (let k = 0; k < ci; k++) for (let o = 0; o < co; o++) r[dst + o * ci + k] = w[src + k * co + o]!;
    }
  }
  const dx = run(
    'Conv2D',
    backend,
    { x: dy, filter: rotated },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [pads[0], pads[1]],
        [pads[2], pads[3]],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    },
  );
  free(backend, rotated);
  return dx;
}

/** dX by col2im: dP = dY Wᵀ chunk by chunk, scatter-added into dX; dy: [B, outH, outW, outC] (NHWC). */
function inputGradNHWC(backend: Backend, dy: Info, filter: Info, inShape: number[], attrs: ConvAttrs): Info {
  const c = convInfo(inShape, filter.shape, attrs);
  if (c.strideHeight === 1 && c.strideWidth === 1) {
    const dx = inputGradByConv(backend, dy, filter, c);
    if (dx) return dx;
  }
  const { batchSize, inChannels, outHeight, outWidth, outChannels, filterHeight: fh, filterWidth: fw } = c;
  const M = batchSize * outHeight * outWidth;
  const K = fh * fw * inChannels;
  const rowsPerChunk = chunkRows(M, K);
  const w2 = reshape(backend, filter, [K, outChannels]);
  const wT = run('Transpose', backend, { x: w2 }, { perm: [1, 0] }); // [outC, K]
  free(backend, w2);
  const dy2 = reshape(backend, dy, [M, outChannels]);
  const dx = backend.makeOutput(inShape, 'float32');
  heapF32(backend, dx).fill(0);
  for (let m0 = 0; m0 < M; m0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, M - m0);
    const dyChunk = view(backend, dy2, m0 * outChannels, [rows, outChannels]);
    const dP = run('BatchMatMul', backend, { a: dyChunk, b: wT }, { transposeA: false, transposeB: false }); // [rows, K]
    freeView(backend, dyChunk);
    const p = heapF32(backend, dP);
    const out = heapF32(backend, dx);
    forEachPatchRun(c, m0, rows, (dst, r) => {
      if (dst < 0) return;
      for (let ci = 0; ci < inChannels; ci++) out[dst + ci] = out[dst + ci]! + p[r + ci]!;
    });
    free(backend, dP);
  }
  free(backend, wT);
  free(backend, dy2);
  return dx;
}

export function conv2D({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x, filter } = inputs as { x: Info; filter: Info };
  const a = attrs as unknown as ConvAttrs & { dilations?: number | [number, number] };
  const simd = simdKernels(wasm);
  if (simd === null || x.dtype !== 'float32' || filter.dtype !== 'float32')
    return runStock('Conv2D', wasm, inputs as Record<string, Info>, attrs as Record<string, unknown>);
  if (a.dataFormat !== 'NCHW')
    return conv2dNHWC(wasm, simd, x, filter, convInfo(x.shape, filter.shape, a, a.dilations));
  const xT = run('Transpose', wasm, { x }, { perm: NCHW_TO_NHWC });
  const yT = conv2dNHWC(wasm, simd, xT, filter, convInfo(xT.shape, filter.shape, a, a.dilations));
  free(wasm, xT);
  const y = run('Transpose', wasm, { x: yT }, { perm: NHWC_TO_NCHW });
  free(wasm, yT);
  return y;
}

function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
  if (a.dataFormat !== 'NCHW') return filterGradNHWC(wasm, x, dy, a.filterShape, a);
  const xT = run('Transpose', wasm, { x }, { perm: NCHW_TO_NHWC });
  const dyT = run('Transpose', wasm, { x: dy }, { perm: NCHW_TO_NHWC });
  try {
    return filterGradNHWC(wasm, xT, dyT, a.filterShape, a);
  } finally {
    free(wasm, xT);
    free(wasm, dyT);
  }
}

function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
  if (a.dataFormat !== 'NCHW') return inputGradNHWC(wasm, dy, filter, a.inputShape, a);
  const [n, ch, h, w] = a.inputShape as [number, number, number, number];
  const dyT = run('Transpose', wasm, { x: dy }, { perm: NCHW_TO_NHWC });
  const dxT = inputGradNHWC(wasm, dyT, filter, [n, h, w, ch], a);
  free(wasm, dyT);
  const dx = run('Transpose', wasm, { x: dxT }, { perm: NHWC_TO_NCHW });
  free(wasm, dxT);
  return dx;
}

export function convKernels(): tf.KernelConfig[] {
  const stockInput = stockKernel('Conv2DBackpropInput');
  const stockConv = stockKernel('Conv2D');
  return [
    {
      kernelName: 'Conv2D',
      backendName: 'wasm',
      setupFunc: stockConv?.setupFunc,
      kernelFunc: mark(conv2D as tf.KernelFunc, stockConv),
    },
    {
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: mark(conv2DBackpropFilter as tf.KernelFunc),
    },
    {
      kernelName: 'Conv2DBackpropInput',
      backendName: 'wasm',
      setupFunc: stockInput?.setupFunc,
      kernelFunc: mark(conv2DBackpropInput as tf.KernelFunc, stockInput),
    },
  ];
}
