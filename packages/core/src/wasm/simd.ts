import type * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, mark, offsetOf, runStock, size, stockKernel } from './heap.js';
import { KERNELS_PLAIN, KERNELS_SHARED } from './simd-binary.js';

/**
 * @lab/core's own SIMD kernels (packages/core/native/kernels.c, built by tools/scripts/build-kernels.sh).
 *
 * The module imports tfjs-backend-wasm's memory, so it reads and writes tensors where they already are:
 * every argument is a byte offset into the heap. Stock tfjs computes `exp` and `tanh` one scalar libm
 * call at a time (≈ 10 and 25 ms per million floats on the build machine); these take ≈ 3 and 2 ms.
 * Moving rows (transposes, gathers, segment sums, sums over a middle axis) runs as SIMD loops and
 * `memory.copy` instead of JS element loops, and small matrix products skip XNNPACK's per-call packing.
 */

export interface SimdKernels {
  exp(x: number, y: number, n: number): void;
  tanh(x: number, y: number, n: number): void;
  /** `batch` consecutive [rows, cols] float32 (or any 4-byte) matrices → [cols, rows]. */
  transpose(src: number, dst: number, batch: number, rows: number, cols: number): void;
  /** out (zeroed, [segments, inner]) += rows of x [rows, inner] by ids (int32). */
  segmentSum(x: number, ids: number, rows: number, inner: number, out: number, segments: number): void;
  /** out (zeroed, [outer, inner]) = Σ over the middle axis of x [outer, red, inner]. */
  sumMiddle(x: number, outer: number, red: number, inner: number, out: number): void;
  /** out [outer, count, inner] = x [outer, n, inner] at rows ids (in range, int32); 4-byte elements. */
  gatherRows(x: number, outer: number, n: number, inner: number, ids: number, count: number, out: number): void;
  /** C (zeroed, [M, N]) = Aᵀ·B for A [K, M], B [K, N], without packing (see kernels.c). */
  matMulTN(a: number, b: number, c: number, m: number, k: number, n: number): void;
  /** C (zeroed, [M, N]) = A·B for A [M, K], B [K, N], without packing. */
  matMulNN(a: number, b: number, c: number, m: number, k: number, n: number): void;
  /** Rows of `row` 4-byte elements gathered over up to four outer axes (sizes n, strides s in elements). */
  permuteRows(src: number, dst: number, row: number, n0: number, s0: number, n1: number, s1: number, n2: number, s2: number, n3: number, s3: number): void;
}

interface Exports {
  lab_exp_f32(x: number, y: number, n: number): void;
  lab_tanh_f32(x: number, y: number, n: number): void;
  lab_transpose_f32(src: number, dst: number, batch: number, rows: number, cols: number): void;
  lab_segment_sum_f32(x: number, ids: number, rows: number, inner: number, out: number, segments: number): void;
  lab_sum_middle_f32(x: number, outer: number, red: number, inner: number, out: number): void;
  lab_gather_rows_32(x: number, outer: number, n: number, inner: number, ids: number, count: number, out: number): void;
  lab_matmul_tn_f32(a: number, b: number, c: number, m: number, k: number, n: number): void;
  lab_matmul_nn_f32(a: number, b: number, c: number, m: number, k: number, n: number): void;
  lab_permute_rows_32(src: number, dst: number, row: number, n0: number, s0: number, n1: number, s1: number, n2: number, s2: number, n3: number, s3: number): void;
}

const instances = new WeakMap<Backend, SimdKernels | null>();

function heapMemory(backend: Backend): WebAssembly.Memory | undefined {
  const module = backend.wasm as unknown as { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  return module.wasmMemory ?? module.asm?.memory;
}

/** The SIMD kernels bound to `backend`'s heap, or null when they cannot load (then callers keep their fallback). */
export function simdKernels(backend: Backend): SimdKernels | null {
  let kernels = instances.get(backend);
  if (kernels !== undefined) return kernels;
  kernels = null;
  const memory = heapMemory(backend);
  if (memory) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const bytes = Buffer.from(shared ? KERNELS_SHARED : KERNELS_PLAIN, 'base64');
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      const e = instance.exports as unknown as Exports;
      kernels = {
        exp: e.lab_exp_f32,
        tanh: e.lab_tanh_f32,
        transpose: e.lab_transpose_f32,
        segmentSum: e.lab_segment_sum_f32,
        sumMiddle: e.lab_sum_middle_f32,
        gatherRows: e.lab_gather_rows_32,
        matMulTN: e.lab_matmul_tn_f32,
        matMulNN: e.lab_matmul_nn_f32,
        permuteRows: e.lab_permute_rows_32,
      };
    } catch {
      kernels = null;
    }
  }
  instances.set(backend, kernels);
  return kernels;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function unary(name: 'Exp' | 'Tanh', pick: (k: SimdKernels) => (x: number, y: number, n: number) => void) {
  return ({ inputs, backend }: KernelArgs): Info => {
    const wasm = backend as Backend;
    const { x } = inputs as { x: Info };
    const kernels = simdKernels(wasm);
    if (x.dtype !== 'float32' || kernels === null) return runStock(name, wasm, { x });
    const out = wasm.makeOutput(x.shape, 'float32');
    pick(kernels)(offsetOf(wasm, x), offsetOf(wasm, out), size(x.shape));
    return out;
  };
}

/** `Exp` and `Tanh` through the SIMD kernels (float32; other dtypes stay stock). */
export function simdKernelConfigs(): tf.KernelConfig[] {
  const configs: tf.KernelConfig[] = [];
  for (const [name, pick] of [['Exp', (k: SimdKernels) => k.exp], ['Tanh', (k: SimdKernels) => k.tanh]] as const) {
    const stock = stockKernel(name);
    if (stock) configs.push({ kernelName: name, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: mark(unary(name, pick) as tf.KernelFunc, stock) });
  }
  return configs;
}
