import * as tf from '@tensorflow/tfjs';
import {
  type Backend,
  type Info,
  type KernelArgs,
  type StockOverride,
  free,
  heap,
  run,
  runStock,
  size,
} from './heap.js';

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

export const powOverride: StockOverride = { kernelName: 'Pow', kernelFunc: pow };
