import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LabError,
  type HostMatrix,
  cholesky,
  fixSigns,
  hostMatrix,
  initBackend,
  linalg,
  lstsq,
  matmulHost,
  orthonormalizeColumns,
  pinv,
  ridge,
  solveSPD,
  svd,
  svdJacobi,
  svdLowRank,
  symmetricEigen,
  symmetricEigenvalues,
  tensorLeak,
  tf,
  toHostMatrix,
  toNestedArray,
  transposeHost,
} from '@lab/core';

const golden = JSON.parse(readFileSync(new URL('./fixtures/linalg_golden.json', import.meta.url), 'utf8'));
const degolden = JSON.parse(
  readFileSync(new URL('./fixtures/difficult-examples-similarity-graph.json', import.meta.url), 'utf8'),
);

function expectClose(actual: HostMatrix | ArrayLike<number>, expected: number[][] | number[], tol: number) {
  const a = 'data' in (actual as HostMatrix) ? (actual as HostMatrix).data : (actual as ArrayLike<number>);
  const e = (expected as unknown[]).flat() as number[];
  expect(a.length).toBe(e.length);
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
  expect(worst).toBeLessThan(tol);
}

function orthonormalityError(M: HostMatrix): number {
  const G = matmulHost(transposeHost(M), M);
  let err = 0;
  for (let i = 0; i < G.rows; i++)
    for (let j = 0; j < G.cols; j++) err = Math.max(err, Math.abs(G.data[i * G.cols + j]! - (i === j ? 1 : 0)));
  return err;
}

