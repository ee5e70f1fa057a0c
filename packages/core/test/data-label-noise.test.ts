import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ASYM_MAPS,
  LabError,
  Rng,
  asymmetricLabelNoise,
  noiseTransitionMatrix,
  symmetricLabelNoise,
  type UniformSource,
} from '@lab/core';

const golden = JSON.parse(
  readFileSync(new URL('./fixtures/symnce-label-noise.json', import.meta.url), 'utf8'),
).label_noise;

/** The golden file's closed-form source u(i, salt), fed as N draws with salt, then N draws with salt + 1. */
function detSource(n: number, salt: number): UniformSource {
  let k = 0;
  return {
    next() {
      const i = k % n,
        s = salt + Math.floor(k / n);
      k++;
      const x = Math.sin(12.9898 * (i + 1) + 78.233 * s) * 43758.5453;
      return x - Math.floor(x);
    },
  };
}

describe('label noise: golden (symnce_golden.py)', () => {
  const clean: number[] = golden.clean;
  it('reproduces the closed-form source', () => {
    const src = detSource(10, 1);
    const u = Array.from({ length: 10 }, () => src.next());
    u.forEach((v, i) => expect(v).toBeCloseTo(golden.u_salt1_first10[i], 9));
  });
  it.each([
    ['symmetric_0.4_salt1', 0.4],
    ['symmetric_0.8_salt1', 0.8],
  ])('%s matches exactly', (key, rate) => {
    const r = symmetricLabelNoise(clean, rate, 10, detSource(clean.length, 1), { count: 'bernoulli' });
    expect(Array.from(r.noisyLabels)).toEqual(golden[key]);
    expect(r.numNoisy).toBe(clean.filter((y, i) => y !== golden[key][i]).length);
  });
  it('asymmetric MNIST and CIFAR-10 maps match exactly', () => {
    expect(ASYM_MAPS.mnist).toEqual(
      Object.fromEntries(Object.entries(golden.asym_maps.mnist).map(([k, v]) => [Number(k), v])),
    );
    expect(ASYM_MAPS.cifar10).toEqual(
      Object.fromEntries(Object.entries(golden.asym_maps.cifar10).map(([k, v]) => [Number(k), v])),
    );
    const m = asymmetricLabelNoise(clean, 0.4, ASYM_MAPS.mnist, detSource(clean.length, 3));
    expect(Array.from(m.noisyLabels)).toEqual(golden['asym_mnist_0.4_salt3']);
    const c = asymmetricLabelNoise(clean, 0.4, ASYM_MAPS.cifar10, detSource(clean.length, 3));
    expect(Array.from(c.noisyLabels)).toEqual(golden['asym_cifar10_0.4_salt3']);
  });
});

