import * as tf from '@tensorflow/tfjs';
import { LabError, assertInRange } from '../errors.js';

// Float64 dense linear algebra on the host. tfjs 4.22 has no SVD, eigendecomposition, inverse or
// Cholesky (only QR and Gram–Schmidt), and WASM/CPU tensors are float32 anyway, so the small exact
// factorizations the methods need run here, in plain typed-array loops. Matrices are row-major.

/** A dense row-major float64 matrix: entry (i, j) is `data[i·cols + j]`. */
export interface HostMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Anything the routines accept as a matrix: a HostMatrix (any numeric array data), nested rows, or a 2-D tensor (read back once). */
export type MatrixLike =
  { rows: number; cols: number; data: ArrayLike<number> } | readonly (readonly number[])[] | tf.Tensor;

/** Converts a {@link MatrixLike} to a fresh float64 {@link HostMatrix}, checking shape and finiteness. */
export function toHostMatrix(a: MatrixLike, name = 'a'): HostMatrix {
  let rows: number, cols: number, data: Float64Array;
  if (a instanceof tf.Tensor) {
    if (a.rank !== 2)
      throw new LabError('SHAPE_MISMATCH', `${name}: expected a 2-D tensor, got shape [${a.shape.join(', ')}]`);
    [rows, cols] = a.shape as [number, number];
    data = Float64Array.from(a.dataSync() as ArrayLike<number>);
  } else if (Array.isArray(a)) {
    rows = a.length;
    cols = rows ? (a[0] as readonly number[]).length : 0;
    data = new Float64Array(rows * cols);
    (a as readonly (readonly number[])[]).forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cols) {
        throw new LabError(
          'SHAPE_MISMATCH',
          `${name}: expected every row to have ${cols} entries, row ${i} has ${Array.isArray(row) ? row.length : typeof row}`,
        );
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = row[j]!;
    });
  } else {
    const m = a as { rows: number; cols: number; data: ArrayLike<number> };
    if (!m || typeof m.rows !== 'number' || typeof m.cols !== 'number' || !m.data) {
      throw new LabError('INVALID_ARGUMENT', `${name}: expected { rows, cols, data }, nested arrays or a 2-D tensor`);
    }
    ({ rows, cols } = m);
    assertInRange(rows, `${name}.rows`, { min: 0, integer: true });
    assertInRange(cols, `${name}.cols`, { min: 0, integer: true });
    if (m.data.length !== rows * cols)
      throw new LabError(
        'SHAPE_MISMATCH',
        `${name}: expected ${rows}·${cols} = ${rows * cols} entries, got ${m.data.length}`,
      );
    data = Float64Array.from(m.data);
  }
  if (rows === 0 || cols === 0)
    throw new LabError('EMPTY_INPUT', `${name}: expected a non-empty matrix, got ${rows}×${cols}`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!))
      throw new LabError(
        'NON_FINITE',
        `${name}: expected finite entries, got ${data[i]} at (${Math.floor(i / cols)}, ${i % cols})`,
      );
  }
  return { rows, cols, data };
}

/** Builds a HostMatrix from row-major data (copied). */
export function hostMatrix(rows: number, cols: number, data?: ArrayLike<number>): HostMatrix {
  if (data === undefined) {
    assertInRange(rows, 'rows', { min: 0, integer: true });
    assertInRange(cols, 'cols', { min: 0, integer: true });
    return { rows, cols, data: new Float64Array(rows * cols) };
  }
  return toHostMatrix({ rows, cols, data });
}

/** Nested-array view of a HostMatrix (for printing and JSON). */
export function toNestedArray(a: HostMatrix): number[][] {
  return Array.from({ length: a.rows }, (_, i) => Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
}

/** A float32 tensor copy of a HostMatrix (the caller owns it). */
export function hostMatrixToTensor(a: HostMatrix): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(a.data), [a.rows, a.cols]);
}

/** Aᵀ. */
export function transposeHost(a: HostMatrix): HostMatrix {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j]!;
  return { rows: a.cols, cols: a.rows, data: out };
}

