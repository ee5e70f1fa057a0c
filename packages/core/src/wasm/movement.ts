import * as tf from '@tensorflow/tfjs';
import {
  type Backend,
  type Info,
  type KernelArgs,
  heap,
  offsetOf,
  overrideStock,
  reshape,
  runStock,
  size,
} from './heap.js';
import { simdKernels } from './simd.js';

/**
 * Data-movement kernels that the stock WASM backend runs slowly:
 * - `Identity` and a `Cast` to the dtype a tensor already has copy the whole buffer on stock WASM
 *   (hundreds of times per transformer step, through autograd). Tensors are immutable, so we share the
 *   buffer and bump its reference count, as tfjs's CPU backend does.
 * - `Tile` and `Unpack` walk every element through generic index arithmetic; here they copy whole
 *   contiguous runs.
 * - `Slice` of anything but one contiguous block runs tfjs's generic JavaScript slice (≈ 22 ns per
 *   element: 5.8 ms for a [2048, 128] column block of a [2048, 512] matrix, the attention's q/k/v split);
 *   here it copies rows with the SIMD module's `permuteRows` (`memory.copy` per row).
 */

function identity({ inputs, backend }: KernelArgs): Info {
  const { x } = inputs as { x: Info };
  return reshape(backend as Backend, x, x.shape);
}

function cast({ inputs, backend, attrs }: KernelArgs): Info {
  const { x } = inputs as { x: Info };
  const { dtype } = attrs as unknown as { dtype: tf.DataType };
  if (dtype === x.dtype) return reshape(backend as Backend, x, x.shape);
  return runStock('Cast', backend as Backend, { x }, { dtype });
}

/** out = x repeated `reps[i]` times along axis i. */
function tile({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x } = inputs as { x: Info };
  const { reps } = attrs as unknown as { reps: number[] };
  if (x.dtype === 'string' || x.shape.length === 0) return runStock('Tile', wasm, { x }, { reps });
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = wasm.makeOutput(outShape, x.dtype);
  if (size(outShape) === 0) return out;
  const src = heap(wasm, x);
  const dst = heap(wasm, out);
  const rowLength = x.shape[rank - 1]!;
  const outRows = size(outShape.slice(0, -1));
  const lastReps = reps[rank - 1]!;
  // Odometer over the output's leading axes; `inRow` tracks the matching input row.
  const index = new Array<number>(rank - 1).fill(0);
  const inRowStrides = new Array<number>(rank - 1);
  let stride = 1;
  for (let a = rank - 2; a >= 0; a--) {
    inRowStrides[a] = stride;
    stride *= x.shape[a]!;
  }
  let inRow = 0;
  let o = 0;
  for (let r = 0; r < outRows; r++) {
    const row = src.subarray(inRow * rowLength, (inRow + 1) * rowLength);
    for (let k = 0; k < lastReps; k++, o += rowLength) dst.set(row, o);
    for (let a = rank - 2; a >= 0; a--) {
      index[a]!++;
      inRow += inRowStrides[a]!;
      if (index[a]! % x.shape[a]! === 0) inRow -= inRowStrides[a]! * x.shape[a]!;
      if (index[a]! < outShape[a]!) break;
      index[a] = 0;
    }
  }
  return out;
}

/** Splits x along `axis` into x.shape[axis] tensors with that axis removed. */
function unpack({ inputs, backend, attrs }: KernelArgs): Info[] {
  const wasm = backend as Backend;
  const { value } = inputs as { value: Info };
  const axis = (attrs as unknown as { axis: number }).axis;
  const rank = value.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  if (value.dtype === 'string') return runStock('Unpack', wasm, { value }, { axis }) as unknown as Info[];
  const count = value.shape[ax]!;
  const outShape = value.shape.filter((_, i) => i !== ax);
  const outer = size(value.shape.slice(0, ax));
  const inner = size(value.shape.slice(ax + 1));
  const outs = Array.from({ length: count }, () => wasm.makeOutput(outShape, value.dtype));
  if (outer * inner === 0) return outs;
  const src = heap(wasm, value);
  outs.forEach((out, k) => {
    const dst = heap(wasm, out);
    for (let p = 0; p < outer; p++) {
      const from = (p * count + k) * inner;
      dst.set(src.subarray(from, from + inner), p * inner);
    }
  });
  return outs;
}

/**
 * Slice of a 4-byte tensor as rows: the axes after the last one that is cut are whole, so each output
 * row — the cut axis' kept range times those whole axes — is one contiguous run of the input; the axes
 * before it (at most four of them longer than 1) become permuteRows' outer loops. Stock otherwise.
 */
function slice({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x } = inputs as { x: Info };
  const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const simd = x.dtype === 'float32' || x.dtype === 'int32' ? simdKernels(wasm) : null;
  if (simd === null) return runStock('Slice', wasm, { x }, a as unknown as Record<string, unknown>);
  const [begin, sizes] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, a.begin, a.size) as [
    number[],
    number[],
  ];
  const rank = x.shape.length;
  let cut = rank - 1; // the last axis that is not taken whole
  while (cut >= 0 && begin[cut] === 0 && sizes[cut] === x.shape[cut]) cut--;
  if (cut < 0) return reshape(wasm, x, x.shape); // the whole tensor
  const strides = new Array<number>(rank);
  for (let d = rank - 1, stride = 1; d >= 0; stride *= x.shape[d]!, d--) strides[d] = stride;
  const row = sizes[cut]! * strides[cut]!;
  const outer: Array<[number, number]> = []; // [count, input stride] of each outer axis longer than 1
  let start = begin[cut]! * strides[cut]!;
  for (let d = 0; d < cut; d++) {
    start += begin[d]! * strides[d]!;
    if (sizes[d]! > 1) outer.push([sizes[d]!, strides[d]!]);
  }
  if (outer.length > 4) return runStock('Slice', wasm, { x }, a as unknown as Record<string, unknown>);
  const out = wasm.makeOutput(sizes, x.dtype);
  if (size(sizes) === 0) return out;
  simd.permuteRows(offsetOf(wasm, x) + 4 * start, offsetOf(wasm, out), row, outer);
  return out;
}

export function movementKernels(): tf.KernelConfig[] {
  return [
    { kernelName: 'Identity', kernelFunc: identity },
    { kernelName: 'Cast', kernelFunc: cast },
    { kernelName: 'Tile', kernelFunc: tile },
    { kernelName: 'Unpack', kernelFunc: unpack },
    { kernelName: 'Slice', kernelFunc: slice },
  ].flatMap(overrideStock);
}
