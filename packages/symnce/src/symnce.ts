import {
  LabError,
  assertInRange,
  cosineSimilarityMatrix,
  flattenViews,
  l2Normalize,
  meanOverPositives,
  offDiagonalLogSoftmax,
  strictOptions,
  tf,
  validateContrastiveFeatures,
} from '@lab/core';
import {
  LINEAR_MIN_TEMPERATURE,
  defaultContrastiveOptions,
  defaultRinceOptions,
  defaultSymNceOptions,
  lossChecks,
  type ContrastiveOptions,
  type RevForm,
  type RinceOptions,
  type SymNceOptions,
} from './config.js';

/*
 * Robust supervised contrastive losses (Cui, Zhang, Liu, Wang, arXiv:2501.01130, 2025).
 *
 * Layout (shared with @lab/core's ntXentLoss): features are `[N, D]` with labels `[N]`, or `[B, V, D]`
 * with labels `[B]`, flattened **view-major** (rows 0..B−1 are view 1, B..2B−1 view 2, …; SupContrast's
 * `cat(unbind(features, 1), 0)`), so labels are repeated once per view. Features are raw: every loss
 * L2-normalises them, `s_ij = z_i·z_j`. For anchor i: A(i) = {a ≠ i}, P(i) = {p ∈ A(i): ỹ_p = ỹ_i}
 * (includes the other views of i), N(i) = A(i) \ P(i).
 */

/** Labels accepted by the losses: an int32 (or integer-valued float32) tensor, an Int32Array or a number array. */
export type LabelsInput = tf.Tensor1D | Int32Array | readonly number[];

/** A validated batch: the flattened rows and the constant positive/negative masks with their row counts. */
interface PreparedBatch {
  rows: tf.Tensor2D; // [N, D] view-major
  positives: tf.Tensor2D; // [N, N] 0/1, zero diagonal
  negatives: tf.Tensor2D; // [N, N] 0/1 = A(i) \ P(i)
  numPositives: tf.Tensor1D; // [N]
  numNegatives: tf.Tensor1D; // [N]
}

/** Reads and checks labels (integers ≥ 0, one per item), then repeats them once per view (view-major). */
export function rowLabels(features: tf.Tensor, labels: LabelsInput, name = 'labels'): Int32Array {
  let values: ArrayLike<number>;
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1)
      throw new LabError('SHAPE_MISMATCH', `${name}: expected a 1-D tensor, got shape [${labels.shape.join(', ')}]`);
    if (labels.dtype !== 'int32' && labels.dtype !== 'float32') {
      throw new LabError('DTYPE_MISMATCH', `${name}: expected dtype int32, got ${labels.dtype}`);
    }
    values = labels.dataSync();
  } else if (labels instanceof Int32Array || Array.isArray(labels)) {
    values = labels as ArrayLike<number>;
  } else {
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: expected a 1-D int32 tensor, Int32Array or number[], got ${typeof labels}`,
    );
  }
  const items = features.shape[0]!;
  const views = features.rank === 3 ? features.shape[1]! : 1;
  const layout =
    features.rank === 3
      ? `[B, V, D] = [${features.shape.join(', ')}] needs B`
      : `[N, D] = [${features.shape.join(', ')}] needs N`;
  if (values.length !== items) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected ${items} labels (features ${layout} labels), got ${values.length}`,
    );
  }
  const out = new Int32Array(items * views);
  for (let b = 0; b < items; b++) {
    const y = values[b]!;
    if (!Number.isInteger(y) || y < 0) {
      throw new LabError('INVALID_ARGUMENT', `${name}: expected non-negative integers, got ${y} at index ${b}`);
    }
    for (let v = 0; v < views; v++) out[v * items + b] = y;
  }
  return out;
}

// The losses' defaults with every optional key present, so that strictOptions knows them all.
const contrastiveKeys = { ...defaultContrastiveOptions, positiveMask: undefined };
const symNceKeys = { ...defaultSymNceOptions, positiveMask: undefined };
const rinceKeys = { ...defaultRinceOptions, positiveMask: undefined };

