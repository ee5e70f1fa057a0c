import { setFlagsFromString } from 'node:v8';
import type * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, type KernelArgs, offsetOf, overrideStock, runStock, size } from './heap.js';
import { KernelPool } from './pool.js';
import { KERNELS_PLAIN, KERNELS_PLAIN_RELAXED, KERNELS_SHARED, KERNELS_SHARED_RELAXED } from './simd-binary.js';
import { wasmThreads } from './threads.js';

/**
 * @lab/core's own SIMD kernels (packages/core/native/kernels.c, built by tools/scripts/build-kernels.sh).
 *
 * The module imports tfjs-backend-wasm's memory, so it reads and writes tensors where they already are:
 * every argument is a byte offset into the heap. Stock tfjs computes `exp` and `tanh` one scalar libm
 * call at a time (≈ 10 and 25 ms per million floats on the build machine); these take ≈ 3 and 2 ms.
 * Moving rows (transposes, gathers, segment sums, sums over a middle axis) runs as SIMD loops and
 * `memory.copy` instead of JS element loops. Matrix products run here rather than in XNNPACK, whose
 * per-call packing of the weights is slow (see matmul.ts); on the threaded build they split over a
 * worker pool (pool.ts) that instantiates this same module on the shared heap. Each kernel comes in
 * four builds: plain or shared memory (the threaded build), with or without relaxed SIMD (fused
 * multiply-add).
 */

/** Element-wise binary kernels: float32 in, float32 (maximum, minimum) or bool (comparisons) out. */
export type BinaryKernel =
  'maximum' | 'minimum' | 'greater' | 'greaterEqual' | 'less' | 'lessEqual' | 'equal' | 'notEqual';

export interface SimdKernels {
  exp(x: number, y: number, n: number): void;
  tanh(x: number, y: number, n: number): void;
  /** Natural log (≤ 2 ulp), square root and reciprocal square root of n float32. */
  log(x: number, y: number, n: number): void;
  sqrt(x: number, y: number, n: number): void;
  rsqrt(x: number, y: number, n: number): void;
  /**
   * out[i] = op(a[i % aPeriod], b[i % bPeriod]) for i < n; each period is n, 1 or the size of trailing
   * axes, and at least one is n.
   */
  binary: Record<
    BinaryKernel,
    (a: number, aPeriod: number, b: number, bPeriod: number, out: number, n: number) => void
  >;
  /** out[i] = cond[i] ? t[i] : e[i] (cond bool bytes; 4-byte elements). */
  select(cond: number, t: number, e: number, out: number, n: number): void;
  /** `batch` consecutive [rows, cols] float32 (or any 4-byte) matrices → [cols, rows]. */
  transpose(src: number, dst: number, batch: number, rows: number, cols: number): void;
  /** out (zeroed, [segments, inner]) += rows of x [rows, inner] by ids (int32). */
  segmentSum(x: number, ids: number, rows: number, inner: number, out: number, segments: number): void;
  /** out (zeroed, [outer, inner]) = Σ over the middle axis of x [outer, red, inner]. */
  sumMiddle(x: number, outer: number, red: number, inner: number, out: number): void;
  /** out [outer, count, inner] = x [outer, n, inner] at rows ids (in range, int32); 4-byte elements. */
  gatherRows(x: number, outer: number, n: number, inner: number, ids: number, count: number, out: number): void;
  /**
   * C[e] = A[e]·B[e], or A[e]ᵀ·B[e] when `transposeA`, for `batch` entries: A [M, K] (or [K, M]),
   * B [K, N] with entries `bStride` floats apart (0: one B for all), C [M, N] (written, not added to).
   * `packed` is scratch space for (N − N % 8)·K floats per B entry (see kernels.c). Large products
   * split over the worker pool.
   */
  matMul(
    a: number,
    b: number,
    packed: number,
    c: number,
    m: number,
    k: number,
    n: number,
    batch: number,
    bStride: number,
    transposeA: boolean,
  ): void;
  /**
   * im2col: P [rows, fh·fw·C] for output positions m0 … m0 + rows − 1 of a convolution over x [B, H, W, C]
   * (strides sh, sw; dilations dh, dw; padding top, left), zeros where a tap falls in the padding.
   */
  im2col(
    x: number,
    p: number,
    h: number,
    w: number,
    c: number,
    outH: number,
    outW: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
    top: number,
    left: number,
    m0: number,
    rows: number,
  ): void;
  /** dx [B, H, W, C] (written) = dy [B, outH, outW, C] routed to each pooling window's first maximum in x (NHWC). */
  maxPoolGrad(
    x: number,
    dy: number,
    dx: number,
    b: number,
    h: number,
    w: number,
    c: number,
    outH: number,
    outW: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    top: number,
    left: number,
  ): void;
  /**
   * dst = rows of `row` 4-byte elements copied from src, in the order of up to four outer axes given
   * outermost first as [count, stride in elements] (row i0, i1, … starts at Σ i·stride).
   */
  permuteRows(src: number, dst: number, row: number, outer: ReadonlyArray<readonly [number, number]>): void;
}

