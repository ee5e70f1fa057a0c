import * as tf from '@tensorflow/tfjs';
import {
  type Attrs,
  type Backend,
  type Info,
  free,
  freeView,
  mark,
  offsetOf,
  reshape,
  run,
  runStock,
  size,
  stockKernel,
  transposeLast2,
  view,
} from './heap.js';
import { simdKernels } from './simd.js';

/**
 * BatchMatMul for the WASM backend.
 *
 * Stock tfjs-backend-wasm 4.22 runs a matmul with `transposeA`/`transposeB` through a slow generic
 * loop (0.6 GFLOP/s for 1024² with transposeA against ~20 GFLOP/s plain), and every autograd matmul
 * gradient uses transposes; a batched product takes a slow path too (~1 GFLOP/s). Its fast path, XNNPACK,
 * packs the weights on every call (they change every training step), single-threaded and at ≈ 15–20 ns
 * per float: about as long as a 512×784×512 product itself. So float32 products run in @lab/core's SIMD
 * kernel (simd.ts, native/kernels.c): it packs B in one SIMD pass, reads Aᵀ in place, uses fused
 * multiply-add where the engine has relaxed SIMD, and splits over the worker pool on the threaded build.
 * Measured on the build machine (2 threads): 512×784×512 ≈ 7–10 ms against 15–21 ms through XNNPACK.
 *
 * What remains stock: products whose batch dimensions broadcast other than a batched `a` against one
 * `b` (transposes made explicit, then XNNPACK per entry, see matMulNoTranspose), other dtypes, and the
 * whole path if the SIMD module cannot load. `b` goes to the stock kernels under a fresh tensor id (see
 * withFreshB).
 */

type WasmMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

const matMulFns = new WeakMap<Backend, WasmMatMul>();

function wasmMatMul(backend: Backend): WasmMatMul {
  let fn = matMulFns.get(backend);
  if (!fn) {
    const wasm = backend.wasm as unknown as { cwrap(name: string, ret: null, args: string[]): WasmMatMul };
    fn = wasm.cwrap('BatchMatMul', null, [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ]);
    matMulFns.set(backend, fn);
  }
  return fn;
}

