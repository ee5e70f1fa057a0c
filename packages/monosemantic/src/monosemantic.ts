// The maths of "Beyond Interpretability: The Gains of Feature Monosemanticity on Model Robustness" (Zhang,
// Wang, Cui, Pan, Lei, Jegelka, Wang; ICLR 2025; arXiv:2410.21331), top to bottom: the CL / NCL loss
// (§2.3 of the spec, `solo/losses/simclr.py` and `SimCLR.training_step` of PKU-ML/Beyond_Interpretability),
// the top-k sparse autoencoder (§2.4), the monosemanticity metrics (§2.7, `log_stats` and non_neg's
// `main_eval.py`) and the superposition toy (§2.8, Elhage et al. 2022).
import {
  LabError,
  assertFinite,
  assertInRange,
  assertNonEmpty,
  assertRank,
  l2Normalize,
  labelPositiveMask,
  offDiagonalLogSoftmax,
  strictOptions,
  symmetricEigenvalues,
  tf,
} from '@lab/core';
import { NON_NEG_CHOICES, defaultNclOptions, type NclOptions } from './config.js';

// ── 1. CL / NCL loss ────────────────────────────────────────────────────────────────────────

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * repRelu: ReLU in the forward pass, the exact (erf) GELU derivative `Φ(x) + x·φ(x)` in the backward pass —
 * the official `gelu(z) − sg(gelu(z)) + sg(relu(z))` (Beyond_Interpretability `non_neg: rep_relu`). It lets
 * gradient reach units that ReLU has switched off. tfjs has no GELU op, so the derivative is written out.
 * @param x any shape. @returns `relu(x)`, same shape.
 */
export const repRelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  save([x]);
  return {
    value: tf.relu(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const input = saved[0]!;
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(input, SQRT_HALF)))); // Φ(x)
      const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(input)))); // φ(x)
      return tf.mul(dy, tf.add(cdf, tf.mul(input, pdf)));
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** The instance ids of a view-major batch of `rows` rows in two views: `[0..B−1, 0..B−1]`. */
export function viewMajorIds(rows: number): Int32Array {
  if (!Number.isInteger(rows) || rows < 2 || rows % 2 !== 0)
    throw new LabError(
      'SHAPE_MISMATCH',
      `u: expected an even number of rows (two view-major views) when idx is omitted, got ${rows}`,
    );
  return Int32Array.from({ length: rows }, (_, i) => i % (rows / 2));
}

function idsOf(idx: tf.Tensor1D | ArrayLike<number> | undefined, rows: number): Int32Array {
  if (idx === undefined) return viewMajorIds(rows);
  const ids = idx instanceof tf.Tensor ? Int32Array.from(idx.dataSync()) : Int32Array.from(idx);
  if (idx instanceof tf.Tensor) assertRank(idx, 1, 'idx');
  if (ids.length !== rows)
    throw new LabError('SHAPE_MISMATCH', `idx: expected ${rows} instance ids (one per row of u), got ${ids.length}`);
  return ids;
}

/**
 * CL / NCL objective of Beyond_Interpretability (`SimCLR.training_step` + `simclr_loss_func`), spec §2.3:
 *
 *     z ← normalize(u);  z ← φ(z);  z ← normalize(z)            (an all-zero row stays 0)
 *     S_ij = exp(z_i·z_j / τ)
 *     pos_i = Σ_{j≠i, idx_j = idx_i} S_ij,   neg_i = Σ_{idx_j ≠ idx_i} S_ij
 *     L_nce = −mean_{i: pos_i > 0} log(pos_i / (pos_i + neg_i))
 *     L_var = −mean_d mean_i |z_id|                             (added only when φ ≠ identity and varLoss)
 *
 * Self-similarity is excluded from both sums; several rows sharing an id is the multi-positive form.
 * Computed in log space: `log(pos_i/(pos_i+neg_i)) = logsumexp_{j∈P(i)} log p_ij` with `p` the off-diagonal
 * softmax of `z zᵀ/τ`, so exp never overflows.
 *
 * @param u `[M, D]` raw projector outputs. @param idx `[M]` instance ids (default: two view-major views).
 * @returns the total, its parts (`varLoss` is reported even when not added) and `z` `[M, D]`.
 */