/** A·B in float64 (i-k-j loop order, cache-friendly on row-major data). */
export function matmulHost(a: HostMatrix, b: HostMatrix): HostMatrix {
  if (a.cols !== b.rows)
    throw new LabError(
      'SHAPE_MISMATCH',
      `b: expected ${a.cols} rows to multiply a ${a.rows}×${a.cols} matrix, got ${b.rows}×${b.cols}`,
    );
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    const o = i * b.cols;
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k]!;
      if (aik === 0) continue;
      const r = k * b.cols;
      for (let j = 0; j < b.cols; j++) out[o + j]! += aik * b.data[r + j]!;
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

/** The n×n identity. */
export function identityMatrix(n: number): HostMatrix {
  const m = hostMatrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/**
 * Deterministic sign convention for singular/eigen vectors, which are defined only up to sign: flip
 * column k (of every matrix given, together) so that the largest-magnitude entry of column k of the
 * reference matrix is positive (the first such entry on exact ties). The salora spec (§2.3) uses the
 * right singular vectors V as the reference.
 */
export function fixSigns(reference: HostMatrix, ...others: HostMatrix[]): void {
  for (const m of others) {
    if (m.cols !== reference.cols)
      throw new LabError(
        'SHAPE_MISMATCH',
        `fixSigns: expected ${reference.cols} columns in every matrix, got ${m.cols}`,
      );
  }
  for (let k = 0; k < reference.cols; k++) {
    let best = 0,
      bestAbs = -1;
    for (let i = 0; i < reference.rows; i++) {
      const v = Math.abs(reference.data[i * reference.cols + k]!);
      if (v > bestAbs * (1 + 1e-12)) {
        bestAbs = v;
        best = i;
      }
    }
    if (reference.data[best * reference.cols + k]! < 0) {
      for (const m of [reference, ...others])
        for (let i = 0; i < m.rows; i++) m.data[i * m.cols + k] = -m.data[i * m.cols + k]!;
    }
  }
}

/** Thin SVD `A = U·diag(S)·Vᵀ`: U [m, k], S [k] descending, V [n, k], k = min(m, n). */
export interface SvdResult {
  U: HostMatrix;
  S: Float64Array;
  V: HostMatrix;
  /** Jacobi sweeps used. */
  sweeps: number;
}

export interface SvdOptions {
  /** Apply {@link fixSigns} with V as the reference (default true). */
  fixSigns?: boolean;
  /** Maximum Jacobi sweeps (default 60; convergence is quadratic, typically 6–12). */
  maxSweeps?: number;
}

/**
 * Completes a set of k orthonormal columns (stored as rows of `cols`, length m) where some are zero:
 * each zero column is replaced by the first canonical vector orthogonal enough to the others (twice
 * Gram–Schmidt), so U stays orthonormal when A is rank-deficient.
 */
function completeOrthonormal(cols: Float64Array[], isZero: boolean[]): void {
  const m = cols[0]!.length;
  let candidate = 0;
  cols.forEach((col, k) => {
    if (!isZero[k]) return;
    while (candidate < m) {
      col.fill(0);
      col[candidate++] = 1;
      for (let pass = 0; pass < 2; pass++) {
        cols.forEach((other, j) => {
          if (j === k || (isZero[j] && j > k)) return;
          let dot = 0;
          for (let i = 0; i < m; i++) dot += other[i]! * col[i]!;
          for (let i = 0; i < m; i++) col[i]! -= dot * other[i]!;
        });
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += col[i]! * col[i]!;
      norm = Math.sqrt(norm);
      if (norm > 1e-8) {
        for (let i = 0; i < m; i++) col[i]! /= norm;
        isZero[k] = false;
        return;
      }
    }
  });
}

/**
 * Exact thin SVD by one-sided (Hestenes) Jacobi rotations in float64, accurate to a few ulps relative to
 * σ_max, for matrices up to about 1000 on a side (cost ≈ sweeps·min(m,n)²·max(m,n)). Singular values are
 * sorted descending; vectors follow {@link fixSigns} (largest |entry| of each v_k positive) unless
 * `fixSigns: false`. Rank-deficient and repeated-row input converges: a pair counts as orthogonal at
 * |cₚ·c_q| ≤ √m·eps·‖cₚ‖·‖c_q‖, and a working column whose norm falls to ≤ max(m, n)·eps·‖A‖_F is set
 * to zero (its singular value is reported as exactly 0; numpy's `matrix_rank` tolerance), and the
 * matching columns of U are completed to an orthonormal set.
 *
 * @example
 * const { U, S, V } = svd([[3, 0], [4, 5]]);   // S ≈ [6.708, 2.236]
 */
export function svd(a: MatrixLike, options: SvdOptions = {}): SvdResult {
  const { fixSigns: doFix = true, maxSweeps = 60 } = options;
  assertInRange(maxSweeps, 'maxSweeps', { min: 1, integer: true });
  const A = toHostMatrix(a);
  // Work on the orientation with at least as many rows as columns; transpose back at the end.
  const flip = A.rows < A.cols;
  const M = flip ? transposeHost(A) : A;
  const m = M.rows,
    n = M.cols;
  // Columns of the working matrix, stored contiguously (cols[j][i] = M[i][j]).
  const cols = Array.from({ length: n }, (_, j) => {
    const c = new Float64Array(m);
    for (let i = 0; i < m; i++) c[i] = M.data[i * n + j]!;
    return c;
  });
  const vcols = Array.from({ length: n }, (_, j) => {
    const c = new Float64Array(n);
    c[j] = 1;
    return c;
  });
  const eps = 2.220446049250313e-16;
  // Convergence: a pair (p, q) is orthogonal when |cp·cq| ≤ tol·‖cp‖·‖cq‖ with tol = √m·eps (LAPACK
  // dgesvj's CTOL), the accuracy a computed dot product of length m can reach. Deflation: a column whose
  // norm falls to ≤ max(m, n)·eps·‖A‖_F (numpy's matrix_rank tolerance) is numerical dust from
  // rank deficiency; it is set to exactly zero (a perturbation of A within that tolerance) and takes
  // no further part, since dust can never be made orthogonal to the rest to a relative tolerance.
  const tol = Math.sqrt(m) * eps;
  let frob = 0;
  for (const v of M.data) frob += v * v;
  const zeroTol2 = (Math.max(m, n) * eps) ** 2 * frob;
  let sweeps = 0;
  // Squared column norms, recomputed exactly at every sweep and updated in closed form after each
  // rotation (α' = α − tγ, β' = β + tγ), so a pair costs one dot product instead of three.
  const norms = new Float64Array(n);
  for (; sweeps < maxSweeps; sweeps++) {
    let rotated = false;
    for (let j = 0; j < n; j++) {
      const c = cols[j]!;
      let acc = 0;
      for (let i = 0; i < m; i++) acc += c[i]! * c[i]!;
      if (acc <= zeroTol2 && acc !== 0) {
        c.fill(0);
        acc = 0;
      }
      norms[j] = acc;
    }
    for (let p = 0; p < n - 1; p++) {
      const cp = cols[p]!,
        vp = vcols[p]!;
      if (norms[p] === 0) continue;
      for (let q = p + 1; q < n; q++) {
        const cq = cols[q]!,
          vq = vcols[q]!;
        const alpha = norms[p]!,
          beta = norms[q]!;
        if (beta === 0) continue;
        let gamma = 0;
        for (let i = 0; i < m; i++) gamma += cp[i]! * cq[i]!;
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t),
          s = c * t;
        norms[p] = Math.max(alpha - t * gamma, 0);
        norms[q] = Math.max(beta + t * gamma, 0);
        for (let i = 0; i < m; i++) {
          const x = cp[i]!,
            y = cq[i]!;
          cp[i] = c * x - s * y;
          cq[i] = s * x + c * y;
        }
        for (let i = 0; i < n; i++) {
          const x = vp[i]!,
            y = vq[i]!;
          vp[i] = c * x - s * y;
          vq[i] = s * x + c * y;
        }
        if (norms[p] === 0) break;
      }
    }
    if (!rotated) break;
  }
  if (sweeps === maxSweeps)
    throw new LabError(
      'OUT_OF_RANGE',
      `svd: expected the Jacobi sweeps to converge within maxSweeps = ${maxSweeps}, got a pair still non-orthogonal after ${sweeps} sweeps`,
    );
  const sigma = cols.map((c) => Math.sqrt(c.reduce((s, v) => s + v * v, 0)));
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => sigma[y]! - sigma[x]! || x - y);
  const smax = sigma[order[0]!]!;
  const isZero = order.map((j) => !(sigma[j]! > smax * 1e-300) || sigma[j] === 0);
  const ucols = order.map((j, k) => {
    const c = cols[j]!.slice();
    if (!isZero[k]) for (let i = 0; i < m; i++) c[i]! /= sigma[j]!;
    return c;
  });
  if (isZero.some(Boolean)) completeOrthonormal(ucols, isZero);
  const U = hostMatrix(m, n),
    V = hostMatrix(n, n);
  const S = new Float64Array(n);
  order.forEach((j, k) => {
    S[k] = sigma[j]!;
    for (let i = 0; i < m; i++) U.data[i * n + k] = ucols[k]![i]!;
    for (let i = 0; i < n; i++) V.data[i * n + k] = vcols[j]![i]!;
  });
  // A = U S Vᵀ; for the transposed problem Aᵀ = U S Vᵀ, so A = V S Uᵀ: swap the roles.
  const result = flip ? { U: V, S, V: U, sweeps } : { U, S, V, sweeps };
  if (doFix) fixSigns(result.V, result.U);
  return result;
}