function idOf(backend: Backend, x: Info): number {
  return (backend.dataIdMap.get(x.dataId) as unknown as { id: number }).id;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** out[i] = a[i] @ b[i or 0] for 3-D a [B, m, k], b [B|1, k, n], one XNNPACK 2-D call per batch entry. */
function batchedByLoop(backend: Backend, a: Info, b: Info): Info {
  const [batch, m, k] = a.shape as [number, number, number];
  const [bBatch, , n] = b.shape as [number, number, number];
  const out = backend.makeOutput([batch, m, n], 'float32');
  const fn = wasmMatMul(backend);
  const aShape = shapeBytes([1, m, k]);
  const bShape = shapeBytes([1, k, n]);
  for (let i = 0; i < batch; i++) {
    const av = view(backend, a, i * m * k, [1, m, k]);
    const bv = view(backend, b, (bBatch === 1 ? 0 : i) * k * n, [1, k, n]);
    const ov = view(backend, out, i * m * n, [1, m, n]);
    fn(idOf(backend, av), aShape, 3, idOf(backend, bv), bShape, 3, false, false, idOf(backend, ov));
    freeView(backend, av);
    freeView(backend, bv);
    freeView(backend, ov);
  }
  return out;
}

/**
 * Runs a stock matmul kernel with `b` under a fresh tensor id. The stock kernels cache an XNNPACK
 * operator (with `b` packed into it) by `b`'s id, but tensors that share a buffer (Reshape, Identity)
 * share that id under other shapes, and the cached operator then multiplies by a stale layout. A fresh
 * id per call, released right after (which drops the cached operator), rules that out. Weights change
 * every training step, so the cache saved nothing there.
 */
function withFreshB(
  backend: Backend,
  inputs: Record<string, Info>,
  call: (inputs: Record<string, Info>) => Info,
): Info {
  const b = inputs.b!;
  const fresh = view(backend, b, 0, b.shape);
  try {
    return call({ ...inputs, b: fresh });
  } finally {
    freeView(backend, fresh);
  }
}

/** Batch entries at or above which the per-entry loop beats the stock batched kernel (measured). */
const LOOP_MIN_WORK = 1 << 14;

function matMulNoTranspose(backend: Backend, a: Info, b: Info): Info {
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = a.shape[ar - 2]!;
  const k = a.shape[ar - 1]!;
  const n = b.shape[br - 1]!;
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const aBatch = size(aBatchShape);
  const bBatch = size(bBatchShape);
  const outBatchShape = tf.backend_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  const outShape = [...outBatchShape, m, n];
  const stock = (x: Info, y: Info) =>
    withFreshB(backend, { a: x, b: y }, (ins) =>
      runStock('BatchMatMul', backend, ins, { transposeA: false, transposeB: false }),
    );

  if (bBatch === 1 && aBatch > 1) {
    // [B, m, k] @ [k, n] is one [B·m, k] @ [k, n] product.
    const a2 = reshape(backend, a, [aBatch * m, k]);
    const b2 = reshape(backend, b, [k, n]);
    const out = stock(a2, b2);
    free(backend, a2);
    free(backend, b2);
    return { ...out, shape: outShape };
  }
  const sameBatch = aBatch === bBatch && aBatchShape.every((d, i) => d === bBatchShape[i]);
  if (aBatch > 1 && sameBatch && m * k * n >= LOOP_MIN_WORK) {
    const a3 = reshape(backend, a, [aBatch, m, k]);
    const b3 = reshape(backend, b, [bBatch, k, n]);
    const out = batchedByLoop(backend, a3, b3);
    free(backend, a3);
    free(backend, b3);
    return { ...out, shape: outShape };
  }
  return stock(a, b);
}

/**
 * Rows of C from which Aᵀ·B transposes A first: the kernel's Aᵀ·B reads A [k, m] down columns, one
 * m-float stride per step, which slows it once those strides span many pages (measured on the build
 * machine: [2048, 128]ᵀ-style products 15–26 GFLOP/s read in place against 27–35 transposed first; for
 * m ≤ 512 reading in place is as fast and skips the copy).
 */
const TN_MAX_ROWS = 1024;

/**
 * A·B, Aᵀ·B, A·Bᵀ, Aᵀ·Bᵀ through the SIMD kernel: float32, `a` and `b` with the same batch dimensions
 * or `b` unbatched. A transposed `b` is transposed back first (one SIMD pass, far cheaper than the
 * product); a transposed `a` is read in place. Null when it does not apply (other dtypes, broadcasting
 * batch dimensions, no SIMD module).
 */
export function simdMatMul(backend: Backend, a: Info, b: Info, transposeA: boolean, transposeB: boolean): Info | null {
  const simd = simdKernels(backend);
  const ar = a.shape.length;
  const br = b.shape.length;
  if (simd === null || a.dtype !== 'float32' || b.dtype !== 'float32' || ar < 2 || br < 2) return null;
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const batch = size(aBatchShape);
  const bBatch = size(bBatchShape);
  const sameBatch = ar === br && aBatchShape.every((d, i) => d === bBatchShape[i]);
  if (!sameBatch && bBatch !== 1) return null;
  const m = transposeA ? a.shape[ar - 1]! : a.shape[ar - 2]!;
  const k = transposeA ? a.shape[ar - 2]! : a.shape[ar - 1]!;
  const n = transposeB ? b.shape[br - 2]! : b.shape[br - 1]!;
  if (k !== (transposeB ? b.shape[br - 1]! : b.shape[br - 2]!)) return null;
  const outBatchShape = sameBatch ? aBatchShape : tf.backend_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  if (transposeA && m >= TN_MAX_ROWS) {
    const aT = transposeLast2(backend, a); // [..., m, k]
    try {
      return simdMatMul(backend, aT, b, false, transposeB);
    } finally {
      free(backend, aT);
    }
  }
  const bK = transposeB ? transposeLast2(backend, b) : b; // [..., k, n]
  const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
  const [ao, bo, oo] = [offsetOf(backend, a), offsetOf(backend, bK), offsetOf(backend, out)];
  const bStride = bBatch === 1 ? 0 : k * n;
  const packed = backend.makeOutput([Math.max(1, (bBatch === 1 ? 1 : batch) * k * (n - (n % 8)))], 'float32');
  const po = offsetOf(backend, packed);
  // [B, m, k] @ [k, n] is one [B·m, k] @ [k, n] product (rows split better over threads).
  if (!transposeA && bStride === 0) simd.matMul(ao, bo, po, oo, batch * m, k, n, 1, 0, false);
  else simd.matMul(ao, bo, po, oo, m, k, n, batch, bStride, transposeA);
  free(backend, packed);
  if (transposeB) free(backend, bK);
  return out;
}

export function batchMatMul({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): Info {
  const wasm = backend as Backend;
  const { a, b } = inputs as { a: Info; b: Info };
  const { transposeA = false, transposeB = false } = (attrs ?? {}) as Attrs as {
    transposeA?: boolean;
    transposeB?: boolean;
  };
  const viaSimd = simdMatMul(wasm, a, b, transposeA, transposeB);
  if (viaSimd) return viaSimd;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return runStock('BatchMatMul', wasm, inputs as Record<string, Info>, attrs as Attrs);
  }
  const a2 = transposeA ? transposeLast2(wasm, a) : a;
  const b2 = transposeB ? transposeLast2(wasm, b) : b;
  try {
    return matMulNoTranspose(wasm, a2, b2);
  } finally {
    if (transposeA) free(wasm, a2);
    if (transposeB) free(wasm, b2);
  }
}

/** Kernel configs that replace stock ones; each keeps the stock setupFunc (it initialises the cwrap the stock kernel needs). */
export function matMulKernels(): tf.KernelConfig[] {
  const out: tf.KernelConfig[] = [];
  const bmm = stockKernel('BatchMatMul');
  if (bmm)
    out.push({
      kernelName: 'BatchMatMul',
      backendName: 'wasm',
      setupFunc: bmm.setupFunc,
      kernelFunc: mark(batchMatMul as tf.KernelFunc, bmm),
    });
  return out;
}