export function nclLoss(
  u: tf.Tensor2D,
  idx?: tf.Tensor1D | ArrayLike<number>,
  options: Partial<NclOptions> = {},
): { loss: tf.Scalar; nce: tf.Scalar; varLoss: tf.Scalar; z: tf.Tensor2D } {
  const { temperature, nonNeg, varLoss } = strictOptions(options, defaultNclOptions, 'nclLoss options', {
    temperature: { min: 0, minExclusive: true },
    nonNeg: NON_NEG_CHOICES,
  });
  if (!(u instanceof tf.Tensor)) throw new LabError('INVALID_ARGUMENT', 'u: expected a tf.Tensor of shape [M, D]');
  assertRank(u, 2, 'u');
  assertNonEmpty(u, 'u', 2);
  assertFinite(u, 'u');
  const ids = idsOf(idx, u.shape[0]);
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const keep = Float32Array.from(ids, (id) => (counts.get(id)! > 1 ? 1 : 0)); // rows with pos_i > 0
  const kept = keep.reduce((a, b) => a + b, 0);
  if (kept === 0)
    throw new LabError('INVALID_ARGUMENT', 'idx: expected at least one pair of rows sharing an instance id, got none');
  return tf.tidy(() => {
    const positives = tf.cast(labelPositiveMask(ids), 'bool'); // [M, M] idx_i = idx_j, i ≠ j
    let z = l2Normalize(u); // [M, D]
    if (nonNeg === 'relu') z = tf.relu(z) as tf.Tensor2D;
    else if (nonNeg === 'repRelu') z = repRelu(z) as tf.Tensor2D;
    z = l2Normalize(z); // [M, D]
    const logits = tf.div(tf.matMul(z, z, false, true), temperature) as tf.Tensor2D; // [M, M] z_i·z_j/τ
    const logProb = offDiagonalLogSoftmax(logits); // [M, M] log S_ij/(pos_i + neg_i), diagonal excluded
    const onPositives = tf.where(positives, logProb, tf.fill(logProb.shape, -1e9)); // [M, M]
    const logRatio = tf.logSumExp(onPositives, 1); // [M] log pos_i/(pos_i + neg_i)
    const nce = tf.div(tf.neg(tf.sum(tf.mul(logRatio, tf.tensor1d(keep)))), kept) as tf.Scalar; // mean over kept rows
    // |z| as z·sign(z): tfjs's Abs gradient is −1 at 0 (PyTorch's is 0), which repRelu would pass on.
    const variance = tf.neg(tf.mean(tf.mul(z, tf.sign(z)))) as tf.Scalar; // −mean_d mean_i |z_id|
    const loss = (nonNeg !== 'none' && varLoss ? tf.add(nce, variance) : tf.clone(nce)) as tf.Scalar;
    return { loss, nce, varLoss: variance, z };
  });
}

/**
 * Plain SimCLR contrastive loss (CL, "polysemantic"): {@link nclLoss} with φ = identity and no L_var.
 * @param u `[M, D]`. @param idx `[M]` (default view-major). @param temperature τ (default 0.2). @returns scalar.
 */
export function clLoss(u: tf.Tensor2D, idx?: tf.Tensor1D | ArrayLike<number>, temperature = 0.2): tf.Scalar {
  const { loss, nce, varLoss, z } = nclLoss(u, idx, { temperature, nonNeg: 'none', varLoss: false });
  tf.dispose([nce, varLoss, z]);
  return loss;
}

// ── 2. Top-k sparse autoencoder ─────────────────────────────────────────────────────────────

/** Parameters of a top-k SAE in PyTorch layout: W_enc `[L, D]`, b_lat `[L]`, W_dec `[D, L]`, b_pre `[D]`. */
export interface TopKSAEParams {
  wEnc: tf.Tensor2D;
  bLat: tf.Tensor1D;
  wDec: tf.Tensor2D;
  bPre: tf.Tensor1D;
}

/** `relu(pre)` on the k largest entries of each row, 0 elsewhere; gradient `dy·mask` (one tape node, see below). */
function topKRelu(pre: tf.Tensor2D, k: number): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const kth = tf.slice(tf.topk(x, k).values, [0, k - 1], [-1, 1]); // [B, 1] the k-th largest of each row
    const mask = tf.mul(tf.sub(1, tf.step(tf.sub(kth, x))), tf.step(x)); // [B, L] selected and positive
    save([mask]);
    return { value: tf.mul(x, mask), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!) };
  });
  return op(pre) as tf.Tensor2D;
}