/** Refuses a `'linear'` reverse term at a τ whose scale e^{1/τ} overflows float32 (the loss would be Inf/NaN). */
function checkLinearTemperature(form: RevForm, temperature: number): void {
  if (form === 'linear' && temperature < LINEAR_MIN_TEMPERATURE)
    throw new LabError(
      'OUT_OF_RANGE',
      `temperature: expected a number >= ${LINEAR_MIN_TEMPERATURE} with revForm 'linear' (its scale e^(1/τ) overflows float32 below), got ${temperature}`,
    );
}

/** Validates inputs and builds the constant masks; call inside a tf.tidy. */
function prepare(features: tf.Tensor, labels: LabelsInput, options: ContrastiveOptions): PreparedBatch {
  validateContrastiveFeatures(features, 'features');
  const y = rowLabels(features, labels);
  const n = y.length;
  const rows = flattenViews(features); // [N, D]
  let batch: Omit<PreparedBatch, 'rows'>;
  if (options.positiveMask !== undefined) {
    const mask = options.positiveMask;
    if (!(mask instanceof tf.Tensor) || mask.rank !== 2 || mask.shape[0] !== n || mask.shape[1] !== n) {
      const got = mask instanceof tf.Tensor ? `shape [${mask.shape.join(', ')}]` : typeof mask;
      throw new LabError(
        'SHAPE_MISMATCH',
        `positiveMask: expected a [${n}, ${n}] 0/1 tensor (one row per flattened feature row), got ${got}`,
      );
    }
    const notSelf = tf.sub(1, tf.eye(n)) as tf.Tensor2D; // [N, N]
    const positives = tf.mul(tf.cast(tf.greater(mask, 0.5), 'float32'), notSelf) as tf.Tensor2D; // [N, N]
    const negatives = tf.sub(notSelf, positives) as tf.Tensor2D; // [N, N] = A(i) \ P(i)
    batch = {
      positives,
      negatives,
      numPositives: tf.sum(positives, 1) as tf.Tensor1D,
      numNegatives: tf.sum(negatives, 1) as tf.Tensor1D,
    };
  } else {
    // Label masks are constants: build them on the host (no tensor ops, nothing on the tape).
    const pos = new Float32Array(n * n);
    const neg = new Float32Array(n * n);
    const numPos = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        if (y[j] === y[i]) pos[i * n + j] = 1;
        else neg[i * n + j] = 1;
      }
      for (let j = 0; j < n; j++) numPos[i]! += pos[i * n + j]!;
    }
    batch = {
      positives: tf.tensor2d(pos, [n, n]),
      negatives: tf.tensor2d(neg, [n, n]),
      numPositives: tf.tensor1d(numPos),
      numNegatives: tf.tensor1d(numPos.map((p) => n - 1 - p)),
    };
  }
  if (options.onNoPositive === 'throw') {
    const counts = batch.numPositives.dataSync();
    const i = counts.findIndex((c) => c === 0);
    if (i >= 0) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `labels: expected every anchor to have a positive (onNoPositive: 'throw'), row ${i} (label ${y[i]}) has none`,
      );
    }
  }
  return { rows, ...batch };
}

/** Mean of `perAnchor` over anchors where `valid` is 1; 0 (with zero gradient) when no anchor is valid. */
function meanOverValid(perAnchor: tf.Tensor1D, valid: tf.Tensor1D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(perAnchor, valid)), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
}

/** Unmasked logits `s_ij/τ` and the row log-softmax over A(i) (computed once, shared by every term). */
interface BatchLogits {
  logits: tf.Tensor2D; // [N, N] s/τ, diagonal NOT masked (the masks exclude it)
  logProb: tf.Tensor2D; // [N, N] log softmax_{a∈A(i)}(s_i·/τ), ≈ −1e9 on the diagonal
}

function batchLogits(batch: PreparedBatch, temperature: number): BatchLogits {
  const logits = tf.div(cosineSimilarityMatrix(batch.rows), temperature) as tf.Tensor2D; // [N, N]
  return { logits, logProb: offDiagonalLogSoftmax(logits) };
}

/** SupCon L_out: (τ/τ_base) · mean over all N anchors of −(1/|P(i)|) Σ_p log softmax_{A(i)}(s_i·/τ)[p]. */
function supConTerm(batch: PreparedBatch, l: BatchLogits, o: ContrastiveOptions): tf.Scalar {
  const scale = o.baseTemperature === undefined ? 1 : o.temperature / o.baseTemperature;
  return tf.mul(tf.neg(tf.mean(meanOverPositives(l.logProb, batch.positives))), scale) as tf.Scalar;
}