/** Spec-compatible form `svdJacobi(M, m, n)` of {@link svd} for a flat row-major m×n array. */
export function svdJacobi(data: ArrayLike<number>, rows: number, cols: number, options: SvdOptions = {}): SvdResult {
  return svd({ rows, cols, data }, options);
}

/** Eigendecomposition of a symmetric matrix: `A = Q·diag(values)·Qᵀ`, values descending, Q's columns orthonormal. */
export interface EigResult {
  values: Float64Array;
  vectors: HostMatrix;
  sweeps: number;
}

/**
 * Symmetric eigendecomposition by cyclic Jacobi rotations in float64 (eigenvalues accurate to a few ulps
 * of ‖A‖). Eigenvalues are sorted descending; each eigenvector's largest-|entry| is made positive
 * ({@link fixSigns}). Throws when A is not square or not symmetric (relative tolerance `symmetryTol`).
 *
 * @example
 * const { values, vectors } = symmetricEigen([[2, 1], [1, 2]]);  // values [3, 1]
 */
export function symmetricEigen(
  a: MatrixLike,
  options: { maxSweeps?: number; symmetryTol?: number; fixSigns?: boolean } = {},
): EigResult {
  const { maxSweeps = 100, symmetryTol = 1e-10, fixSigns: doFix = true } = options;
  const A = toHostMatrix(a);
  const n = A.rows;
  if (A.cols !== n) throw new LabError('SHAPE_MISMATCH', `a: expected a square matrix, got ${A.rows}×${A.cols}`);
  let scale = 0;
  for (const v of A.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.abs(A.data[i * n + j]! - A.data[j * n + i]!);
      if (d > symmetryTol * Math.max(scale, 1e-300)) {
        throw new LabError(
          'INVALID_ARGUMENT',
          `a: expected a symmetric matrix, but a[${i}][${j}] = ${A.data[i * n + j]} and a[${j}][${i}] = ${A.data[j * n + i]}`,
        );
      }
    }
  }
  // Symmetrise exactly so the rotations see one value per pair.
  const M = A.data;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) M[i * n + j] = M[j * n + i] = 0.5 * (M[i * n + j]! + M[j * n + i]!);
  const Q = identityMatrix(n).data;
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0,
      diag = 0;
    for (let i = 0; i < n; i++) {
      diag += M[i * n + i]! * M[i * n + i]!;
      for (let j = i + 1; j < n; j++) off += M[i * n + j]! * M[i * n + j]!;
    }
    if (off === 0 || off <= 1e-32 * diag) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = M[p * n + q]!;
        if (apq === 0) continue;
        const app = M[p * n + p]!,
          aqq = M[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
        const c = 1 / Math.sqrt(1 + t * t),
          s = t * c;
        // A ← Jᵀ A J on rows/columns p, q
        for (let k = 0; k < n; k++) {
          const akp = M[k * n + p]!,
            akq = M[k * n + q]!;
          M[k * n + p] = c * akp - s * akq;
          M[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = M[p * n + k]!,
            aqk = M[q * n + k]!;
          M[p * n + k] = c * apk - s * aqk;
          M[q * n + k] = s * apk + c * aqk;
        }
        M[p * n + q] = M[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const qkp = Q[k * n + p]!,
            qkq = Q[k * n + q]!;
          Q[k * n + p] = c * qkp - s * qkq;
          Q[k * n + q] = s * qkp + c * qkq;
        }
      }
    }
  }
  if (sweeps === maxSweeps)
    throw new LabError('OUT_OF_RANGE', `symmetricEigen: Jacobi did not converge in maxSweeps = ${maxSweeps} sweeps`);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => M[y * n + y]! - M[x * n + x]! || x - y);
  const values = Float64Array.from(order, (i) => M[i * n + i]!);
  const vectors = hostMatrix(n, n);
  order.forEach((src, k) => {
    for (let i = 0; i < n; i++) vectors.data[i * n + k] = Q[i * n + src]!;
  });
  if (doFix) fixSigns(vectors);
  return { values, vectors, sweeps };
}

