import { readFileSync } from 'node:fs';
import { LabError, Rng } from '@lab/core';
import { describe, expect, it } from 'vitest';
import { numericLambda, similarityGraph, spectralBounds, symmetricEigenvalues } from '../src/index.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/difficult-examples.json', import.meta.url), 'utf8'));
type GraphCase = { n: number; r: number; n_d: number; alpha: number; beta: number; gamma: number } & Record<
  string,
  number | number[]
>;
const graphs = golden.similarity_graph as GraphCase[];

describe('similarity-graph model (Thms 3.3, 3.4, Cor 4.1) against the golden eigenvalues', () => {
  for (const g of graphs) {
    const label = `n=${g.n} r=${g.r} nd=${g.n_d} α=${g.alpha} β=${g.beta} γ=${g.gamma}`;
    it(`${label}: Jacobi eigenvalues match eigvalsh to 1e-9`, () => {
      const { Abar, size } = similarityGraph(g.n, g.r, g.n_d, g.alpha, g.beta, g.gamma);
      const eig = symmetricEigenvalues(Abar, size);
      (g.eigs_desc_top as number[]).forEach((v, i) => expect(Math.abs(eig[i]! - v)).toBeLessThan(1e-9));
      const clean = similarityGraph(g.n, g.r, 0, g.alpha, g.beta, g.gamma);
      const eig0 = symmetricEigenvalues(clean.Abar, clean.size);
      (g.eigs_clean_desc_top as number[]).forEach((v, i) => expect(Math.abs(eig0[i]! - v)).toBeLessThan(1e-9));
    });

    it(`${label}: closed forms equal the numeric λ_{k+1}`, () => {
      const p = { n: g.n, r: g.r, nd: g.n_d, alpha: g.alpha, beta: g.beta, gamma: g.gamma };
      const b = spectralBounds(p);
      const numeric = g['lambda_k_plus_1_numeric (k=r+1)'] as number;
      const numericClean = g['lambda_clean_numeric (k=r+1)'] as number;
      expect(Math.abs(b.withDifficult - numeric)).toBeLessThan(1e-9);
      expect(Math.abs(b.withDifficult - (g['formula_thm34 ((1-a)+r(g-b))/c1, c1=c2+r(g-b)'] as number))).toBeLessThan(
        1e-9,
      );
      expect(Math.abs(b.clean - numericClean)).toBeLessThan(1e-9);
      expect(Math.abs(b.clean - (g['formula_thm33_clean (1-a)/c2'] as number))).toBeLessThan(1e-9);
      expect(Math.abs(b.removed - (g['formula_removed_cor41 (1-a)/((1-a)+(n-nd)a+(n-nd)rb)'] as number))).toBeLessThan(
        1e-9,
      );
      expect(Math.abs(numericLambda(p) - numeric)).toBeLessThan(1e-9);
      // Thm 3.4: difficult examples strictly enlarge λ_{k+1} when γ > β.
      expect(b.withDifficult).toBeGreaterThan(b.clean);
    });
  }

  it("the spec's worked example: λ = 0.176471 with difficult examples, 0.106383 without", () => {
    const b = spectralBounds({ n: 6, r: 2, nd: 2, alpha: 0.5, beta: 0.1, gamma: 0.3 });
    expect(b.withDifficult).toBeCloseTo(0.176471, 6);
    expect(b.clean).toBeCloseTo(0.106383, 6);
    // The variant [(1−α)+r(γ−β)]/[c₂ + n_d r(γ−β)] printed by one secondary source does not match the eigenvalues.
    const c2 = 0.5 + 6 * 0.5 + 6 * 2 * 0.1;
    expect(
      Math.abs(
        (0.5 + 2 * 0.2) / (c2 + 2 * 2 * 0.2) - numericLambda({ n: 6, r: 2, nd: 2, alpha: 0.5, beta: 0.1, gamma: 0.3 }),
      ),
    ).toBeGreaterThan(1e-3);
  });

  it('Cor 4.1: removal equals the clean graph with n − n_d samples per class, numerically', () => {
    const p = { n: 9, r: 2, nd: 3, alpha: 0.55, beta: 0.08, gamma: 0.3 };
    expect(Math.abs(spectralBounds(p).removed - numericLambda({ ...p, n: 6, nd: 0 }))).toBeLessThan(1e-9);
  });

  it('removal threshold: removed < withDifficult iff γ − β > n_d(1−α)/(r(n−n_d)) on random draws', () => {
    const rng = new Rng(7);
    let agree = 0;
    const draws = 5000;
    for (let t = 0; t < draws; t++) {
      const n = 2 + rng.int(30);
      const nd = rng.int(n); // < n
      const r = 1 + rng.int(9);
      const alpha = rng.uniform(0.05, 0.99);
      const beta = rng.uniform(0, alpha * 0.9);
      const gamma = rng.uniform(beta + 1e-6, alpha);
      const b = spectralBounds({ n, r, nd, alpha, beta, gamma });
      const margin = gamma - beta - b.removalThreshold;
      if (Math.abs(margin) < 1e-9) {
        agree++;
        continue;
      }
      if (b.removed < b.withDifficult === margin > 0) agree++;
    }
    expect(agree).toBe(draws);
  });

  it('temperature inflation factor of Thm 4.5', () => {
    const b = spectralBounds({ n: 100, r: 2, nd: 10, alpha: 0.5, beta: 0.1, gamma: 0.3 });
    expect(b.temperatureInflation).toBeCloseTo(1 - 0.01 + 9 * 0.01, 12);
    expect(spectralBounds({ n: 100, r: 2, nd: 0, alpha: 0.5, beta: 0.1, gamma: 0.3 }).temperatureInflation).toBe(1);
  });

  it('symmetricEigenvalues on a known matrix', () => {
    const e = symmetricEigenvalues(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3);
    expect(Array.from(e).map((v) => Number(v.toFixed(12)))).toEqual([5, 3, 1]);
  });

  it('rejects invalid graph parameters', () => {
    expect(() => similarityGraph(6, 2, 2, 0.5, 0.3, 0.1)).toThrow(/beta < gamma < alpha/);
    expect(() => spectralBounds({ n: 6, r: 0, nd: 2, alpha: 0.5, beta: 0.1, gamma: 0.3 })).toThrow(
      /r: expected an integer >= 1/,
    );
    expect(() => spectralBounds({ n: 6, r: 2, nd: 7, alpha: 0.5, beta: 0.1, gamma: 0.3 })).toThrow(/nd: expected/);
    expect(() => spectralBounds({ n: 6, r: 2, nd: -1, alpha: 0.5, beta: 0.1, gamma: 0.3 })).toThrow(LabError);
    expect(() => spectralBounds({ n: 6, r: 2, nd: 2, alpha: 1, beta: 0.1, gamma: 0.3 })).toThrow(/alpha/);
    expect(() => spectralBounds({ n: 6, r: 2, nd: 2, alpha: 0.5, beta: -0.1, gamma: 0.3 })).toThrow(/beta/);
    expect(() => spectralBounds({ n: 6, r: 2, nd: 2, alpha: 0.5, beta: 0.1, gamma: Number.NaN })).toThrow(/gamma/);
    expect(spectralBounds({ n: 6, r: 2, nd: 2, alpha: 0.5, beta: 0.1, gamma: 0.1 }).withDifficult).toBeCloseTo(
      spectralBounds({ n: 6, r: 2, nd: 0, alpha: 0.5, beta: 0.1, gamma: 0.1 }).clean,
      12,
    );
    expect(() => symmetricEigenvalues(new Float64Array(5), 2)).toThrow(LabError);
  });
});
