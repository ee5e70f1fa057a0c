import type * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, type KernelArgs, heap, offsetOf, overrideStock, runStock, size } from './heap.js';
import { simdKernels } from './simd.js';

/**
 * `Transpose` over the WASM heap in JS. The stock kernel walks every element through generic N-d
 * index arithmetic (≈ 58 ns/element for the rank-5 [B, T, 3, H, dh] → [3, B, H, T, dh] split of
 * attention). Here axes that stay adjacent are merged first (that split becomes rank 4 or less), and
 * when the last axis stays last whole rows are copied. With 4-byte data both run in the SIMD module:
 * swapping the last two axes (the matmul-gradient case, possibly batched) in 4×4 register blocks, and
 * row copies over up to four outer axes with `memory.copy`.
 */

/** Merges runs of input axes that remain consecutive in `perm`; drops size-1 axes. */
function simplify(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const keep = perm.filter((p) => shape[p] !== 1);
  if (keep.length === 0) return { shape: [1], perm: [0] };
  // Groups of output positions whose input axes are consecutive.
  const groups: number[][] = [];
  for (const p of keep) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1]! + 1 === p) last.push(p);
    else groups.push([p]);
  }
  // Order groups by their first input axis to get the merged input shape.
  const byInput = groups.map((g, i) => ({ g, i })).sort((a, b) => a.g[0]! - b.g[0]!);
  const mergedShape = byInput.map(({ g }) => g.reduce((acc, p) => acc * shape[p]!, 1));
  const rank = new Map(byInput.map(({ i }, j) => [i, j]));
  return { shape: mergedShape, perm: groups.map((_, i) => rank.get(i)!) };
}

function transpose({ inputs, backend, attrs }: KernelArgs): Info {
  const wasm = backend as Backend;
  const { x } = inputs as { x: Info };
  const { perm } = attrs as unknown as { perm: number[] };
  if (x.dtype === 'string') return runStock('Transpose', wasm, { x }, { perm });
  const outShape = perm.map((p) => x.shape[p]!);
  const out = wasm.makeOutput(outShape, x.dtype);
  const n = size(x.shape);
  if (n === 0) return out;
  const src = heap(wasm, x);
  const dst = heap(wasm, out);
  const s = simplify(x.shape, perm);
  const r = s.shape.length;
  if (s.perm.every((p, i) => p === i)) {
    dst.set(src.subarray(0, n));
    return out;
  }
  const simd = x.dtype === 'bool' ? null : simdKernels(wasm);
  const swapsLastTwo =
    r >= 2 && s.perm[r - 1] === r - 2 && s.perm[r - 2] === r - 1 && s.perm.slice(0, r - 2).every((p, i) => p === i);
  if (simd && swapsLastTwo) {
    const rows = s.shape[r - 2]!;
    const cols = s.shape[r - 1]!;
    simd.transpose(offsetOf(wasm, x), offsetOf(wasm, out), n / (rows * cols), rows, cols);
    return out;
  }
  const inStrides = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= s.shape[i]!;
  }
  const oShape = s.perm.map((p) => s.shape[p]!);
  const oStride = s.perm.map((p) => inStrides[p]!); // input stride of each output axis
  if (r === 2) {
    // Blocked 2-D transpose: [R, C] → [C, R].
    const [R, C] = s.shape as [number, number];
    const B = 32;
    for (let i0 = 0; i0 < R; i0 += B) {
      const i1 = Math.min(R, i0 + B);
      for (let j0 = 0; j0 < C; j0 += B) {
        const j1 = Math.min(C, j0 + B);
        for (let i = i0; i < i1; i++) {
          const row = i * C;
          for (let j = j0; j < j1; j++) dst[j * R + i] = src[row + j]!;
        }
      }
    }
    return out;
  }
  const inner = oShape[r - 1]!;
  const innerStride = oStride[r - 1]!;
  if (simd && innerStride === 1 && r <= 5) {
    // The last axis stays last: whole rows copied in the SIMD module, over up to four outer axes.
    const outerAxes = oShape.slice(0, -1).map((count, i) => [count, oStride[i]!] as const);
    simd.permuteRows(offsetOf(wasm, x), offsetOf(wasm, out), inner, outerAxes);
    return out;
  }
  const outer = n / inner;
  const idx = new Array<number>(r - 1).fill(0);
  let base = 0;
  let o = 0;
  for (let k = 0; k < outer; k++) {
    if (innerStride === 1) {
      dst.set(src.subarray(base, base + inner), o);
      o += inner;
    } else {
      for (let j = 0, p = base; j < inner; j++, p += innerStride) dst[o++] = src[p]!;
    }
    // Odometer over the outer output axes.
    for (let a = r - 2; a >= 0; a--) {
      idx[a]!++;
      base += oStride[a]!;
      if (idx[a]! < oShape[a]!) break;
      base -= oStride[a]! * oShape[a]!;
      idx[a] = 0;
    }
  }
  return out;
}

export function transposeKernels(): tf.KernelConfig[] {
  return overrideStock({ kernelName: 'Transpose', kernelFunc: transpose });
}