/** Eigenvalues only, descending, of a symmetric n×n matrix given flat row-major (difficult-examples spec form). */
export function symmetricEigenvalues(data: ArrayLike<number>, n: number): Float64Array {
  return symmetricEigen({ rows: n, cols: n, data }, { fixSigns: false }).values;
}

/**
 * Moore–Penrose pseudo-inverse A⁺ [n, m] from the Jacobi SVD, discarding singular values ≤ tol. The
 * default tol is `max(m, n)·eps·σ_max` (numpy `matrix_rank`, the icl-ood spec); `rtol` gives `rtol·σ_max`.
 */
export function pinv(a: MatrixLike, options: { rtol?: number } = {}): HostMatrix {
  const { U, S, V } = svd(a, { fixSigns: false });
  const m = U.rows,
    n = V.rows,
    k = S.length;
  const smax = S[0] ?? 0;
  const tol = options.rtol !== undefined ? options.rtol * smax : Math.max(m, n) * 2.220446049250313e-16 * smax;
  if (options.rtol !== undefined) assertInRange(options.rtol, 'rtol', { min: 0 });
  const out = hostMatrix(n, m);
  for (let r = 0; r < k; r++) {
    if (!(S[r]! > tol)) continue;
    const inv = 1 / S[r]!;
    for (let i = 0; i < n; i++) {
      const vi = V.data[i * k + r]! * inv;
      if (vi === 0) continue;
      for (let j = 0; j < m; j++) out.data[i * m + j]! += vi * U.data[j * k + r]!;
    }
  }
  return out;
}

