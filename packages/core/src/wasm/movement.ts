import type * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, heap, mark, reshape, runStock, size, stockKernel } from './heap.js';

/**
 * Data-movement kernels that the stock WASM backend runs slowly:
 * - `Identity` and a `Cast` to the dtype a tensor already has copy the whole buffer on stock WASM
 *   (hundreds of times per transformer step, through autograd). Tensors are immutable, so we share the
 *   buffer and bump its reference count, as tfjs's CPU backend does.
 * - `Tile` and `Unpack` walk every element through generic index arithmetic; here they copy whole
 *   contiguous runs.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

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

export function movementKernels(): tf.KernelConfig[] {
  const configs: tf.KernelConfig[] = [];
  const add = (name: string, fn: (args: KernelArgs) => Info | Info[]) => {
    const stock = stockKernel(name);
    if (stock) configs.push({ kernelName: name, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: mark(fn as tf.KernelFunc, stock) });
  };
  add('Identity', identity);
  add('Cast', cast);
  add('Tile', tile);
  add('Unpack', unpack);
  return configs;
}
