import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Low-level helpers for kernels that run inside the WASM backend: they work on `TensorInfo`s (no
 * engine bookkeeping, no tape) and call the stock WASM kernels directly, the way tfjs's own kernels
 * compose. Every intermediate made here must be released with {@link free}.
 */

export type Info = tf.TensorInfo;
export type Backend = BackendWasm;
export type Attrs = Record<string, unknown>;
type HeapArray = Float32Array | Int32Array | Uint8Array;
/** What the engine passes a kernel function. */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** Symbol stored on every kernel function we register, so registration can be idempotent across module copies (ESM + CJS). */
export const LAB_MARK = Symbol.for('@lab/core/wasm-kernel');

interface MarkedKernel extends tf.KernelFunc {
  [LAB_MARK]?: { stock?: tf.KernelConfig };
}

/** Marks `kernelFunc` as ours and remembers the stock kernel it replaces (if any). */
export function mark(kernelFunc: tf.KernelFunc, stock?: tf.KernelConfig): tf.KernelFunc {
  (kernelFunc as MarkedKernel)[LAB_MARK] = { stock };
  return kernelFunc;
}

/** True when the kernel registered for `name` on wasm is one of ours. */
export function isOurs(name: string): boolean {
  const k = tf.getKernel(name, 'wasm');
  return k !== undefined && (k.kernelFunc as MarkedKernel)[LAB_MARK] !== undefined;
}

/** The stock WASM kernel for `name`, even after we replaced it. */
export function stockKernel(name: string): tf.KernelConfig | undefined {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) return undefined;
  const m = (k.kernelFunc as MarkedKernel)[LAB_MARK];
  return m ? m.stock : k;
}

/** Our kernel function for a kernel stock tfjs-backend-wasm has (it may call the stock one through {@link runStock}). */
export interface StockOverride {
  kernelName: string;
  kernelFunc: (args: KernelArgs) => Info | Info[];
}

/** The config that replaces the stock WASM kernel with `override`, keeping its setup; none when stock lacks the kernel. */
export function overrideStock({ kernelName, kernelFunc }: StockOverride): tf.KernelConfig[] {
  const stock = stockKernel(kernelName);
  if (!stock) return [];
  return [
    {
      kernelName,
      backendName: 'wasm',
      setupFunc: stock.setupFunc,
      kernelFunc: mark(kernelFunc as tf.KernelFunc, stock),
    },
  ];
}

/** Runs the currently registered WASM kernel `name` on TensorInfos (ours if we replaced it). */
export function run(name: string, backend: Backend, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`@lab/core: WASM kernel '${name}' is not registered`);
  return k.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

/** Runs the stock WASM kernel `name` (bypassing our override). */
export function runStock(name: string, backend: Backend, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
  const k = stockKernel(name);
  if (!k) throw new Error(`@lab/core: stock WASM kernel '${name}' is not registered`);
  return k.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

/** Releases an intermediate made inside a kernel. */
export function free(backend: Backend, info: Info): void {
  backend.disposeData(info.dataId);
}

/** A typed view of a tensor's data in the WASM heap (no copy). Re-take it after any allocation: the heap may grow. */
export function heap(backend: Backend, info: Info): HeapArray {
  return backend.typedArrayFromHeap(info) as HeapArray;
}

/** Byte offset of a tensor's data in the WASM heap (what the SIMD kernels take as a pointer). */
export function offsetOf(backend: Backend, x: Info): number {
  return backend.getMemoryOffset(x.dataId);
}

/** A zero-filled float32 output (accumulating kernels add into it). */
export function zeroedOutput(backend: Backend, shape: number[]): Info {
  const out = backend.makeOutput(shape, 'float32');
  heap(backend, out).fill(0);
  return out;
}

/** A float32 view of a tensor's data in the WASM heap (no copy). */
export function heapF32(backend: Backend, info: Info): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Reinterprets a tensor with a new shape (same data, refcount bumped like the stock Reshape kernel). */
export function reshape(backend: Backend, x: Info, shape: number[]): Info {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/**
 * A tensor that aliases `elements` elements of `base` starting at element `offset`: no copy. Only for
 * kernel inputs/outputs inside one kernel call; release it with {@link freeView} (never {@link free}).
 */
export function view(backend: Backend, base: Info, offset: number, shape: number[]): Info {
  const bytes = base.dtype === 'bool' ? 1 : 4;
  const memoryOffset = offsetOf(backend, base) + offset * bytes;
  return backend.makeOutput(shape, base.dtype, memoryOffset);
}

/** Forgets a view made by {@link view} without freeing the memory it aliases. */
export function freeView(backend: Backend, v: Info): void {
  const data = backend.dataIdMap.get(v.dataId) as unknown as { id: number };
  (backend.wasm as unknown as { tfjs: { disposeData(id: number): void } }).tfjs.disposeData(data.id);
  backend.dataIdMap.delete(v.dataId);
}

/** Transposes the last two axes: [..., m, n] → [..., n, m]. */
export function transposeLast2(backend: Backend, x: Info): Info {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return run('Transpose', backend, { x }, { perm });
}