describe('symmetricLabelNoise properties', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);
  it('flips exactly round(ηN) labels, never to the same class, with a matching mask', () => {
    const r = symmetricLabelNoise(labels, 0.6, 10, new Rng(1));
    expect(r.numNoisy).toBe(600);
    expect(r.actualRate).toBeCloseTo(0.6, 12);
    for (let i = 0; i < labels.length; i++) {
      expect(r.noiseMask[i]).toBe(r.noisyLabels[i] !== labels[i] ? 1 : 0);
      expect(r.noisyLabels[i]).toBeGreaterThanOrEqual(0);
      expect(r.noisyLabels[i]).toBeLessThan(10);
    }
    expect(labels[0]).toBe(0); // input untouched
  });
  it("'floor' flips ⌊rN⌋ (monosemantic) and 'bernoulli' about ηN", () => {
    expect(symmetricLabelNoise(labels.subarray(0, 7), 0.5, 10, new Rng(1), { count: 'floor' }).numNoisy).toBe(3);
    expect(symmetricLabelNoise(labels.subarray(0, 7), 0.5, 10, new Rng(1), { count: 'round' }).numNoisy).toBe(4);
    const big = Int32Array.from({ length: 20000 }, (_, i) => i % 10);
    const r = symmetricLabelNoise(big, 0.3, 10, new Rng(2), { count: 'bernoulli' });
    expect(Math.abs(r.actualRate - 0.3)).toBeLessThan(0.015);
  });
  it('new classes are uniform over the other C − 1 classes (χ² test)', () => {
    const big = new Int32Array(45000); // all class 0
    const r = symmetricLabelNoise(big, 1, 10, new Rng(3));
    const counts = new Array(10).fill(0);
    r.noisyLabels.forEach((y) => counts[y]++);
    expect(counts[0]).toBe(0);
    const expected = 45000 / 9;
    const chi2 = counts.slice(1).reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(26.1); // χ²(8) 99.9 % quantile
  });
  it("'uniform' convention corrupts about η(C−1)/C", () => {
    const big = Int32Array.from({ length: 20000 }, (_, i) => i % 10);
    const r = symmetricLabelNoise(big, 0.5, 10, new Rng(4), { convention: 'uniform' });
    expect(Math.abs(r.actualRate - 0.45)).toBeLessThan(0.015);
  });
  it('is reproducible from the seed and differs across seeds', () => {
    const a = symmetricLabelNoise(labels, 0.4, 10, new Rng(9)).noisyLabels;
    expect(symmetricLabelNoise(labels, 0.4, 10, new Rng(9)).noisyLabels).toEqual(a);
    expect(symmetricLabelNoise(labels, 0.4, 10, new Rng(10)).noisyLabels).not.toEqual(a);
  });
  it('rate 0 is the identity and empty input is fine', () => {
    expect(symmetricLabelNoise(labels, 0, 10, new Rng(1)).numNoisy).toBe(0);
    expect(symmetricLabelNoise([], 0.5, 10, new Rng(1)).actualRate).toBe(0);
  });
  it('rejects bad arguments with named messages', () => {
    expect(() => symmetricLabelNoise(labels, 1.5, 10, new Rng(1))).toThrow(/rate/);
    expect(() => symmetricLabelNoise(labels, -0.1, 10, new Rng(1))).toThrow(LabError);
    expect(() => symmetricLabelNoise(labels, 0.5, 1, new Rng(1))).toThrow(/numClasses/);
    expect(() => symmetricLabelNoise([0, 10], 0.5, 10, new Rng(1))).toThrow(/labels.*\[0, 10\).*10 at index 1/);
    expect(() => symmetricLabelNoise([0, 1.5], 0.5, 10, new Rng(1))).toThrow(/labels/);
    expect(() => symmetricLabelNoise([0, -1], 0.5, 10, new Rng(1))).toThrow(/labels/);
    expect(() => symmetricLabelNoise(labels, 0.5, 10, new Rng(1), { convention: 'x' as 'uniform' })).toThrow(
      /convention/,
    );
    expect(() => symmetricLabelNoise(labels, 0.5, 10, new Rng(1), { count: 'x' as 'round' })).toThrow(/count/);
  });
});

describe('asymmetricLabelNoise properties', () => {
  const labels = Int32Array.from({ length: 10000 }, (_, i) => i % 10);
  it('only moves mapped classes, to their targets', () => {
    const r = asymmetricLabelNoise(labels, 0.4, ASYM_MAPS.mnist, new Rng(5));
    for (let i = 0; i < labels.length; i++) {
      if (r.noiseMask[i]) expect(r.noisyLabels[i]).toBe(ASYM_MAPS.mnist[labels[i]!]);
      else expect(r.noisyLabels[i]).toBe(labels[i]);
    }
    expect(Math.abs(r.numNoisy / 5000 - 0.4)).toBeLessThan(0.03); // 5 mapped classes × 1000
  });
  it("'round' flips exactly round(η·n_y) per mapped class", () => {
    const r = asymmetricLabelNoise(labels, 0.25, ASYM_MAPS.cifar10, new Rng(6), { count: 'round' });
    expect(r.numNoisy).toBe(5 * 250);
  });
  it('the CIFAR-100 map cycles within blocks of 5', () => {
    expect(ASYM_MAPS.cifar100[0]).toBe(1);
    expect(ASYM_MAPS.cifar100[4]).toBe(0);
    expect(ASYM_MAPS.cifar100[99]).toBe(95);
  });
  it('rejects bad arguments', () => {
    expect(() => asymmetricLabelNoise(labels, 2, ASYM_MAPS.mnist, new Rng(1))).toThrow(/rate/);
    expect(() => asymmetricLabelNoise(labels, 0.2, { 1: -2 }, new Rng(1))).toThrow(/mapping/);
  });
});

describe('noiseTransitionMatrix', () => {
  it('rows sum to 1 and match the noise models', () => {
    const T = noiseTransitionMatrix(10, 0.6, { kind: 'symmetric' });
    T.forEach((row) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12));
    expect(T[0]![0]).toBeCloseTo(0.4, 12);
    expect(T[0]![3]).toBeCloseTo(0.6 / 9, 12);
    const U = noiseTransitionMatrix(10, 0.5, { kind: 'symmetric', convention: 'uniform' });
    expect(U[2]![2]).toBeCloseTo(0.55, 12);
    const A = noiseTransitionMatrix(10, 0.4, { kind: 'asymmetric', mapping: ASYM_MAPS.mnist });
    expect(A[7]![1]).toBeCloseTo(0.4, 12);
    expect(A[0]![0]).toBe(1);
  });
});