function reconstruct(U: HostMatrix, S: ArrayLike<number>, V: HostMatrix): HostMatrix {
  const US = hostMatrix(
    U.rows,
    U.cols,
    U.data.map((v, i) => v * S[i % U.cols]!),
  );
  return matmulHost(US, transposeHost(V));
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('svd (one-sided Jacobi) against numpy', () => {
  it.each(['tall_5x3', 'wide_3x5', 'rank2_6x4'])('%s: values, sign-fixed vectors, reconstruction', (key) => {
    const g = golden[key];
    const { U, S, V } = svd(g.A);
    expectClose(S, g.S, 1e-13);
    const rank = g.rank ?? g.S.length;
    // vectors of nonzero singular values are unique up to sign; compare those columns
    for (let k = 0; k < rank; k++) {
      for (let i = 0; i < U.rows; i++) expect(U.data[i * U.cols + k]).toBeCloseTo(g.U[i][k], 12);
      for (let i = 0; i < V.rows; i++) expect(V.data[i * V.cols + k]).toBeCloseTo(g.V[i][k], 12);
    }
    expect(orthonormalityError(U)).toBeLessThan(1e-13);
    expect(orthonormalityError(V)).toBeLessThan(1e-13);
    expectClose(reconstruct(U, S, V), g.A, 1e-13);
  });

  it('svdJacobi(flat, m, n), nested arrays, tensors and the linalg namespace agree', () => {
    const g = golden.tall_5x3;
    const flat = (g.A as number[][]).flat();
    const a = svdJacobi(flat, 5, 3).S;
    const t = tf.tensor2d(g.A);
    const b = svd(t).S;
    t.dispose();
    expectClose(a, g.S, 1e-13);
    expectClose(b, g.S, 1e-6); // float32 tensor input
    expectClose(linalg.svd({ rows: 5, cols: 3, data: flat }).S, g.S, 1e-13);
  });

  it('handles the zero matrix, a single column and a 200×120 random matrix', () => {
    const z = svd({ rows: 3, cols: 2, data: new Float64Array(6) });
    expect(Array.from(z.S)).toEqual([0, 0]);
    expect(orthonormalityError(z.U)).toBeLessThan(1e-12);
    const col = svd([[3], [4]]);
    expect(col.S[0]).toBeCloseTo(5, 14);
    let s = 1;
    const rand = hostMatrix(
      200,
      120,
      Float64Array.from({ length: 24000 }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5),
    );
    const r = svd(rand);
    expect(orthonormalityError(r.U)).toBeLessThan(1e-12);
    expect(orthonormalityError(r.V)).toBeLessThan(1e-12);
    const rec = reconstruct(r.U, r.S, r.V);
    let err = 0;
    rec.data.forEach((v, i) => (err = Math.max(err, Math.abs(v - rand.data[i]!))));
    expect(err).toBeLessThan(1e-12);
    for (let k = 1; k < r.S.length; k++) expect(r.S[k]).toBeLessThanOrEqual(r.S[k - 1]!);
  });

  it('the sign convention makes the largest |entry| of each v_k positive', () => {
    const { V } = svd(golden.wide_3x5.A);
    for (let k = 0; k < V.cols; k++) {
      let best = 0;
      for (let i = 0; i < V.rows; i++)
        if (Math.abs(V.data[i * V.cols + k]!) > Math.abs(V.data[best * V.cols + k]!)) best = i;
      expect(V.data[best * V.cols + k]).toBeGreaterThan(0);
    }
    const M = hostMatrix(2, 2, [-1, 0.5, 0.2, -3]);
    const N = hostMatrix(1, 2, [7, 7]);
    fixSigns(M, N);
    expect(toNestedArray(M)).toEqual([
      [1, -0.5],
      [-0.2, 3],
    ]); // column 0 led by −1, column 1 by −3: both flip
    expect(toNestedArray(N)).toEqual([[-7, -7]]);
  });
});

/** Max |A − U·diag(S)·Vᵀ| relative to max |A|. */
function relativeReconstructionError(A: number[][], r: { U: HostMatrix; S: ArrayLike<number>; V: HostMatrix }): number {
  const rec = reconstruct(r.U, r.S, r.V);
  let err = 0,
    amax = 0;
  A.flat().forEach((v, i) => {
    err = Math.max(err, Math.abs(rec.data[i]! - v));
    amax = Math.max(amax, Math.abs(v));
  });
  return err / amax;
}

// Issue 14.7: rank-deficient input as SaLoRA's calibration features look (three distinct rows repeated),
// and a 30×8 matrix of rank 2 (two rows, each scaled by 1, 2 or 3); Jacobi used to throw "did not
// converge" on both.
const repeatedRows = Array.from({ length: 192 }, (_, i) =>
  Array.from({ length: 24 }, (_, j) => Math.sin(0.37 * (i % 3) * (j + 1) + 0.11 * j) + 0.1 * (i % 3)),
);
const rankTwo = Array.from({ length: 30 }, (_, i) =>
  Array.from({ length: 8 }, (_, j) => (i % 2 === 0 ? Math.sin(j + 1) : Math.cos(j + 2)) * (1 + (i % 3))),
);
const countAbove = (S: ArrayLike<number>, tol: number) => Array.from(S).filter((s) => s > tol).length;

describe('svd on rank-deficient input (issue 14.7)', () => {
  it.each([
    ['192×24, three distinct rows repeated', 3, repeatedRows],
    ['30×8 of rank 2', 2, rankTwo],
  ] as const)('%s: converges, rank %i, reconstructs to ≤ 1e-12', (_, rank, A) => {
    for (const M of [A as number[][], (A as number[][])[0]!.map((_, j) => A.map((row) => row[j]!))]) {
      const r = svd(M);
      expect(countAbove(r.S, 1e-10)).toBe(rank);
      expect(relativeReconstructionError(M, r)).toBeLessThanOrEqual(1e-12);
      expect(orthonormalityError(r.U)).toBeLessThan(1e-12);
      expect(orthonormalityError(r.V)).toBeLessThan(1e-12);
      for (let k = 1; k < r.S.length; k++) expect(r.S[k]).toBeLessThanOrEqual(r.S[k - 1]!);
    }
  });

  it('agrees with the Gram matrix eigenvalues and survives exactly repeated columns', () => {
    const r = svd(rankTwo);
    const G = matmulHost(transposeHost(toHostMatrix(rankTwo)), toHostMatrix(rankTwo));
    const eig = symmetricEigen(G, { fixSigns: false }).values;
    for (let k = 0; k < 2; k++) expect(Math.abs(r.S[k]! ** 2 - eig[k]!)).toBeLessThan(1e-12 * eig[0]!);
    const dup = rankTwo.map((row) => [...row, ...row, ...row]);
    const d = svd(dup);
    expect(countAbove(d.S, 1e-10)).toBe(2);
    expect(relativeReconstructionError(dup, d)).toBeLessThanOrEqual(1e-12);
  });

  it('svdLowRank inherits the fix (rank above, at and below the true rank)', () => {
    for (const [A, rank] of [
      [repeatedRows, 3],
      [rankTwo, 2],
    ] as const) {
      for (const k of [rank + 2, rank]) {
        const r = svdLowRank(A as number[][], k, { niter: 2, seed: 0 });
        expect(countAbove(r.S, 1e-10)).toBe(rank);
        expect(relativeReconstructionError(A as number[][], r)).toBeLessThanOrEqual(1e-12);
        expect(orthonormalityError(r.U)).toBeLessThan(1e-12);
        expect(orthonormalityError(r.V)).toBeLessThan(1e-12);
      }
      const exact = svd(A as number[][]);
      const low = svdLowRank(A as number[][], rank - 1, { oversample: 1, seed: 1 }); // sketch spans range(A)
      for (let k = 0; k < rank - 1; k++) expect(Math.abs(low.S[k]! - exact.S[k]!)).toBeLessThan(1e-12 * exact.S[0]!);
    }
  });
});

describe('symmetricEigen (Jacobi)', () => {
  it('matches numpy eigh (descending, sign-fixed)', () => {
    const g = golden.sym_6;
    const { values, vectors } = symmetricEigen(g.A);
    expectClose(values, g.values, 1e-13);
    expectClose(vectors, g.vectors, 1e-12);
    expect(orthonormalityError(vectors)).toBeLessThan(1e-13);
    expectClose(symmetricEigenvalues((g.A as number[][]).flat(), 6), g.values, 1e-13);
    expectClose(linalg.symmetricEigen(g.A).values, g.values, 1e-13);
  });

  it('reproduces the difficult-examples similarity-graph spectra (1e-9)', () => {
    for (const c of degolden.similarity_graph) {
      const { n, r, n_d: nd, alpha, beta, gamma } = c;
      const C = r + 1,
        N = n * C;
      const A = new Float64Array(N * N).fill(beta);
      for (let cl = 0; cl < C; cl++)
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[(cl * n + i) * N + cl * n + j] = alpha;
      for (let l = 0; l < nd; l++)
        for (let c1 = 0; c1 < C; c1++)
          for (let c2 = 0; c2 < C; c2++) if (c1 !== c2) A[(c1 * n + l) * N + c2 * n + l] = gamma;
      for (let i = 0; i < N; i++) A[i * N + i] = 1;
      const d = Array.from({ length: N }, (_, i) => A.subarray(i * N, (i + 1) * N).reduce((s, v) => s + v, 0));
      const Abar = A.map((v, idx) => v / Math.sqrt(d[Math.floor(idx / N)]! * d[idx % N]!));
      const eig = symmetricEigenvalues(Abar, N);
      (c.eigs_desc_top as number[]).forEach((v, i) => expect(Math.abs(eig[i]! - v)).toBeLessThan(1e-9));
    }
  });

  it('rejects non-square and non-symmetric input', () => {
    expect(() =>
      symmetricEigen([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ).toThrow(/square/);
    expect(() =>
      symmetricEigen([
        [1, 2],
        [2.5, 1],
      ]),
    ).toThrow(/symmetric.*a\[0\]\[1\] = 2/);
  });
});

describe('pinv, lstsq, cholesky, solveSPD, ridge', () => {
  it('pinv matches numpy for full-rank and rank-deficient matrices', () => {
    for (const key of ['tall_5x3', 'wide_3x5', 'rank2_6x4']) expectClose(pinv(golden[key].A), golden[key].pinv, 1e-12);
  });
  it('lstsq gives numpy’s minimum-norm solution', () => {
    const g = golden.rank2_6x4;
    expectClose(lstsq(g.A, g.lstsq_rhs), g.lstsq_min_norm, 1e-12);
  });
  it('cholesky, solveSPD and ridge match numpy', () => {
    const g = golden.spd_4;
    const L = cholesky(g.A);
    expectClose(L, g.L, 1e-13);
    expectClose(solveSPD(g.A, g.rhs), g.solve, 1e-12);
    expectClose(ridge(g.ridge_x, g.ridge_y, g.ridge_lambda), g.ridge_w, 1e-12);
    expect(() =>
      cholesky([
        [1, 2],
        [2, 1],
      ]),
    ).toThrow(/positive definite/);
    expect(() => solveSPD(g.A, [1, 2])).toThrow(/b: expected 4 rows/);
    expect(() => ridge(g.ridge_x, g.ridge_y, 0)).toThrow(/lambda/);
  });
});

describe('svdLowRank (randomized, seeded)', () => {
  const g = golden.lowrank_60x40;
  it('recovers the top singular triplets from a host matrix (float64)', () => {
    const r = svdLowRank(g.A, 4, { niter: 4, oversample: 4, seed: 1 });
    expectClose(r.S, g.S_top.slice(0, 4), 1e-9);
    expectClose(r.U, g.U4, 1e-6);
    expectClose(r.V, g.V4, 1e-6);
    expect(orthonormalityError(r.U)).toBeLessThan(1e-12);
  });
  it('works on a tf.Tensor (float32 products), is seeded and leaks nothing', async () => {
    const t = tf.tensor2d(g.A);
    let a: ReturnType<typeof svdLowRank> | undefined;
    const leaked = await tensorLeak(() => {
      a = svdLowRank(t, 4, { niter: 4, seed: 3 });
    });
    expect(leaked).toBe(0);
    expectClose(a!.S, g.S_top.slice(0, 4), 1e-5);
    const b = svdLowRank(t, 4, { niter: 0, seed: 3 }),
      c = svdLowRank(t, 4, { niter: 0, seed: 3 }),
      d = svdLowRank(t, 4, { niter: 0, seed: 4 });
    expect(Array.from(b.S)).toEqual(Array.from(c.S));
    expect(Array.from(b.S)).not.toEqual(Array.from(d.S));
    expect(() => svdLowRank(t, 41)).toThrow(/rank/);
    expect(() => svdLowRank(t, 2, { niter: -1 })).toThrow(/niter/);
    t.dispose();
  });
  it('orthonormalizeColumns completes rank-deficient input', () => {
    const Q = orthonormalizeColumns(hostMatrix(3, 2, [1, 2, 0, 0, 0, 0]));
    expect(orthonormalityError(Q)).toBeLessThan(1e-14);
  });
});

describe('input validation', () => {
  it('names the problem', () => {
    expect(() => svd([])).toThrow(LabError);
    expect(() => svd([[1, 2], [3]])).toThrow(/row 1 has 1/);
    expect(() => svd([[1, NaN]])).toThrow(/finite.*\(0, 1\)/);
    expect(() => toHostMatrix({ rows: 2, cols: 2, data: [1, 2, 3] })).toThrow(/expected 2·2 = 4 entries, got 3/);
    const t = tf.ones([2, 2, 2]);
    expect(() => svd(t)).toThrow(/2-D tensor/);
    t.dispose();
    expect(() => matmulHost(hostMatrix(2, 3), hostMatrix(2, 3))).toThrow(/b: expected 3 rows/);
  });
});