let warnedLinearTemperature = false;

/** RevNCE on a prepared batch (spec §2.3, batch versions). */
function revNceTerm(batch: PreparedBatch, l: BatchLogits, temperature: number, form: RevForm): tf.Scalar {
  const { positives, negatives, numPositives, numNegatives } = batch;
  const hasPositive = tf.cast(tf.greater(numPositives, 0), 'float32') as tf.Tensor1D; // [N]
  if (form === 'mae') {
    // r_i = 1 − (1/|P(i)|) Σ_{p∈P(i)} softmax_{a∈A(i)}(s_ia/τ)[p]: bounded in [0, 1].
    const prob = tf.exp(l.logProb) as tf.Tensor2D; // [N, N], zero on the diagonal
    return meanOverValid(tf.sub(1, meanOverPositives(prob, positives)) as tf.Tensor1D, hasPositive);
  }
  if (form === 'mass') {
    // r_i = 1 − Σ_{p∈P(i)} softmax_{a∈A(i)}(s_ia/τ)[p]: the softmax mass on the negatives, in [0, 1].
    const prob = tf.exp(l.logProb) as tf.Tensor2D; // [N, N]
    return meanOverValid(tf.sub(1, tf.sum(tf.mul(prob, positives), 1)) as tf.Tensor1D, hasPositive);
  }
  // 'linear': r_i = −(1/|P(i)|) Σ_p e^{s_ip/τ} + (1/|N(i)|) Σ_n e^{s_in/τ}, computed as e^{1/τ} · e^{(s−1)/τ}
  // so float32 never overflows inside the sums (s ≤ 1); the magnitude still grows like e^{1/τ}.
  if (temperature < 0.2 && !warnedLinearTemperature) {
    warnedLinearTemperature = true;
    console.warn(
      `revForm 'linear' at temperature ${temperature} < 0.2: the loss scales like e^(1/τ) = ${Math.exp(1 / temperature).toExponential(2)}; float32 precision suffers (warned once)`,
    );
  }
  const shifted = tf.exp(tf.sub(l.logits, 1 / temperature)) as tf.Tensor2D; // [N, N] = e^{(s−1)/τ}
  const positiveMean = tf.div(tf.sum(tf.mul(shifted, positives), 1), tf.maximum(numPositives, 1)); // [N]
  const negativeMean = tf.div(tf.sum(tf.mul(shifted, negatives), 1), tf.maximum(numNegatives, 1)); // [N]
  const perAnchor = tf.mul(tf.sub(negativeMean, positiveMean), Math.exp(1 / temperature)) as tf.Tensor1D; // [N]
  const valid = tf.mul(hasPositive, tf.cast(tf.greater(numNegatives, 0), 'float32')) as tf.Tensor1D; // [N]
  return meanOverValid(perAnchor, valid);
}

/**
 * Supervised contrastive loss (SupCon "L_out", Khosla et al. 2020, Eq. 2; the InfoNCE term of SymNCE):
 * `ℓ_i = −(τ/τ_base)·(1/|P(i)|) Σ_{p∈P(i)} [s_ip/τ − log Σ_{a∈A(i)} e^{s_ia/τ}]`, the mean over **all**
 * N anchors; an anchor without positives contributes 0 and still counts (SupContrast, issue #20).
 *
 * @param features `[N, D]` or `[B, V, D]` float32 raw features (L2-normalised inside).
 * @param labels `[N]` (or `[B]` for `[B, V, D]`) non-negative integer labels; equal labels are positives.
 * @param options τ (default 0.1), `baseTemperature` (default τ: no rescaling; SupContrast uses 0.07),
 *   `positiveMask`, `onNoPositive`.
 * @returns scalar, differentiable w.r.t. `features`.
 */
