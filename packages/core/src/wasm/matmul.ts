import * as tf from '@tensorflow/tfjs';
import { type Attrs, type Backend, type Info, free, freeView, mark, offsetOf, reshape, run, runStock, size, stockKernel, transposeLast2, view, zeroedOutput } from './heap.js';
import { simdKernels } from './simd.js';

/**
 * BatchMatMul fast paths for the WASM backend.
 *
 * Stock tfjs-backend-wasm 4.22 runs a matmul with `transposeA`/`transposeB` through a slow generic
 * loop (0.6 GFLOP/s for 1024² with transposeA against ~20 GFLOP/s plain), and every autograd matmul
 * gradient uses transposes. A batched product (batch > 1) also takes a slow path (~1 GFLOP/s).
 * We therefore:
 *   1. materialise transposes with the WASM Transpose kernel, then multiply without transposes;
 *   2. fold a batched `a` against an unbatched `b` into one 2-D product ([B·m, k] @ [k, n]);
 *   3. run a truly batched product as one XNNPACK 2-D product per batch entry, on views of the
 *      heap (no copies);
 *   4. compute Aᵀ·B with a small output in our SIMD kernel (no packing), batched products with small
 *      per-entry outputs likewise, and Aᵀ·B with n > m as (Bᵀ·A)ᵀ, so that XNNPACK packs the smaller operand;
 *   5. hand `b` to the stock kernels under a fresh tensor id (see withFreshB).
 */

type WasmMatMul = (
  aId: number, aShape: Uint8Array, aRank: number,
  bId: number, bShape: Uint8Array, bRank: number,
  transposeA: boolean, transposeB: boolean, outId: number,
) => void;

const matMulFns = new WeakMap<Backend, WasmMatMul>();