/** Lower-triangular Cholesky factor L with A = L·Lᵀ; throws `LabError` when A is not symmetric positive definite. */
export function cholesky(a: MatrixLike): HostMatrix {
  const A = toHostMatrix(a);
  const n = A.rows;
  if (A.cols !== n) throw new LabError('SHAPE_MISMATCH', `a: expected a square matrix, got ${A.rows}×${A.cols}`);
  const L = hostMatrix(n, n);
  for (let j = 0; j < n; j++) {
    let d = A.data[j * n + j]!;
    for (let k = 0; k < j; k++) d -= L.data[j * n + k]! ** 2;
    if (!(d > 0))
      throw new LabError(
        'INVALID_ARGUMENT',
        `a: expected a symmetric positive definite matrix, but pivot ${j} is ${d}`,
      );
    const ljj = Math.sqrt(d);
    L.data[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A.data[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L.data[i * n + k]! * L.data[j * n + k]!;
      L.data[i * n + j] = s / ljj;
    }
  }
  return L;
}

/** Solves A·X = B for symmetric positive definite A by Cholesky (B: [n, k]; a vector is treated as [n, 1]). */
export function solveSPD(a: MatrixLike, b: MatrixLike | ArrayLike<number>): HostMatrix {
  const L = cholesky(a);
  const n = L.rows;
  const B = isVectorLike(b)
    ? toHostMatrix({ rows: vectorData(b).length, cols: 1, data: vectorData(b) }, 'b')
    : toHostMatrix(b as MatrixLike, 'b');
  if (B.rows !== n) throw new LabError('SHAPE_MISMATCH', `b: expected ${n} rows (the size of a), got ${B.rows}`);
  const k = B.cols;
  const X = B.data.slice();
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = X[i * k + c]!;
      for (let j = 0; j < i; j++) s -= L.data[i * n + j]! * X[j * k + c]!;
      X[i * k + c] = s / L.data[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = X[i * k + c]!;
      for (let j = i + 1; j < n; j++) s -= L.data[j * n + i]! * X[j * k + c]!;
      X[i * k + c] = s / L.data[i * n + i]!;
    }
  }
  return { rows: n, cols: k, data: X };
}