export function supConLoss(
  features: tf.Tensor,
  labels: LabelsInput,
  options: Partial<ContrastiveOptions> = {},
): tf.Scalar {
  const o = strictOptions<ContrastiveOptions>(options, contrastiveKeys, 'supConLoss options', lossChecks);
  return tf.tidy(() => {
    const batch = prepare(features, labels, o);
    return supConTerm(batch, batchLogits(batch, o.temperature), o);
  });
}

/**
 * Reverse InfoNCE (RevNCE) — **reconstructed** (spec §2.3; the paper's Eqs. 17–18 could not be read).
 * - `'mae'` (default): `r_i = 1 − (1/|P(i)|) Σ_{p∈P(i)} softmax_{A(i)}(s_i·/τ)[p]`, mean over anchors with |P(i)| > 0.
 * - `'mass'`: `r_i = 1 − Σ_{p∈P(i)} softmax_{A(i)}(s_i·/τ)[p]` (the softmax mass off the positives), same anchors.
 * - `'linear'`: `r_i = −(1/|P(i)|) Σ_p e^{s_ip/τ} + (1/|N(i)|) Σ_n e^{s_in/τ}`, mean over anchors with
 *   |P(i)| > 0 and |N(i)| > 0 (warns once when τ < 0.2: it scales like e^{1/τ}).
 * Returns 0 (zero gradient) when no anchor is valid.
 *
 * @param features `[N, D]` or `[B, V, D]` raw features. @param labels `[N]` or `[B]`.
 * @returns scalar, differentiable w.r.t. `features`.
 */
export function revNceLoss(features: tf.Tensor, labels: LabelsInput, options: Partial<SymNceOptions> = {}): tf.Scalar {
  const o = strictOptions<SymNceOptions>(options, symNceKeys, 'revNceLoss options', lossChecks);
  checkLinearTemperature(o.revForm, o.temperature);
  return tf.tidy(() => {
    const batch = prepare(features, labels, o);
    return revNceTerm(batch, batchLogits(batch, o.temperature), o.temperature, o.revForm);
  });
}

/**
 * SymNCE = SupCon(τ) + β · RevNCE(τ), the same τ in both terms (paper's "SymNCE", spec §2.4). The
 * SupCon-only warm-up of the paper is a training schedule: see `trainContrastive({ warmupEpochs })`.
 *
 * @param features `[N, D]` or `[B, V, D]` raw features. @param labels `[N]` or `[B]`.
 * @param options τ (0.1), β (1.0; must be ≥ 0), `revForm` (`'mae'`), `baseTemperature` (rescales the SupCon term only).
 * @returns scalar, differentiable w.r.t. `features`.
 */
export function symNceLoss(features: tf.Tensor, labels: LabelsInput, options: Partial<SymNceOptions> = {}): tf.Scalar {
  const o = strictOptions<SymNceOptions>(options, symNceKeys, 'symNceLoss options', lossChecks);
  if (o.beta > 0) checkLinearTemperature(o.revForm, o.temperature);
  return tf.tidy(() => {
    const batch = prepare(features, labels, o);
    const l = batchLogits(batch, o.temperature); // shared by both terms
    const supcon = supConTerm(batch, l, o);
    if (o.beta === 0) return supcon;
    return tf.add(supcon, tf.mul(revNceTerm(batch, l, o.temperature, o.revForm), o.beta)) as tf.Scalar;
  });
}

/**
 * RINCE (Chuang et al., "Robust Contrastive Learning against Noisy Views", CVPR 2022), in the batch
 * SupCon setting: for anchor i and positive p, with `pos = e^{s_ip/τ}` and `neg = Σ_{n∈N(i)} e^{s_in/τ}`,
 * `ℓ_ip = −pos^q/q + (λ(pos + neg))^q/q`; mean over P(i), then over anchors with |P(i)| > 0 and
 * |N(i)| > 0. Evaluated in the log domain. q → 0 recovers InfoNCE; q = 1, λ = 1/(|N(i)|+1) gives
 * `|N|/(|N|+1)` times the linear RevNCE.
 *
 * @param options τ (0.1), q (0.1), λ (0.01).
 */