/**
 * Top-k SAE encoder (`SimCLR.forward`'s SAE branch), spec §2.4:
 *
 *     pre = (x − b_pre) W_encᵀ + b_lat
 *     lat = relu(pre) on the k largest entries of each row of pre, 0 elsewhere
 *
 * tfjs's `topk` has no gradient, so the selection is a 0/1 mask `pre ≥ (k-th largest of the row)` and
 * `lat = relu(pre)·mask`, with the gradient `dy·mask` written out: it flows only through the selected positive
 * entries, which is the official gradient. The mask is built with `step` inside one custom-gradient node: a
 * `oneHot(indices)` mask costs a `[B, k, L]` tensor, a broadcast `greater` is ~15× slower on WASM, and autodiff
 * would also run TopK's scatter gradient for nothing. A tie at the k-th value keeps every tied entry (measure zero
 * for float features).
 * @param x `[B, D]`. @returns `pre` `[B, L]`, `latents` `[B, L]`, `indices` `[B, k]` int32.
 */
export function topKEncode(
  params: TopKSAEParams,
  x: tf.Tensor2D,
  k: number,
): { pre: tf.Tensor2D; latents: tf.Tensor2D; indices: tf.Tensor2D } {
  return tf.tidy(() => {
    const pre = tf.add(tf.matMul(tf.sub(x, params.bPre), params.wEnc, false, true), params.bLat) as tf.Tensor2D; // [B, L]
    const latents = topKRelu(pre, k); // [B, L]
    const { indices } = tf.topk(pre, k); // [B, k] for the caller (not on the gradient path)
    return { pre, latents, indices: indices as tf.Tensor2D };
  });
}

/** The latents alone (the training path): `topKEncode` without the `[B, k]` indices. */
export function topKLatents(params: TopKSAEParams, x: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() =>
    topKRelu(tf.add(tf.matMul(tf.sub(x, params.bPre), params.wEnc, false, true), params.bLat) as tf.Tensor2D, k),
  );
}

/** Top-k SAE decoder: `x̂ = lat W_decᵀ + b_pre`. @param latents `[B, L]`. @returns `[B, D]`. */
export function topKDecode(params: TopKSAEParams, latents: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(latents, params.wDec, false, true), params.bPre) as tf.Tensor2D); // [B, D]
}

/**
 * Normalised MSE of the official SAE: `mean_b [ mean_d (x̂ − x)² / mean_d x² ]` (no sparsity penalty, no AuxK).
 * @param reconstruction `[B, D]`. @param x `[B, D]`. @returns scalar.
 */
export function normalizedMse(reconstruction: tf.Tensor2D, x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const err = tf.mean(tf.square(tf.sub(reconstruction, x)), 1); // [B]
    const power = tf.maximum(tf.mean(tf.square(x), 1), 1e-12); // [B] (a zero row would divide by 0)
    return tf.mean(tf.div(err, power)) as tf.Scalar;
  });
}

// ── 3. Monosemanticity metrics (on host copies: they are off the training path) ───────────

interface HostFeatures {
  data: Float32Array;
  n: number;
  d: number;
}