function wasmMatMul(backend: Backend): WasmMatMul {
  let fn = matMulFns.get(backend);
  if (!fn) {
    const wasm = backend.wasm as unknown as { cwrap(name: string, ret: null, args: string[]): WasmMatMul };
    fn = wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
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
function withFreshB(backend: Backend, inputs: Record<string, Info>, call: (inputs: Record<string, Info>) => Info): Info {
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
    withFreshB(backend, { a: x, b: y }, (ins) => runStock('BatchMatMul', backend, ins, { transposeA: false, transposeB: false }));

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
 * Largest Aᵀ·B output (m·n) computed by the SIMD kernel without packing: long contractions into small
 * outputs (message passing, bias-like weight gradients), where XNNPACK's per-call packing of a k-long
 * operand costs more than the product. Measured on the build machine: [10000, 64]ᵀ·[10000, 64] 4.4 ms
 * against ≈ 12 ms through transpose + XNNPACK with two threads.
 */
const TN_MAX_OUTPUT = 128 * 128;

/**
 * Aᵀ·B for A [k, m], B [k, n] with n > m (weight gradients such as xᵀ·dy), as (Bᵀ·A)ᵀ. XNNPACK packs the
 * right-hand operand on every call, single-threaded, and packing costs more per element than our SIMD
 * transpose; this way the smaller operand (A, k·m) is packed and the larger one (B, k·n) transposed.
 */
function transposedProduct(backend: Backend, a: Info, b: Info): Info {
  const bT = transposeLast2(backend, b); // [n, k]
  const outT = matMulNoTranspose(backend, bT, a); // [n, m]
  free(backend, bT);
  const out = transposeLast2(backend, outT); // [m, n]
  free(backend, outT);
  return out;
}

/**
 * Batched products with small per-entry outputs (≤ TN_MAX_OUTPUT; attention scores and values): one
 * SIMD product per entry, Aᵀ·B when `a` comes transposed, else A·B (a transposed `b` is transposed
 * back first, in one batched SIMD call). This skips XNNPACK's per-entry operator set-up and packing.
 * Null when it does not apply.
 */
function batchedSmallProducts(backend: Backend, a: Info, b: Info, transposeA: boolean, transposeB: boolean): Info | null {
  const simd = simdKernels(backend);
  const r = a.shape.length;
  if (simd === null || r < 3 || b.shape.length !== r || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) return null;
  const m = transposeA ? a.shape[r - 1]! : a.shape[r - 2]!;
  const k = transposeA ? a.shape[r - 2]! : a.shape[r - 1]!;
  const n = transposeB ? b.shape[r - 2]! : b.shape[r - 1]!;
  if (m * n > TN_MAX_OUTPUT || k !== (transposeB ? b.shape[r - 1]! : b.shape[r - 2]!)) return null;
  const bK = transposeB ? transposeLast2(backend, b) : b; // [..., k, n]
  const out = zeroedOutput(backend, [...a.shape.slice(0, -2), m, n]);
  const [ao, bo, oo] = [offsetOf(backend, a), offsetOf(backend, bK), offsetOf(backend, out)];
  const batch = size(a.shape.slice(0, -2));
  for (let i = 0; i < batch; i++) {
    const [ai, bi, oi] = [ao + 4 * i * k * m, bo + 4 * i * k * n, oo + 4 * i * m * n];
    if (transposeA) simd.matMulTN(ai, bi, oi, m, k, n);
    else simd.matMulNN(ai, bi, oi, m, k, n);
  }
  if (transposeB) free(backend, bK);
  return out;
}

function batchMatMul({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const wasm = backend as Backend;
  const { a, b } = inputs as { a: Info; b: Info };
  const { transposeA = false, transposeB = false } = (attrs ?? {}) as Attrs as { transposeA?: boolean; transposeB?: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return runStock('BatchMatMul', wasm, inputs as Record<string, Info>, attrs as Attrs);
  }
  const small = batchedSmallProducts(wasm, a, b, transposeA, transposeB);
  if (small) return small;
  if (transposeA && !transposeB && a.shape.length === 2 && b.shape.length === 2) {
    const [k, m] = a.shape as [number, number];
    const n = b.shape[1]!;
    const simd = simdKernels(wasm);
    if (simd && m * n <= TN_MAX_OUTPUT && k === b.shape[0]) {
      const out = zeroedOutput(wasm, [m, n]);
      simd.matMulTN(offsetOf(wasm, a), offsetOf(wasm, b), offsetOf(wasm, out), m, k, n);
      return out;
    }
    if (n > m) return transposedProduct(wasm, a, b);
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

/** `_FusedMatMul` (matmul + bias + activation): transposes made explicit, `b` under a fresh id, the rest stays stock. */
function fusedMatMul({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const wasm = backend as Backend;
  const all = attrs as unknown as { transposeA?: boolean; transposeB?: boolean };
  const { a, b } = inputs as { a: Info; b: Info };
  const stock = (ins: Record<string, Info>) =>
    withFreshB(wasm, ins, (fresh) => runStock('_FusedMatMul', wasm, fresh, { ...(attrs as Attrs), transposeA: false, transposeB: false }));
  if (!all.transposeA && !all.transposeB) return stock(inputs as Record<string, Info>);
  const a2 = all.transposeA ? transposeLast2(wasm, a) : a;
  const b2 = all.transposeB ? transposeLast2(wasm, b) : b;
  try {
    return stock({ ...(inputs as Record<string, Info>), a: a2, b: b2 });
  } finally {
    if (all.transposeA) free(wasm, a2);
    if (all.transposeB) free(wasm, b2);
  }
}

/** Kernel configs that replace stock ones; each keeps the stock setupFunc (it initialises the cwrap the stock kernel needs). */
export function matMulKernels(): tf.KernelConfig[] {
  const out: tf.KernelConfig[] = [];
  const bmm = stockKernel('BatchMatMul');
  if (bmm) out.push({ kernelName: 'BatchMatMul', backendName: 'wasm', setupFunc: bmm.setupFunc, kernelFunc: mark(batchMatMul as tf.KernelFunc, bmm) });
  const fused = stockKernel('_FusedMatMul');
  if (fused) out.push({ kernelName: '_FusedMatMul', backendName: 'wasm', setupFunc: fused.setupFunc, kernelFunc: mark(fusedMatMul as tf.KernelFunc, fused) });
  return out;
}

