import * as tf from '@tensorflow/tfjs';
import { type Backend, type Info, free, mark, reshape, run, size } from './heap.js';

/**
 * `Einsum` for WASM (stock lacks it) as sums, transposes and one batched matmul per pair of
 * operands: for `A_{la}`, `B_{lb}` → `out_{lo}`, letters split into batch (in A, B and out),
 * contracted (A and B only), free-A and free-B (one operand and out); letters in a single operand
 * only are summed away first. More than two operands are folded left to right.
 * Like tfjs, an explicit `->` is required, and ellipses and repeated letters within one operand are
 * not supported.
 */

interface Operand {
  info: Info;
  letters: string;
  /** Whether `info` was made here (and must be freed). */
  owned: boolean;
}

export function parseEinsum(equation: string, numInputs: number): { inputs: string[]; output: string } {
  const eq = equation.replace(/\s/g, '');
  const arrow = eq.indexOf('->');
  if (arrow < 0) throw new Error(`Einsum: equation '${equation}' needs an explicit '->'`);
  const inputs = eq.slice(0, arrow).split(',');
  const output = eq.slice(arrow + 2);
  if (inputs.length !== numInputs)
    throw new Error(`Einsum: equation '${equation}' names ${inputs.length} operands, got ${numInputs} tensors`);
  for (const term of [...inputs, output]) {
    if (!/^[a-zA-Z]*$/.test(term)) throw new Error(`Einsum: only letters are supported in '${equation}' (no ellipsis)`);
    if (new Set(term).size !== term.length)
      throw new Error(`Einsum: repeated letter within one term of '${equation}' is not supported`);
  }
  for (const ch of output) {
    if (!inputs.some((t) => t.includes(ch)))
      throw new Error(`Einsum: output letter '${ch}' of '${equation}' appears in no input`);
  }
  return { inputs, output };
}

function release(backend: Backend, op: Operand): void {
  if (op.owned) free(backend, op.info);
}

/** Sums away the letters of `op` that are not in `keep`. */
function sumAway(backend: Backend, op: Operand, keep: Set<string>): Operand {
  const axes = [...op.letters].map((ch, i) => (keep.has(ch) ? -1 : i)).filter((i) => i >= 0);
  if (axes.length === 0) return op;
  const info = run('Sum', backend, { x: op.info }, { axis: axes, keepDims: false });
  release(backend, op);
  return { info, letters: [...op.letters].filter((ch) => keep.has(ch)).join(''), owned: true };
}

/** Reorders the axes of `op` to `target` (a permutation of its letters). */
function permute(backend: Backend, op: Operand, target: string): Operand {
  if (op.letters === target) return op;
  const perm = [...target].map((ch) => op.letters.indexOf(ch));
  const info = run('Transpose', backend, { x: op.info }, { perm });
  release(backend, op);
  return { info, letters: target, owned: true };
}

function contractPair(backend: Backend, a0: Operand, b0: Operand, out: string, dims: Map<string, number>): Operand {
  const inA = new Set(a0.letters);
  const inB = new Set(b0.letters);
  const inOut = new Set(out);
  const a1 = sumAway(backend, a0, new Set([...inA].filter((ch) => inB.has(ch) || inOut.has(ch))));
  const b1 = sumAway(backend, b0, new Set([...inB].filter((ch) => inA.has(ch) || inOut.has(ch))));
  const batch = [...a1.letters].filter((ch) => b1.letters.includes(ch) && inOut.has(ch)).join('');
  const contract = [...a1.letters].filter((ch) => b1.letters.includes(ch) && !inOut.has(ch)).join('');
  const freeA = [...a1.letters].filter((ch) => !b1.letters.includes(ch)).join('');
  const freeB = [...b1.letters].filter((ch) => !a1.letters.includes(ch)).join('');
  const dim = (s: string) => size([...s].map((ch) => dims.get(ch)!));
  const a2 = permute(backend, a1, batch + freeA + contract);
  const b2 = permute(backend, b1, batch + contract + freeB);
  const a3 = reshape(backend, a2.info, [dim(batch), dim(freeA), dim(contract)]);
  const b3 = reshape(backend, b2.info, [dim(batch), dim(contract), dim(freeB)]);
  release(backend, a2);
  release(backend, b2);
  const prod = run('BatchMatMul', backend, { a: a3, b: b3 }, { transposeA: false, transposeB: false });
  free(backend, a3);
  free(backend, b3);
  const letters = batch + freeA + freeB;
  const shaped = reshape(
    backend,
    prod,
    [...letters].map((ch) => dims.get(ch)!),
  );
  free(backend, prod);
  return { info: shaped, letters, owned: true };
}

function einsum({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): Info {
  const wasm = backend as Backend;
  const tensors = Object.values(inputs) as Info[];
  const { equation } = attrs as unknown as { equation: string };
  const parsed = parseEinsum(equation, tensors.length);
  const dims = new Map<string, number>();
  parsed.inputs.forEach((term, t) => {
    const shape = tensors[t]!.shape;
    if (shape.length !== term.length)
      throw new Error(`Einsum: operand ${t} has rank ${shape.length}, but '${term}' names ${term.length} axes`);
    [...term].forEach((ch, i) => {
      const d = shape[i]!;
      const seen = dims.get(ch);
      if (seen !== undefined && seen !== d) throw new Error(`Einsum: letter '${ch}' has sizes ${seen} and ${d}`);
      dims.set(ch, d);
    });
  });
  let acc: Operand = { info: tensors[0]!, letters: parsed.inputs[0]!, owned: false };
  for (let t = 1; t < tensors.length; t++) {
    // Keep the letters still needed by the output or by later operands.
    const later = new Set([...parsed.output, ...parsed.inputs.slice(t + 1).join('')]);
    const next: Operand = { info: tensors[t]!, letters: parsed.inputs[t]!, owned: false };
    const want = [...new Set([...acc.letters, ...next.letters])].filter((ch) => later.has(ch)).join('');
    acc = contractPair(wasm, acc, next, want, dims);
  }
  acc = sumAway(wasm, acc, new Set(parsed.output));
  acc = permute(wasm, acc, parsed.output);
  if (!acc.owned) return run('Identity', wasm, { x: acc.info });
  return acc.info;
}

export function einsumKernels(): tf.KernelConfig[] {
  return [{ kernelName: 'Einsum', backendName: 'wasm', kernelFunc: mark(einsum as tf.KernelFunc) }];
}
