import { describe, expect, it } from 'vitest';
import { Rng } from '@lab/core';
import { ASYM_MAPS, asymmetricNoise, pairStats, symmetricNoise, truePositiveShare } from '../src/index.js';
import golden from './fixtures/symnce.json' with { type: 'json' };

const noise = golden.label_noise;

/** The golden file's closed-form uniform source u(i, salt) = frac(sin(12.9898(i+1) + 78.233·salt)·43758.5453). */
function u(i: number, salt: number): number {
  const x = Math.sin(12.9898 * (i + 1) + 78.233 * salt) * 43758.5453;
  return x - Math.floor(x);
}

/** An Rng-compatible adapter replaying a fixed stream of uniforms. */
function replay(values: number[]): { next(): number } {
  let k = 0;
  return {
    next() {
      if (k >= values.length) throw new Error('replay: stream exhausted');
      return values[k++]!;
    },
  };
}

describe('label noise', () => {
  it('the closed-form source reproduces the golden u(i, 1)', () => {
    noise.u_salt1_first10.forEach((want, i) => expect(Math.abs(u(i, 1) - want)).toBeLessThan(1e-10));
  });

  it('symmetric (per-label Bernoulli, flip to another class) matches the golden draws exactly', () => {
    const n = noise.clean.length;
    for (const [key, rate] of [
      ['symmetric_0.4_salt1', 0.4],
      ['symmetric_0.8_salt1', 0.8],
    ] as const) {
      // Core's algorithm draws N flip uniforms u(i, salt), then N class uniforms u(i, salt + 1).
      const stream = [...Array.from({ length: n }, (_, i) => u(i, 1)), ...Array.from({ length: n }, (_, i) => u(i, 2))];
      expect(Array.from(symmetricNoise(noise.clean, rate, 10, replay(stream), 'bernoulliToOther'))).toEqual(noise[key]);
    }
  });

  it('asymmetric noise matches the golden draws exactly with the spec class maps', () => {
    expect(ASYM_MAPS.mnist).toEqual({ 7: 1, 2: 7, 5: 6, 6: 5, 3: 8 });
    expect(ASYM_MAPS.cifar10).toEqual({ 9: 1, 2: 0, 4: 7, 3: 5, 5: 3 });
    expect(Object.fromEntries(Object.entries(noise.asym_maps.mnist).map(([k, v]) => [Number(k), v]))).toEqual(
      ASYM_MAPS.mnist,
    );
    expect(Object.fromEntries(Object.entries(noise.asym_maps.cifar10).map(([k, v]) => [Number(k), v]))).toEqual(
      ASYM_MAPS.cifar10,
    );
    const stream = Array.from({ length: noise.clean.length }, (_, i) => u(i, 3));
    expect(Array.from(asymmetricNoise(noise.clean, 0.4, ASYM_MAPS.mnist, replay(stream)))).toEqual(
      noise['asym_mnist_0.4_salt3'],
    );
    expect(Array.from(asymmetricNoise(noise.clean, 0.4, ASYM_MAPS.cifar10, replay(stream)))).toEqual(
      noise['asym_cifar10_0.4_salt3'],
    );
  });

  it("'flipToOther' corrupts exactly round(ηN) labels, always to another class, reproducibly", () => {
    const clean = Int32Array.from({ length: 1000 }, (_, i) => i % 10);
    const a = symmetricNoise(clean, 0.6, 10, new Rng(3));
    const b = symmetricNoise(clean, 0.6, 10, new Rng(3));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.reduce((s, y, i) => s + (y !== clean[i] ? 1 : 0), 0)).toBe(600);
    expect(Array.from(clean)).toEqual(Array.from({ length: 1000 }, (_, i) => i % 10)); // input untouched
    const uniform = symmetricNoise(clean, 0.6, 10, new Rng(3), 'uniform');
    const changed = uniform.reduce((s, y, i) => s + (y !== clean[i] ? 1 : 0), 0);
    expect(changed).toBeGreaterThan(480); // expected 600·9/10 = 540
    expect(changed).toBeLessThan(600);
  });

  it('the empirical true-positive share of same-label pairs is ≈ q⁺ (0.2 at η = 0.6, C = 10)', () => {
    const clean = Int32Array.from({ length: 5000 }, (_, i) => i % 10);
    const noisy = symmetricNoise(clean, 0.6, 10, new Rng(11));
    expect(Math.abs(truePositiveShare(noisy, clean) - pairStats(10, 0.6).qPlus)).toBeLessThan(0.01);
    expect(truePositiveShare(clean, clean)).toBe(1);
  });
});