export function rinceLoss(features: tf.Tensor, labels: LabelsInput, options: Partial<RinceOptions> = {}): tf.Scalar {
  const o = strictOptions<RinceOptions>(options, rinceKeys, 'rinceLoss options', lossChecks);
  // Its scale is e^{q/τ} (q = 1 is the linear form): the same float32 bound as the linear reverse term.
  if (o.q / o.temperature > 1 / LINEAR_MIN_TEMPERATURE + 1e-9)
    throw new LabError(
      'OUT_OF_RANGE',
      `temperature: expected a number >= q/80 = ${Number((o.q * LINEAR_MIN_TEMPERATURE).toPrecision(6))} for RINCE with q = ${o.q} (its scale e^(q/τ) overflows float32 below), got ${o.temperature}`,
    );
  return tf.tidy(() => {
    const batch = prepare(features, labels, o);
    const logits = tf.div(cosineSimilarityMatrix(batch.rows), o.temperature) as tf.Tensor2D; // [N, N] a_ij = s_ij/τ
    // log Σ_{n∈N(i)} e^{a_in}: non-negatives get −1e9 (never −Inf, which would poison the gradient).
    const negLogits = tf.where(tf.greater(batch.negatives, 0.5), logits, tf.fill(logits.shape, -1e9)); // [N, N]
    // tiled to [N, N] explicitly: tfjs's Maximum gradient does not reduce a broadcast input
    const logNeg = tf.tile(tf.logSumExp(negLogits, 1, true), [1, logits.shape[1]]); // [N, N]
    // log(pos + neg) = logaddexp(a_ip, logNeg_i), stable.
    const m = tf.maximum(logits, logNeg); // [N, N]
    const logTotal = tf.add(m, tf.log(tf.add(tf.exp(tf.sub(logits, m)), tf.exp(tf.sub(logNeg, m))))); // [N, N]
    const pairLoss = tf.div(
      tf.sub(tf.exp(tf.mul(tf.add(logTotal, Math.log(o.lambda)), o.q)), tf.exp(tf.mul(logits, o.q))),
      o.q,
    ); // [N, N] ℓ_ip for every (i, j); only positives are kept below
    const perAnchor = tf.div(
      tf.sum(tf.mul(pairLoss, batch.positives), 1),
      tf.maximum(batch.numPositives, 1),
    ) as tf.Tensor1D; // [N]
    const valid = tf.mul(
      tf.cast(tf.greater(batch.numPositives, 0), 'float32'),
      tf.cast(tf.greater(batch.numNegatives, 0), 'float32'),
    ) as tf.Tensor1D;
    return meanOverValid(perAnchor, valid);
  });
}

/**
 * The three losses in the pairwise paradigm of the paper's theory (one anchor, one positive, M negatives):
 * InfoNCE `−log e^{s⁺/τ}/(e^{s⁺/τ} + Σ e^{s⁻_i/τ})`, RevNCE-linear `−e^{s⁺/τ} + (1/M) Σ e^{s⁻_i/τ}` and
 * RevNCE-mae `1 − e^{s⁺/τ}/(e^{s⁺/τ} + Σ e^{s⁻_i/τ})`. Inputs are raw (normalised inside).
 * @param anchor `[D]`. @param positive `[D]`. @param negatives `[M, D]`.
 */
export function pairwiseLosses(
  anchor: tf.Tensor1D,
  positive: tf.Tensor1D,
  negatives: tf.Tensor2D,
  temperature: number,
): { infoNce: tf.Scalar; revNceLinear: tf.Scalar; revNceMae: tf.Scalar } {
  assertInRange(temperature, 'temperature', { min: 0, minExclusive: true });
  if (anchor.rank !== 1 || positive.rank !== 1 || negatives.rank !== 2) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `anchor, positive, negatives: expected [D], [D], [M, D], got [${anchor.shape}], [${positive.shape}], [${negatives.shape}]`,
    );
  }
  const d = anchor.shape[0];
  if (positive.shape[0] !== d || negatives.shape[1] !== d || negatives.shape[0] < 1) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `negatives: expected [M >= 1, ${d}] and positive [${d}], got [${negatives.shape}] and [${positive.shape}]`,
    );
  }
  return tf.tidy(() => {
    const all = l2Normalize(tf.concat([anchor.reshape([1, d]), positive.reshape([1, d]), negatives]) as tf.Tensor2D); // [M+2, D]
    const a = all.slice([0, 0], [1, d]); // [1, D]
    const scores = tf.div(tf.matMul(all.slice([1, 0], [-1, d]), a, false, true).reshape([-1]), temperature); // [M+1]: s⁺, s⁻_1..M
    const positiveLogit = scores.slice([0], [1]).reshape([]); // scalar s⁺/τ
    const logPartition = tf.logSumExp(scores); // scalar
    const logProb = tf.sub(positiveLogit, logPartition);
    const shifted = tf.exp(tf.sub(scores, 1 / temperature)); // e^{(s−1)/τ}: no overflow
    const negMean = tf.mean(shifted.slice([1], [-1]));
    const linear = tf.mul(tf.sub(negMean, shifted.slice([0], [1]).reshape([])), Math.exp(1 / temperature));
    return {
      infoNce: tf.neg(logProb) as tf.Scalar,
      revNceLinear: linear as tf.Scalar,
      revNceMae: tf.sub(1, tf.exp(logProb)) as tf.Scalar,
    };
  });
}

