/**
 * Difficult-pair selection and the edited NT-Xent losses of
 * Zhang, Cui, Li, Wang. "Difficult Examples Hurt Unsupervised Contrastive Learning: A Theoretical
 * Perspective". ICLR 2026, arXiv:2501.01317.
 *
 * Batch layout (SimCLR): 2B rows, rows 0..B−1 are view 1 and rows B..2B−1 view 2, so the positive of
 * row i is pos(i) = (i + B) mod 2B. Selection reads backbone features h (no gradient); the loss reads
 * projector outputs z (L2-normalised inside).
 */
import {
  LabError,
  assertFinite,
  assertRank,
  contrastiveCrossEntropy,
  cosineSimilarityMatrix,
  ntXentLoss,
  quantile,
  strictOptions,
  tf,
  viewPositiveMask,
  type OptionChecks,
} from '@lab/core';
import {
  LOSS_MODES,
  defaultDifficultLossOptions,
  defaultSelectionOptions,
  type DifficultLossOptions,
  type SelectionOptions,
} from './config.js';

// ── argument checks ──────────────────────────────────────────────────────────────────────

/** A SimCLR batch: rank 2, at least 2 rows, an even number of rows (two views), finite values. */
function checkViewBatch(x: tf.Tensor, name: string): void {
  if (!(x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor2D, got ${typeof x}`);
  assertRank(x, 2, name);
  const rows = x.shape[0]!;
  if (rows === 0 || x.shape[1] === 0)
    throw new LabError('EMPTY_INPUT', `${name}: expected a non-empty batch [2B, d], got [${x.shape.join(', ')}]`);
  if (rows % 2 !== 0) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected an even number of rows 2B (view 1 then view 2), got ${rows}`,
    );
  }
  assertFinite(x, name);
}