/** Reads and checks a feature matrix `[n, d]` (non-empty, finite) and, when given, its `n` labels. */
export function hostFeatures(features: tf.Tensor2D, labels?: ArrayLike<number>, name = 'features'): HostFeatures {
  if (!(features instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor of shape [n, d]`);
  assertRank(features, 2, name);
  const [n, d] = features.shape;
  if (n === 0 || d === 0)
    throw new LabError('EMPTY_INPUT', `${name}: expected at least 1 row and 1 column, got [${n}, ${d}]`);
  const data = features.dataSync() as Float32Array;
  assertFinite(data, name);
  if (labels !== undefined) {
    if (labels.length !== n)
      throw new LabError(
        'SHAPE_MISMATCH',
        `labels: expected ${n} labels (one per row of ${name}), got ${labels.length}`,
      );
    for (let i = 0; i < n; i++)
      if (!Number.isInteger(labels[i]) || labels[i]! < 0)
        throw new LabError(
          'INVALID_ARGUMENT',
          `labels: expected non-negative integers, got ${labels[i]} at index ${i}`,
        );
  }
  return { data, n, d };
}

/** Rows L2-normalised over the columns `keep` (eps 1e-12): `[n, |keep|]` row-major float64. */
function normalizedRows({ data, n, d }: HostFeatures, keep: number[]): Float64Array {
  const out = new Float64Array(n * keep.length);
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (const j of keep) sq += data[i * d + j]! ** 2;
    const norm = Math.max(Math.sqrt(sq), 1e-12);
    keep.forEach((j, c) => (out[i * keep.length + c] = data[i * d + j]! / norm));
  }
  return out;
}

/** Per kept dim: the label distribution of its active samples (`|f| > 1e-5` after row normalisation). */
function activeLabelShares(
  f: HostFeatures,
  labels: ArrayLike<number>,
  keepColumn: (column: number) => boolean,
): number[][] {
  const keep = Array.from({ length: f.d }, (_, j) => j).filter(keepColumn);
  const rows = normalizedRows(f, keep);
  const shares: number[][] = [];
  keep.forEach((_, c) => {
    const counts = new Map<number, number>();
    let total = 0;
    for (let i = 0; i < f.n; i++) {
      if (Math.abs(rows[i * keep.length + c]!) > 1e-5) {
        counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
        total++;
      }
    }
    if (total > 0) shares.push([...counts.values()].map((v) => v / total));
  });
  return shares;
}

function columnSums({ data, n, d }: HostFeatures, map: (v: number) => number): Float64Array {
  const sums = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sums[j]! += map(data[i * d + j]!);
  return sums;
}

/**
 * Semantic consistency, training form (`log_stats`): keep dims with `Σ_i |F_id| > 0`, L2-normalise the rows;
 * per dim, the share of the most frequent label among samples with `|F_id| > 1e-5`; mean over dims that have
 * an active sample. 1 means every dim fires for one class only; a dense code scores the largest class share.
 * @param features `[n, d]`. @param labels `[n]`. @returns the mean and the per-dim shares.
 */
export function semanticConsistency(
  features: tf.Tensor2D,
  labels: ArrayLike<number>,
): { mean: number; perDim: Float32Array } {
  const f = hostFeatures(features, labels);
  const sums = columnSums(f, Math.abs);
  const perDim = activeLabelShares(f, labels, (j) => sums[j]! > 0).map((p) => Math.max(...p));
  if (perDim.length === 0) throw new LabError('EMPTY_INPUT', 'features: every column is zero, no dim to score');
  return { mean: perDim.reduce((a, b) => a + b, 0) / perDim.length, perDim: Float32Array.from(perDim) };
}

/**
 * Class consistency, evaluation form (PKU-ML/non_neg `main_eval.py`): as {@link semanticConsistency} but keeps
 * dims with `Σ_i relu(F_id) > 0`; per dim the top-label share in % and the label entropy `−Σ p log(p + 1e-5)`.
 */
export function classConsistencyEval(
  features: tf.Tensor2D,
  labels: ArrayLike<number>,
): { accPct: Float32Array; entropy: Float32Array } {
  const f = hostFeatures(features, labels);
  const sums = columnSums(f, (v) => Math.max(v, 0));
  const shares = activeLabelShares(f, labels, (j) => sums[j]! > 0);
  return {
    accPct: Float32Array.from(shares, (p) => 100 * Math.max(...p)),
    entropy: Float32Array.from(shares, (p) => -p.reduce((s, q) => s + q * Math.log(q + 1e-5), 0)),
  };
}

/** Sparsity, training form (`log_stats`): `1 − mean(|z| > 1e-5)` over all entries of `[n, d]`. */
export function sparsity(features: tf.Tensor2D): number {
  const { data } = hostFeatures(features);
  let active = 0;
  for (const v of data) if (Math.abs(v) > 1e-5) active++;
  return 1 - active / data.length;
}

/** Sparsity, evaluation form (non_neg `main_eval.py`): per sample, the % of entries with `|f| < 1e-2` (un-normalised). @returns `[n]`. */
export function sparsityPerSample(features: tf.Tensor2D): Float32Array {
  const { data, n, d } = hostFeatures(features);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let small = 0;
    for (let j = 0; j < d; j++) if (Math.abs(data[i * d + j]!) < 1e-2) small++;
    out[i] = (100 * small) / d;
  }
  return out;
}

/** Number of dims with `mean_i |F_id| > 0` (dims that ever fire). */
export function activeDims(features: tf.Tensor2D): number {
  const sums = columnSums(hostFeatures(features), Math.abs);
  return sums.filter((s) => s > 0).length;
}

/** `FᵀF` of the columns `keep` in float64, optionally with unit-norm columns. @returns `[k, k]` row-major. */
function gram({ data, n, d }: HostFeatures, keep: number[], unitColumns: boolean): Float64Array {
  const k = keep.length;
  const g = new Float64Array(k * k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    keep.forEach((j, c) => (row[c] = data[i * d + j]!));
    for (let a = 0; a < k; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < k; b++) g[a * k + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) g[a * k + b] = g[b * k + a]!;
  if (unitColumns) {
    const norms = Array.from({ length: k }, (_, a) => Math.max(Math.sqrt(g[a * k + a]!), 1e-12));
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) g[a * k + b]! /= norms[a]! * norms[b]!;
  }
  return g;
}

/**
 * Effective rank `−Σ p log(p + 1e-6)` with `p = s/Σs` over the singular values of `[n, d]`. tfjs has no SVD:
 * the singular values are the square roots of the eigenvalues of the `d×d` Gram matrix (core's Jacobi solver).
 */
export function effectiveRank(features: tf.Tensor2D): number {
  const f = hostFeatures(features);
  const all = Array.from({ length: f.d }, (_, j) => j);
  const s = Array.from(symmetricEigenvalues(gram(f, all, false), f.d), (l) => Math.sqrt(Math.max(l, 0)));
  const total = s.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  return -s.reduce((acc, v) => acc + (v / total) * Math.log(v / total + 1e-6), 0);
}

/** Orthogonality (`log_stats`): keep active dims, unit-norm columns, `mean |FᵀF − I|` (0 = orthogonal dims). */
export function orthogonality(features: tf.Tensor2D): number {
  const f = hostFeatures(features);
  const sums = columnSums(f, Math.abs);
  const keep = Array.from({ length: f.d }, (_, j) => j).filter((j) => sums[j]! > 0);
  if (keep.length === 0) return 0;
  const g = gram(f, keep, true);
  const k = keep.length;
  let total = 0;
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) total += Math.abs(g[a * k + b]! - (a === b ? 1 : 0));
  return total / (k * k);
}

/** The statistics of {@link monosemanticityMetrics}. */
export interface MonoMetrics {
  semanticConsistency: number;
  sparsity: number;
  activeDims: number;
  effectiveRank: number;
  orthogonality: number;
}

/**
 * All training-form statistics of a feature matrix, as `log_stats` reports them. With `rowNormalize` (default
 * true, as the training loop calls them on row-normalised z) sparsity, effective rank and orthogonality are
 * computed on `normalize(F)`; semantic consistency always normalises itself.
 * @param features `[n, d]`. @param labels `[n]`.
 */
export function monosemanticityMetrics(
  features: tf.Tensor2D,
  labels: ArrayLike<number>,
  opts: { rowNormalize?: boolean } = {},
): MonoMetrics {
  const { rowNormalize } = strictOptions(opts, { rowNormalize: true }, 'monosemanticityMetrics options');
  hostFeatures(features, labels);
  const z = rowNormalize ? l2Normalize(features) : features;
  try {
    return {
      semanticConsistency: semanticConsistency(features, labels).mean,
      sparsity: sparsity(z),
      activeDims: activeDims(features),
      effectiveRank: effectiveRank(z),
      orthogonality: orthogonality(z),
    };
  } finally {
    if (z !== features) z.dispose();
  }
}

// ── 4. Superposition toy (Elhage et al. 2022; the paper's Sec. 4 analysis) ──────────────────

/**
 * Toy model of superposition: `h = x Wᵀ`, `x̂ = relu(h W + b)`, importance-weighted MSE
 * `mean_b Σ_i I_i (x_i − x̂_i)²`. Only the maths: the package ships no toy replication (spec §2.8).
 * @param x `[B, n]` sparse non-negative features. @param W `[m, n]`. @param b `[n]`. @param importance `[n]`.
 */
export function superpositionToy(
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  b: tf.Tensor1D,
  importance: tf.Tensor1D,
): { h: tf.Tensor2D; xHat: tf.Tensor2D; loss: tf.Scalar } {
  assertRank(x, 2, 'x');
  assertRank(W, 2, 'W');
  const n = x.shape[1];
  if (W.shape[1] !== n)
    throw new LabError('SHAPE_MISMATCH', `W: expected shape [m, ${n}], got [${W.shape.join(', ')}]`);
  for (const [t, name] of [
    [b, 'b'],
    [importance, 'importance'],
  ] as const)
    if (t.rank !== 1 || t.shape[0] !== n)
      throw new LabError('SHAPE_MISMATCH', `${name}: expected shape [${n}], got [${t.shape.join(', ')}]`);
  assertInRange(n, 'x columns', { min: 1 });
  return tf.tidy(() => {
    const h = tf.matMul(x, W, false, true) as tf.Tensor2D; // [B, m]
    const xHat = tf.relu(tf.add(tf.matMul(h, W), b)) as tf.Tensor2D; // [B, n]
    const loss = tf.mean(tf.sum(tf.mul(importance, tf.square(tf.sub(x, xHat))), 1)) as tf.Scalar;
    return { h, xHat, loss };
  });
}