/**
 * InfoNCE-NN positive filter (paper §5): keeps a label positive p of anchor i only when it is also a
 * near neighbour — `s_ip ≥ threshold` (threshold mode) or p among the k most similar rows of A(i) (kNN
 * mode). The result plugs into `supConLoss(..., { positiveMask })`. No gradient (computed on the host).
 * The paper's robustness result needs a threshold that does not depend on the encoder.
 *
 * @param features `[N, D]` raw features (view-major rows). @param labels `[N]`.
 * @returns `[N, N]` float32 0/1 mask with a zero diagonal.
 */
export function nnPositiveMask(
  features: tf.Tensor2D,
  labels: LabelsInput,
  opts: { threshold?: number; k?: number },
): tf.Tensor2D {
  // Unknown keys, non-numbers and thresholds outside [−1, 1] are refused here; k's bound needs N (below).
  const { threshold, k } = strictOptions<{ threshold?: number; k?: number }>(
    opts,
    { threshold: undefined, k: undefined },
    'nnPositiveMask options',
    { threshold: { min: -1, max: 1 } },
  );
  if ((threshold === undefined) === (k === undefined)) {
    throw new LabError('INVALID_ARGUMENT', `opts: expected exactly one of threshold or k, got ${JSON.stringify(opts)}`);
  }
  if (features.rank !== 2)
    throw new LabError(
      'SHAPE_MISMATCH',
      `features: expected a 2-D [N, D] tensor, got shape [${features.shape.join(', ')}]`,
    );
  validateContrastiveFeatures(features, 'features');
  const y = rowLabels(features, labels);
  const n = y.length;
  if (k !== undefined) assertInRange(k, 'k', { min: 1, max: n - 1, integer: true });
  const s = tf.tidy(() => cosineSimilarityMatrix(features).dataSync() as Float32Array);
  const mask = new Float32Array(n * n);
  const order = Array.from({ length: n }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    let near: Set<number> | null = null;
    if (k !== undefined) {
      const ranked = order.filter((j) => j !== i).sort((p, q) => s[i * n + q]! - s[i * n + p]! || p - q);
      near = new Set(ranked.slice(0, k));
    }
    for (let j = 0; j < n; j++) {
      if (j === i || y[j] !== y[i]) continue;
      const keep = near ? near.has(j) : s[i * n + j]! >= threshold!;
      if (keep) mask[i * n + j] = 1;
    }
  }
  return tf.tensor2d(mask, [n, n], 'float32');
}

/**
 * Pair statistics of symmetric label noise with C balanced classes (spec §2.5):
 * `q⁺ = P(same true class | same observed label) = (1−η)² + η²/(C−1)` and `q⁻ = (1 − q⁺)/(C−1)`.
 * A loss linear in its pair terms keeps its minimiser whenever q⁺ > q⁻ (every η < (C−1)/C).
 */
export function pairStats(numClasses: number, rate: number): { qPlus: number; qMinus: number } {
  assertInRange(numClasses, 'numClasses', { min: 2, integer: true });
  assertInRange(rate, 'rate', { min: 0, max: 1 });
  const qPlus = (1 - rate) ** 2 + rate ** 2 / (numClasses - 1);
  return { qPlus, qMinus: (1 - qPlus) / (numClasses - 1) };
}