type BinaryExport = (a: number, aPeriod: number, b: number, bPeriod: number, out: number, n: number) => void;

interface Exports {
  lab_exp_f32(x: number, y: number, n: number): void;
  lab_tanh_f32(x: number, y: number, n: number): void;
  lab_log_f32(x: number, y: number, n: number): void;
  lab_sqrt_f32(x: number, y: number, n: number): void;
  lab_rsqrt_f32(x: number, y: number, n: number): void;
  lab_maximum_f32: BinaryExport;
  lab_minimum_f32: BinaryExport;
  lab_greater_f32: BinaryExport;
  lab_greater_equal_f32: BinaryExport;
  lab_less_f32: BinaryExport;
  lab_less_equal_f32: BinaryExport;
  lab_equal_f32: BinaryExport;
  lab_not_equal_f32: BinaryExport;
  lab_select_32(cond: number, t: number, e: number, out: number, n: number): void;
  lab_transpose_f32(src: number, dst: number, batch: number, rows: number, cols: number): void;
  lab_segment_sum_f32(x: number, ids: number, rows: number, inner: number, out: number, segments: number): void;
  lab_sum_middle_f32(x: number, outer: number, red: number, inner: number, out: number): void;
  lab_gather_rows_32(x: number, outer: number, n: number, inner: number, ids: number, count: number, out: number): void;
  lab_pack_b_f32(b: number, packed: number, k: number, n: number, batch: number): void;
  lab_matmul_f32(
    a: number,
    b: number,
    packed: number,
    c: number,
    m: number,
    k: number,
    n: number,
    batch: number,
    bStride: number,
    transA: number,
    next: number,
    part: number,
    parts: number,
  ): void;
  lab_im2col_f32(
    x: number,
    p: number,
    h: number,
    w: number,
    c: number,
    outH: number,
    outW: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
    top: number,
    left: number,
    m0: number,
    rows: number,
  ): void;
  lab_max_pool_grad_f32(
    x: number,
    dy: number,
    dx: number,
    b: number,
    h: number,
    w: number,
    c: number,
    outH: number,
    outW: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    top: number,
    left: number,
  ): void;
  lab_permute_rows_32(
    src: number,
    dst: number,
    row: number,
    n0: number,
    s0: number,
    n1: number,
    s1: number,
    n2: number,
    s2: number,
    n3: number,
    s3: number,
  ): void;
}

const instances = new WeakMap<Backend, SimdKernels | null>();

/**
 * Whether the engine runs relaxed SIMD (fused multiply-add: the matrix products run ≈ 1.5× faster).
 * Node ≥ 22 does by default; Node 20's V8 has it behind a flag, which we turn on (it only widens what
 * WebAssembly.validate accepts). LAB_WASM_RELAXED_SIMD=0 keeps the plain build: a fused multiply-add
 * rounds once, so products differ in the last bits between CPUs with and without FMA.
 */
function relaxedSimdAvailable(bytes: BufferSource): boolean {
  if (WebAssembly.validate(bytes)) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(bytes);
}

/**
 * Products below this many floating-point operations stay on the calling thread: waking a worker
 * costs ≈ 0.05–0.5 ms on the build machine (a 2-vCPU VM), about what 2 MFLOP take on one thread.
 */
let poolMinFlops = 1 << 21;

/** Internal (tests): the product size from which the worker pool takes part; returns the previous one. */
export function setPoolMinFlops(flops: number): number {
  const previous = poolMinFlops;
  poolMinFlops = flops;
  return previous;
}

