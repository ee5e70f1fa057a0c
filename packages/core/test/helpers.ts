import { expect } from 'vitest';
import { initBackend, tf } from '@lab/core';

/** Asserts |a − b| ≤ tol · max(1, |b|) entry by entry (float32 comparisons against hand-computed values). */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs(a[i]! - b[i]!), `index ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(b[i]!)),
    );
}

/** Runs `f` on cpu, then on wasm (left active), and returns both results as flat arrays. */
export async function onCpuAndWasm(
  f: () => tf.Tensor | tf.Tensor[],
): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const out: Record<string, Float32Array[]> = {};
  for (const name of ['cpu', 'wasm'] as const) {
    await initBackend(name);
    out[name] = tf.tidy(() => [f()].flat().map((t) => t.dataSync().slice() as Float32Array));
  }
  return { cpu: out.cpu!, wasm: out.wasm! };
}

/** max |got − want| relative to max |want| (the op matrix's measure: sums with cancellation stay fair). */
export function scaledError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}
