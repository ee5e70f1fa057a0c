import { afterAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import { type OpCase, opCases } from './op-matrix.ops.ts';

/**
 * Runs every op of op-matrix.ops.ts forward and backward on 'cpu' and 'wasm' and compares them.
 * The error is max|wasm − cpu| / max|cpu| per output (relative to the output's scale).
 */

interface Result {
  outputs: { values: Float32Array | Int32Array | Uint8Array; shape: number[] }[];
}

function gradPositions(c: OpCase, xs: tf.Tensor[]): number[] {
  if (c.grad === false) return [];
  if (Array.isArray(c.grad)) return c.grad;
  return xs.map((x, i) => (x.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
}

async function evaluate(backend: 'cpu' | 'wasm', c: OpCase, index: number): Promise<Result> {
  await initBackend(backend);
  return tf.tidy(() => {
    const rng = new Rng(1000 + index);
    const xs = c.inputs(rng);
    const forward = [c.run(...xs)].flat();
    const outputs = forward.map((t) => ({ values: t.dataSync().slice(), shape: t.shape }));
    const positions = gradPositions(c, xs);
    if (positions.length > 0) {
      // Fixed random cotangent per output, so the gradient is never trivially constant.
      const cotangents = forward.map((t) =>
        t.dtype === 'float32' ? tf.tensor(rng.normalArray(t.size), t.shape) : null,
      );
      const f = (...vars: tf.Tensor[]) => {
        const all = xs.slice();
        positions.forEach((p, k) => (all[p] = vars[k]!));
        const outs = [c.run(...all)].flat();
        const terms = outs.map((o, k) => (cotangents[k] ? tf.sum(tf.mul(o, cotangents[k]!)) : tf.scalar(0)));
        return tf.addN(terms) as tf.Scalar;
      };
      const grads = tf.grads(f)(positions.map((p) => xs[p]!));
      for (const g of grads) outputs.push({ values: g.dataSync().slice(), shape: g.shape });
    }
    return { outputs };
  });
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (Number.isNaN(diff)) return Infinity;
  return diff === 0 ? 0 : diff / Math.max(scale, 1e-12);
}

describe('op matrix: every op the packages use agrees on cpu and wasm (forward and gradient)', () => {
  afterAll(async () => {
    await initBackend('wasm');
  });

  const names = new Set<string>();
  opCases.forEach((c, index) => {
    it(`${c.owner}: ${c.name}`, async () => {
      expect(names.has(c.name), `duplicate op-matrix name '${c.name}'`).toBe(false);
      names.add(c.name);
      const cpu = await evaluate('cpu', c, index);
      const wasm = await evaluate('wasm', c, index);
      expect(wasm.outputs.length).toBe(cpu.outputs.length);
      cpu.outputs.forEach((ref, k) => {
        const got = wasm.outputs[k]!;
        expect(got.shape, `output ${k} shape`).toEqual(ref.shape);
        const err = relativeError(got.values, ref.values);
        expect(
          err,
          `output ${k} (${k < cpu.outputs.length ? 'forward or gradient' : ''}) relative error`,
        ).toBeLessThanOrEqual(c.tolerance ?? 1e-4);
      });
    });
  });
});