/** P must be a constant 0/1 matrix [n, n] matching the batch. */
function checkPairMask(P: tf.Tensor, n: number, name = 'P'): void {
  if (!(P instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor2D or null, got ${typeof P}`);
  assertRank(P, 2, name);
  if (P.shape[0] !== n || P.shape[1] !== n) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected shape [${n}, ${n}] to match the batch rows, got [${P.shape.join(', ')}]`,
    );
  }
  const values = P.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== 0 && v !== 1) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}: expected entries in {0, 1}, found ${v} at (${Math.floor(i / n)}, ${i % n})`,
      );
    }
  }
}

/**
 * Selection options checked with core's strictOptions (spec §3: posHigh ∈ (0,1), posLow ∈ (0,1], posHigh <
 * posLow); `where` names the caller for unknown keys. Used by the training loop too.
 */
export function resolveSelection(options: Partial<SelectionOptions> | undefined, where: string): SelectionOptions {
  const o = strictOptions<SelectionOptions>(options, { ...defaultSelectionOptions }, where, {
    posHigh: { min: 0, max: 1, minExclusive: true, maxExclusive: true },
    posLow: { min: 0, max: 1, minExclusive: true },
    scope: ['global', 'row'],
  });
  if (!(o.posHigh < o.posLow)) {
    throw new LabError(
      'OUT_OF_RANGE',
      `posHigh: expected posHigh < posLow (descending percentiles: the band runs from the posHigh-th most similar pair down to the posLow-th), got posHigh = ${o.posHigh}, posLow = ${o.posLow}`,
    );
  }
  return o;
}

const LOSS_CHECKS: OptionChecks<DifficultLossOptions> = {
  temperature: { min: 0, minExclusive: true },
  mode: LOSS_MODES,
  sigma: { min: 0 },
  rho: { min: 0, minExclusive: true },
};

/**
 * Loss options checked with core's strictOptions (τ > 0 and finite, ρ > 0, σ finite and ≥ 0) over `defaults`
 * (the training loop passes its own, without `mode`); `where` names the caller for unknown keys.
 */
export function resolveLoss<T extends Partial<DifficultLossOptions> = DifficultLossOptions>(
  options: Partial<T> | undefined,
  where: string,
  defaults: Readonly<T> = defaultDifficultLossOptions as unknown as T,
): T {
  const o = strictOptions<T>(options, { ...defaults }, where, LOSS_CHECKS as OptionChecks<T>);
  if (!Number.isFinite(o.temperature))
    throw new LabError('OUT_OF_RANGE', `temperature: expected a finite number > 0, got ${o.temperature}`);
  // The issue asks for σ < 0 to be refused (a negative margin would pull difficult pairs together), the spec for non-finite σ.
  if (!Number.isFinite(o.sigma))
    throw new LabError('OUT_OF_RANGE', `sigma: expected a finite number >= 0, got ${o.sigma}`);
  return o;
}

// ── selection (Eq. 12) ───────────────────────────────────────────────────────────────────

/** Result of {@link selectDifficultPairs}. */
export interface DifficultPairSelection {
  /** p_ij ∈ {0, 1}, float32 [2B, 2B], zero diagonal. A constant: build it outside any gradient. */
  P: tf.Tensor2D;
  /** Sim_posHigh: one number (global scope) or one per anchor row (row scope). */
  simPosHigh: number | Float32Array;
  /** Sim_posLow: one number (global scope) or one per anchor row (row scope). */
  simPosLow: number | Float32Array;
  /** Number of ones in P. */
  numSelected: number;
}

/** pos(i) = (i + B) mod 2B. */
export function positiveIndex(rows: number): Int32Array {
  const half = rows / 2;
  return Int32Array.from({ length: rows }, (_, i) => (i + half) % rows);
}

/** Cosine matrix of h on the host, made exactly symmetric (c_ji copied from c_ij) so masks never differ across the diagonal. */
function symmetricCosine(h: tf.Tensor2D): Float32Array {
  const n = h.shape[0];
  const cosine = cosineSimilarityMatrix(h);
  const C = Float32Array.from(cosine.dataSync()); // the one host sync of the step
  cosine.dispose();
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) C[j * n + i] = C[i * n + j]!;
  return C;
}

/**
 * Label-free difficult-pair selection (paper Eq. 12): p_ij = 1[Sim_posLow ≤ c_ij < Sim_posHigh], c = cos(h_i, h_j),
 * where Sim_p is the value at descending percentile p (= quantile(values, 1 − p)). Pairs above Sim_posHigh are
 * probable same-class pairs and are left alone; the diagonal (and, by default, the positive pair) is never selected.
 *
 * @param h backbone features [2B, d] (view-major); read without gradient.
 * @returns P [2B, 2B] float32 0/1, the thresholds and the number selected.
 */
export function selectDifficultPairs(h: tf.Tensor2D, options: Partial<SelectionOptions> = {}): DifficultPairSelection {
  const o = resolveSelection(options, 'selectDifficultPairs options');
  checkViewBatch(h, 'h');
  const n = h.shape[0];
  const pos = positiveIndex(n);
  const C = symmetricCosine(h); // [n, n] row-major
  const isCandidate = (i: number, j: number) => i !== j && !(o.excludePositive && j === pos[i]);
  const P = new Float32Array(n * n);
  let numSelected = 0;
  const mark = (i: number, lo: number, hi: number) => {
    for (let j = 0; j < n; j++) {
      const c = C[i * n + j]!;
      if (isCandidate(i, j) && c >= lo && c < hi) {
        P[i * n + j] = 1;
        numSelected++;
      }
    }
  };
  const perRow = n - 1 - (o.excludePositive ? 1 : 0);
  if (perRow <= 0) {
    throw new LabError(
      'EMPTY_INPUT',
      `h: a batch of ${n} rows leaves no candidate pairs; expected at least ${o.excludePositive ? 4 : 2} rows`,
    );
  }
  if (o.scope === 'global') {
    const values = new Float32Array(n * perRow);
    let k = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (isCandidate(i, j)) values[k++] = C[i * n + j]!;
    // Sim_p = quantile(values, 1 − p): one sort serves both edges.
    const [hi, lo] = quantile(values, [1 - o.posHigh, 1 - o.posLow]) as [number, number];
    for (let i = 0; i < n; i++) mark(i, lo, hi);
    return { P: tf.tensor2d(P, [n, n]), simPosHigh: hi, simPosLow: lo, numSelected };
  }
  const his = new Float32Array(n);
  const los = new Float32Array(n);
  const row = new Float32Array(perRow);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let j = 0; j < n; j++) if (isCandidate(i, j)) row[k++] = C[i * n + j]!;
    // Thresholds are compared in float64 before being stored in the float32 report arrays.
    const [hi, lo] = quantile(row, [1 - o.posHigh, 1 - o.posLow]) as [number, number];
    his[i] = hi;
    los[i] = lo;
    mark(i, lo, hi);
  }
  return { P: tf.tensor2d(P, [n, n]), simPosHigh: his, simPosLow: los, numSelected };
}

// ── the edited NT-Xent (Eqs. 13–16) ──────────────────────────────────────────────────────

/** Edited logits without validation (used inside the loss, after the checks). */
function editLogitsUnchecked(S: tf.Tensor2D, P: tf.Tensor2D, o: DifficultLossOptions): tf.Tensor2D {
  const tau = o.temperature;
  switch (o.mode) {
    case 'ntxent':
      return S.div(tau); // s/τ
    case 'remove':
      return S.mul(tf.scalar(1).sub(P)).div(tau); // Eq. 13: s(1 − p)/τ, difficult logits become 0 (constant e⁰ = 1)
    case 'margin':
      return S.add(P.mul(o.sigma)).div(tau); // Eq. 14: (s + pσ)/τ
    case 'temperature':
      return S.div(
        P.mul(o.rho - 1)
          .add(1)
          .mul(tau),
      ); // Eq. 15: s / ([pρ + (1 − p)]τ)
    case 'combined':
      return S.add(P.mul(o.sigma)).div(
        P.mul(o.rho - 1)
          .add(1)
          .mul(tau),
      ); // Eq. 16
  }
}

/**
 * Edited NT-Xent logits (paper Eqs. 13–16) from a cosine matrix S and a difficult-pair mask P, both [n, n].
 * Exposed for MoCo-style use, where S holds query–key cosines (paper Table 5).
 */
export function editLogits(S: tf.Tensor2D, P: tf.Tensor2D, options: Partial<DifficultLossOptions> = {}): tf.Tensor2D {
  const o = resolveLoss(options, 'editLogits options');
  assertRank(S, 2, 'S');
  if (S.shape[0] === 0) throw new LabError('EMPTY_INPUT', 'S: expected a non-empty [n, n] matrix, got [0, 0]');
  if (S.shape[0] !== S.shape[1])
    throw new LabError('SHAPE_MISMATCH', `S: expected a square [n, n] matrix, got [${S.shape.join(', ')}]`);
  checkPairMask(P, S.shape[0]);
  return tf.tidy(() => editLogitsUnchecked(S, P, o));
}

/**
 * NT-Xent with the difficult-pair edits of the paper (Eqs. 13–16): a drop-in replacement for SimCLR's loss.
 * With σ = 0 and ρ = 1 every mode equals NT-Xent; temperature mode with ρ → ∞ equals removal.
 *
 * @param z raw projector outputs [2B, d] (view-major); normalised inside. Differentiable.
 * @param P difficult-pair mask [2B, 2B] from {@link selectDifficultPairs} (a constant), or null for plain NT-Xent.
 * @returns scalar loss, mean over the 2B anchors.
 */
export function difficultPairLoss(
  z: tf.Tensor2D,
  P: tf.Tensor2D | null,
  options: Partial<DifficultLossOptions> = {},
): tf.Scalar {
  const o = resolveLoss(options, 'difficultPairLoss options');
  checkViewBatch(z, 'z');
  const n = z.shape[0];
  if (P !== null && P !== undefined) checkPairMask(P, n);
  // Without a mask (or in baseline mode) this is exactly @lab/core's NT-Xent.
  if (!P || o.mode === 'ntxent') return ntXentLoss(z, o.temperature);
  return tf.tidy(() => {
    const S = cosineSimilarityMatrix(z); // [2B, 2B] s_ij, the same logits core's ntXentLoss divides by τ
    const L = editLogitsUnchecked(S, P, o); // [2B, 2B] edited logits; the diagonal is masked inside
    // ℓ_i = −log softmax_{k≠i}(L_i·)[pos(i)], mean over the 2B anchors (core's shared cross-entropy).
    return contrastiveCrossEntropy(L, viewPositiveMask(n / 2, 2));
  });
}

/**
 * Spectral contrastive loss (HaoChen et al. 2021), the theory's proxy for InfoNCE, on UN-normalised features:
 * L = −2·mean_i f_i·f_pos(i) + mean_{i≠j} (f_i·f_j)².
 * @param f features [2B, k] (view-major).
 */
export function spectralContrastiveLoss(f: tf.Tensor2D): tf.Scalar {
  checkViewBatch(f, 'f');
  return tf.tidy(() => {
    const n = f.shape[0];
    const G = tf.matMul(f, f, false, true); // [n, n]
    const positives = tf.oneHot(tf.tensor1d(positiveIndex(n), 'int32'), n).toFloat(); // [n, n]
    const attraction = G.mul(positives).sum().div(n);
    const offDiagonal = tf.scalar(1).sub(tf.eye(n)); // [n, n]
    const repulsion = G.square()
      .mul(offDiagonal)
      .sum()
      .div(n * (n - 1));
    return attraction.mul(-2).add(repulsion) as tf.Scalar;
  });
}

/** How much of the edited loss's gradient the edit itself carries (issue 17: gradient share of custom terms). */
export interface EditGradientShare {
  /** ‖∇_z L_edit − ∇_z L_NT-Xent‖ / ‖∇_z L_edit‖ (Frobenius norms), in [0, ∞); 0 when nothing is selected. */
  share: number;
  /** ‖∇_z L_edit − ∇_z L_NT-Xent‖: the part of the gradient the edit adds. */
  editNorm: number;
  /** ‖∇_z L_edit‖: the whole gradient of the edited loss. */
  totalNorm: number;
  /** ‖∇_z L_NT-Xent‖: the gradient of the unedited loss on the same batch. */
  ntxentNorm: number;
}

/**
 * Gradient share of a loss edit on one batch. The edits of Eqs. 13–16 are not additive terms, so the "edit term"
 * is the edited loss minus plain NT-Xent with the same τ: its gradient with respect to the projector outputs z,
 * relative to the whole gradient of the edited loss. A share below 5 % means the edit barely changes training.
 *
 * @param z raw projector outputs [2B, d] (view-major).
 * @param P difficult-pair mask [2B, 2B] (a constant).
 */
export function editGradientShare(
  z: tf.Tensor2D,
  P: tf.Tensor2D,
  options: Partial<DifficultLossOptions> = {},
): EditGradientShare {
  const o = resolveLoss(options, 'editGradientShare options');
  checkViewBatch(z, 'z');
  checkPairMask(P, z.shape[0]);
  const [edit, total, plain] = tf.tidy(() => {
    const grad = (mode: DifficultLossOptions['mode']) =>
      tf.grad((x: tf.Tensor) => difficultPairLoss(x as tf.Tensor2D, P, { ...o, mode }))(z);
    const gEdit = grad(o.mode);
    const gPlain = grad('ntxent');
    return [gEdit.sub(gPlain).norm(), gEdit.norm(), gPlain.norm()].map((t) => t.dataSync()[0]!);
  }) as unknown as [number, number, number];
  return { share: total > 0 ? edit / total : 0, editNorm: edit, totalNorm: total, ntxentNorm: plain };
}
