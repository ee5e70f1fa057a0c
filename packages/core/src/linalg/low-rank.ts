import * as tf from '@tensorflow/tfjs';
import { LabError, assertInRange } from '../errors.js';
import { Rng } from '../random.js';
import {
  type HostMatrix,
  type MatrixLike,
  type SvdResult,
  fixSigns,
  hostMatrix,
  matmulHost,
  svd,
  toHostMatrix,
  transposeHost,
} from './dense.js';

/**
 * Orthonormalises the columns of a [m, k] matrix in place (modified Gram–Schmidt, applied twice for
 * float64 stability). A column that vanishes (rank deficiency) is replaced by the first canonical
 * vector with a non-negligible component outside the span, so Q always has orthonormal columns.
 */
export function orthonormalizeColumns(a: HostMatrix): HostMatrix {
  const { rows: m, cols: k } = a;
  if (k > m) throw new LabError('SHAPE_MISMATCH', `a: cannot orthonormalise ${k} columns of length ${m}`);
  const cols = Array.from({ length: k }, (_, j) => Float64Array.from({ length: m }, (_, i) => a.data[i * k + j]!));
  let canonical = 0;
  for (let j = 0; j < k; j++) {
    const col = cols[j]!;
    let original = 0;
    for (let i = 0; i < m; i++) original += col[i]! * col[i]!;
    original = Math.sqrt(original);
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) {
          const q = cols[p]!;
          let dot = 0;
          for (let i = 0; i < m; i++) dot += q[i]! * col[i]!;
          for (let i = 0; i < m; i++) col[i]! -= dot * q[i]!;
        }
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += col[i]! * col[i]!;
      norm = Math.sqrt(norm);
      if (norm > 1e-10 * Math.max(original, 1e-300) && norm > 1e-300) {
        for (let i = 0; i < m; i++) col[i]! /= norm;
        break;
      }
      if (canonical >= m)
        throw new LabError('OUT_OF_RANGE', 'orthonormalizeColumns: ran out of canonical vectors (k > m)');
      col.fill(0);
      col[canonical++] = 1;
      original = 1;
    }
  }
  const out = hostMatrix(m, k);
  cols.forEach((c, j) => c.forEach((v, i) => (out.data[i * k + j] = v)));
  return out;
}

export interface SvdLowRankOptions {
  /** Subspace (power) iterations; default 2 as `torch.svd_lowrank` (salora's faithful mode uses 30). */
  niter?: number;
  /** Extra sketch columns beyond `rank` (Halko et al. oversampling p); default 0, i.e. torch's q = rank. */
  oversample?: number;
  /** Seeds the Gaussian sketch Ω (torch's is unseeded). Default 0. */
  seed?: number;
  /** Apply the V-reference sign convention (default true). */
  fixSigns?: boolean;
}

/** `torch.svd_lowrank` defaults (niter 2, q = rank), seeded with 0, V-reference signs. */
export const defaultSvdLowRankOptions: Readonly<Required<SvdLowRankOptions>> = {
  niter: 2,
  oversample: 0,
  seed: 0,
  fixSigns: true,
};

/**
 * Randomized truncated SVD `A ≈ U·diag(S)·Vᵀ` with U [m, rank], S [rank], V [n, rank] (Halko, Martinsson
 * & Tropp 2011, Alg. 4.4, as `torch.svd_lowrank` implements it): a seeded Gaussian sketch Ω [n, q],
 * Q = orth(AΩ), then `niter` rounds of Q = orth(A·orth(AᵀQ)), B = QᵀA [q, n], the exact Jacobi SVD of B,
 * and U = Q·U_B. Products with a tf.Tensor input run in tfjs (float32, good for large A); a host matrix
 * stays in float64. Orthonormalisation and the small SVD are float64 on the host.
 *
 * @example
 * const { U, S, V } = svdLowRank(tf.randomNormal([2000, 300]), 8, { niter: 4, seed: 0 });
 */
export function svdLowRank(a: MatrixLike, rank: number, options: SvdLowRankOptions = {}): SvdResult {
  const {
    niter,
    oversample,
    seed,
    fixSigns: doFix,
  } = {
    ...defaultSvdLowRankOptions,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<SvdLowRankOptions>;
  assertInRange(niter, 'niter', { min: 0, integer: true });
  assertInRange(oversample, 'oversample', { min: 0, integer: true });
  const isTensor = a instanceof tf.Tensor;
  if (isTensor && (a as tf.Tensor).rank !== 2)
    throw new LabError('SHAPE_MISMATCH', `a: expected a 2-D tensor, got shape [${(a as tf.Tensor).shape.join(', ')}]`);
  const host = isTensor ? null : toHostMatrix(a);
  const [m, n] = isTensor ? ((a as tf.Tensor).shape as [number, number]) : [host!.rows, host!.cols];
  if (isTensor && (m === 0 || n === 0))
    throw new LabError('EMPTY_INPUT', `a: expected a non-empty matrix, got ${m}×${n}`);
  assertInRange(rank, 'rank', { min: 1, max: Math.min(m, n), integer: true });
  const q = Math.min(rank + oversample, m, n);

  // Products A·X and Aᵀ·X for host X [*, q]; in tfjs for tensors (one upload and read-back each).
  const mulA = (X: HostMatrix, transposeA: boolean): HostMatrix => {
    if (!isTensor) return matmulHost(transposeA ? transposeHost(host!) : host!, X);
    const out = tf.tidy(() =>
      tf
        .matMul(a as tf.Tensor2D, tf.tensor2d(Float32Array.from(X.data), [X.rows, X.cols]), transposeA, false)
        .dataSync(),
    );
    return { rows: transposeA ? n : m, cols: X.cols, data: Float64Array.from(out) };
  };
  if (isTensor) {
    const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(a as tf.Tensor))).dataSync()[0]);
    if (bad) throw new LabError('NON_FINITE', 'a: expected finite entries, found NaN or Inf');
  }

  const rng = new Rng(seed);
  const omega: HostMatrix = { rows: n, cols: q, data: Float64Array.from({ length: n * q }, () => rng.normal()) };
  let Q = orthonormalizeColumns(mulA(omega, false)); // [m, q]
  for (let it = 0; it < niter; it++) {
    const Z = orthonormalizeColumns(mulA(Q, true)); // [n, q]
    Q = orthonormalizeColumns(mulA(Z, false)); // [m, q]
  }
  const Bt = mulA(Q, true); // Aᵀ Q = Bᵀ [n, q]
  const small = svd(transposeHost(Bt), { fixSigns: false }); // B = U_B S V_Bᵀ, U_B [q, q], V_B [n, q]
  const U = matmulHost(Q, small.U); // [m, q]
  const take = (M: HostMatrix, k: number): HostMatrix => {
    const out = hostMatrix(M.rows, k);
    for (let i = 0; i < M.rows; i++) for (let j = 0; j < k; j++) out.data[i * k + j] = M.data[i * M.cols + j]!;
    return out;
  };
  const result: SvdResult = {
    U: take(U, rank),
    S: small.S.slice(0, rank),
    V: take(small.V, rank),
    sweeps: small.sweeps,
  };
  if (doFix) fixSigns(result.V, result.U);
  return result;
}