/** A flat vector (typed array or array of numbers), as opposed to a matrix (nested rows, HostMatrix, tensor). */
function vectorData(b: unknown): ArrayLike<number> {
  return b instanceof tf.Tensor ? (b.dataSync() as ArrayLike<number>) : (b as ArrayLike<number>);
}

function isVectorLike(b: unknown): boolean {
  if (b instanceof tf.Tensor) return b.rank === 1;
  if (Array.isArray(b)) return b.length > 0 && typeof b[0] === 'number';
  return ArrayBuffer.isView(b);
}

/** Minimum-norm least squares `argmin ‖A·X − B‖` (then min ‖X‖) via {@link pinv}. */
export function lstsq(a: MatrixLike, b: MatrixLike | ArrayLike<number>, options: { rtol?: number } = {}): HostMatrix {
  const P = pinv(a, options);
  const B = isVectorLike(b)
    ? toHostMatrix({ rows: vectorData(b).length, cols: 1, data: vectorData(b) }, 'b')
    : toHostMatrix(b as MatrixLike, 'b');
  if (B.rows !== P.cols)
    throw new LabError('SHAPE_MISMATCH', `b: expected ${P.cols} rows (the rows of a), got ${B.rows}`);
  return matmulHost(P, B);
}

/** Ridge regression weights `(XᵀX + λI)⁻¹ Xᵀ y` (no intercept) by Cholesky; λ > 0. */
export function ridge(x: MatrixLike, y: MatrixLike | ArrayLike<number>, lambda: number): HostMatrix {
  assertInRange(lambda, 'lambda', { min: 0, minExclusive: true });
  const X = toHostMatrix(x, 'x');
  const Y = isVectorLike(y)
    ? toHostMatrix({ rows: vectorData(y).length, cols: 1, data: vectorData(y) }, 'y')
    : toHostMatrix(y as MatrixLike, 'y');
  if (Y.rows !== X.rows)
    throw new LabError('SHAPE_MISMATCH', `y: expected ${X.rows} rows (the rows of x), got ${Y.rows}`);
  const Xt = transposeHost(X);
  const G = matmulHost(Xt, X);
  for (let i = 0; i < G.rows; i++) G.data[i * G.cols + i]! += lambda;
  return solveSPD(G, matmulHost(Xt, Y));
}
