import { type Backend, type Info, type KernelArgs, type StockOverride, free, run, runStock } from './heap.js';

/**
 * `StridedSlice`: stock tfjs-backend-wasm 4.22 labels the output of a non-contiguous slice float32 whatever
 * the input dtype, so an int32 slice reads back as denormal floats (1 → 1.4e-45); found by the op matrix.
 */
function stridedSlice({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x } = inputs as { x: Info };
  if (x.dtype === 'float32') return runStock('StridedSlice', wasm, { x }, attrs as Record<string, unknown>);
  if (x.dtype === 'int32') {
    // The copy is bit-exact (4-byte elements); only the dtype label is wrong.
    const out = runStock('StridedSlice', wasm, { x }, attrs as Record<string, unknown>);
    (wasm.dataIdMap.get(out.dataId) as unknown as { dtype: string }).dtype = 'int32';
    return { ...out, dtype: 'int32' };
  }
  // bool (1-byte elements): slice as float32 and cast back.
  const xf = run('Cast', wasm, { x }, { dtype: 'float32' });
  const sf = runStock('StridedSlice', wasm, { x: xf }, attrs as Record<string, unknown>);
  free(wasm, xf);
  const out = run('Cast', wasm, { x: sf }, { dtype: x.dtype });
  free(wasm, sf);
  return out;
}

export const stridedSliceOverride: StockOverride = { kernelName: 'StridedSlice', kernelFunc: stridedSlice };