/** Workers for the threads beyond the calling one; closed with the backend. */
function startPool(backend: Backend, module: WebAssembly.Module, memory: WebAssembly.Memory): KernelPool {
  const pool = new KernelPool(module, memory, ['lab_matmul_f32'], wasmThreads() - 1);
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    pool.close();
    dispose();
  };
  return pool;
}

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
      const relaxed = Buffer.from(shared ? KERNELS_SHARED_RELAXED : KERNELS_PLAIN_RELAXED, 'base64');
      const useRelaxed = process.env.LAB_WASM_RELAXED_SIMD !== '0' && relaxedSimdAvailable(relaxed);
      const module = new WebAssembly.Module(
        useRelaxed ? relaxed : Buffer.from(shared ? KERNELS_SHARED : KERNELS_PLAIN, 'base64'),
      );
      const e = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
      const pool = shared && wasmThreads() > 1 ? startPool(backend, module, memory) : null;
      // The pool's chunk counter: four bytes of the heap, kept for the backend's lifetime.
      const counter = pool === null ? 0 : (backend.wasm as unknown as { _malloc(bytes: number): number })._malloc(4);
      kernels = {
        exp: e.lab_exp_f32,
        tanh: e.lab_tanh_f32,
        log: e.lab_log_f32,
        sqrt: e.lab_sqrt_f32,
        rsqrt: e.lab_rsqrt_f32,
        binary: {
          maximum: e.lab_maximum_f32,
          minimum: e.lab_minimum_f32,
          greater: e.lab_greater_f32,
          greaterEqual: e.lab_greater_equal_f32,
          less: e.lab_less_f32,
          lessEqual: e.lab_less_equal_f32,
          equal: e.lab_equal_f32,
          notEqual: e.lab_not_equal_f32,
        },
        select: e.lab_select_32,
        transpose: e.lab_transpose_f32,
        segmentSum: e.lab_segment_sum_f32,
        sumMiddle: e.lab_sum_middle_f32,
        gatherRows: e.lab_gather_rows_32,
        matMul(a, b, packed, c, m, k, n, batch, bStride, transposeA) {
          // Packing B is cheap next to the product; the caller does it, so the workers start once.
          e.lab_pack_b_f32(b, packed, k, n, bStride === 0 ? 1 : batch);
          if (pool !== null && 2 * m * k * n * batch >= poolMinFlops) {
            new Int32Array(memory.buffer, counter, 1)[0] = 0;
            pool.run(
              'lab_matmul_f32',
              [a, b, packed, c, m, k, n, batch, bStride, transposeA ? 1 : 0, counter],
              e.lab_matmul_f32,
            );
          } else {
            e.lab_matmul_f32(a, b, packed, c, m, k, n, batch, bStride, transposeA ? 1 : 0, 0, 0, 1);
          }
        },
        im2col: e.lab_im2col_f32,
        maxPoolGrad: e.lab_max_pool_grad_f32,
        permuteRows(src, dst, row, outer) {
          if (outer.length > 4)
            throw new Error(`@lab/core: permuteRows takes at most 4 outer axes, got ${outer.length}`);
          const axes = [...Array<readonly [number, number]>(4 - outer.length).fill([1, 0]), ...outer];
          e.lab_permute_rows_32(
            src,
            dst,
            row,
            axes[0]![0],
            axes[0]![1],
            axes[1]![0],
            axes[1]![1],
            axes[2]![0],
            axes[2]![1],
            axes[3]![0],
            axes[3]![1],
          );
        },
      };
    } catch {
      kernels = null;
    }
  }
  instances.set(backend, kernels);
  return kernels;
}

function unary(name: string, pick: (k: SimdKernels) => (x: number, y: number, n: number) => void) {
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

/**
 * `Exp`, `Tanh`, `Log`, `Sqrt` and `Rsqrt` through the SIMD kernels (float32; other dtypes stay stock).
 * Stock calls libm per element: ≈ 10, 25, 9, 5 and 3 ms per million floats on the build machine; these
 * take ≈ 3, 2, 4, 0.5 and 0.8 ms.
 */
export function simdKernelConfigs(): tf.KernelConfig[] {
  const unaries = [
    ['Exp', (k: SimdKernels) => k.exp],
    ['Tanh', (k: SimdKernels) => k.tanh],
    ['Log', (k: SimdKernels) => k.log],
    ['Sqrt', (k: SimdKernels) => k.sqrt],
    ['Rsqrt', (k: SimdKernels) => k.rsqrt],
  ] as const;
  return unaries.flatMap(([name, pick]) => overrideStock({ kernelName: name, kernelFunc: unary(name, pick) }));
}
