import * as tf from '@tensorflow/tfjs';
import { LabError, assertInRange } from '../errors.js';

/**
 * Shared pieces of in-batch contrastive losses (SimCLR NT-Xent, SupCon and their variants).
 *
 * Batch layout (one convention for every `@lab` contrastive package): a batch of B items in V views is
 * either a rank-3 tensor `[B, V, D]`, or a rank-2 tensor `[V·B, D]` stacked **view-major** — rows
 * `0..B−1` are view 1 of items 0..B−1, rows `B..2B−1` are view 2, and so on. This is SupContrast's
 * `torch.cat(torch.unbind(features, dim=1), dim=0)`, so for two views the positive of row i is row
 * `(i + B) mod 2B`. A rank-3 input is flattened to that layout with {@link flattenViews}.
 *
 * Every loss L2-normalises raw features inside (`z = u / max(‖u‖, 1e-12)`), takes cosine
 * similarities `s_ij = z_i·z_j`, logits `s_ij / τ`, and excludes the anchor itself from the partition
 * sum by setting the diagonal to −1e9 (never −Infinity: `−Inf · 0` would poison the gradient).
 */

/** Options of {@link ntXentLoss}. */
export interface NtXentOptions {
  /** Softmax temperature τ > 0. SimCLR's CIFAR recipe (Chen et al. 2020, SupContrast `main_supcon.py --method SimCLR`) uses 0.5. */
  temperature: number;
}

/** Defaults of {@link ntXentLoss}: τ = 0.5 (SimCLR CIFAR recipe). */
export const defaultNtXentOptions: Readonly<NtXentOptions> = Object.freeze({ temperature: 0.5 });

/** Value written on the diagonal of a logit matrix: exp(−1e9 − max) is exactly 0 in float32. */
export const MASKED_LOGIT = -1e9;

/** Denominator clamp of the L2 normalisation (SupContrast / `torch.nn.functional.normalize`). */
export const NORMALIZE_EPS = 1e-12;

/**
 * Checks a contrastive feature tensor: float32, rank 2 (`[N, D]`) or 3 (`[B, V, D]`), at least two
 * rows, finite values. Rows of zero norm are allowed (normalised with eps 1e-12, as the reference
 * does) but produce a one-time warning, since they carry no direction.
 * @throws LabError naming `name` on any violation.
 */
export function validateContrastiveFeatures(features: tf.Tensor, name = 'features'): void {
  if (!(features instanceof tf.Tensor)) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: expected a tf.Tensor of shape [N, D] or [B, V, D], got ${describe(features)}`,
    );
  }
  if (features.rank !== 2 && features.rank !== 3) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected a 2-D [N, D] or 3-D [B, V, D] tensor, got shape [${features.shape.join(', ')}]`,
    );
  }
  if (features.dtype !== 'float32') {
    throw new LabError('DTYPE_MISMATCH', `${name}: expected dtype float32, got ${features.dtype}`);
  }
  const rows = features.rank === 2 ? features.shape[0]! : features.shape[0]! * features.shape[1]!;
  const dim = features.shape[features.rank - 1]!;
  if (rows < 2 || dim < 1) {
    throw new LabError(
      'EMPTY_INPUT',
      `${name}: expected at least 2 rows of dimension >= 1, got shape [${features.shape.join(', ')}]`,
    );
  }
  const values = features.dataSync() as Float32Array;
  let zeroRows = 0;
  for (let r = 0; r < rows; r++) {
    let sumSq = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      const v = values[j]!;
      if (!Number.isFinite(v)) {
        throw new LabError(
          'NON_FINITE',
          `${name}: expected finite values, found ${v} at row ${r}, column ${j - r * dim}`,
        );
      }
      sumSq += v * v;
    }
    if (sumSq === 0) zeroRows++;
  }
  if (zeroRows > 0 && !warnedZeroRows) {
    warnedZeroRows = true;
    console.warn(
      `${name}: ${zeroRows} row(s) have zero norm; they are normalised with eps ${NORMALIZE_EPS} and act as the zero vector (warned once)`,
    );
  }
}
let warnedZeroRows = false;

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  return typeof x === 'object' ? (x.constructor?.name ?? 'object') : typeof x;
}

/**
 * Flattens `[B, V, D]` to `[V·B, D]` view-major (rows `v·B + b`); returns a `[N, D]` input unchanged
 * (as a new handle, so the caller may dispose the result either way).
 */
export function flattenViews(features: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    if (features.rank === 2) return features.clone() as tf.Tensor2D;
    if (features.rank !== 3) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `features: expected a 2-D [N, D] or 3-D [B, V, D] tensor, got shape [${features.shape.join(', ')}]`,
      );
    }
    const [b, v, d] = features.shape as [number, number, number];
    return tf.transpose(features, [1, 0, 2]).reshape([v * b, d]) as tf.Tensor2D; // [V·B, D]
  });
}

/**
 * Row-wise L2 normalisation `x / max(‖x‖, eps)` with a gradient that stays finite on zero rows
 * (the clamp is applied to the squared norm, so no `sqrt'(0)` appears).
 * @param x `[N, D]` raw features. @returns `[N, D]` unit rows (zero rows stay zero).
 */
export function l2Normalize(x: tf.Tensor2D, eps = NORMALIZE_EPS): tf.Tensor2D {
  return tf.tidy(() => {
    const sumSq = tf.sum(tf.square(x), 1, true); // [N, 1]
    const norm = tf.sqrt(tf.maximum(sumSq, eps * eps)); // [N, 1] = max(‖x‖, eps)
    return tf.div(x, norm) as tf.Tensor2D; // [N, D]
  });
}

/**
 * Cosine-similarity matrix `s_ij = z_i·z_j` of L2-normalised rows.
 * @param features `[N, D]` raw features. @returns `[N, N]`.
 */
export function cosineSimilarityMatrix(features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const z = l2Normalize(features); // [N, D]
    return tf.matMul(z, z, false, true) as tf.Tensor2D; // [N, N]
  });
}

/** Replaces the diagonal of a square `[N, N]` matrix by `fill` (default −1e9) with `where`, so the diagonal gets zero gradient. */
export function maskDiagonal(logits: tf.Tensor2D, fill = MASKED_LOGIT): tf.Tensor2D {
  return tf.tidy(() => {
    const n = logits.shape[0];
    if (logits.rank !== 2 || logits.shape[1] !== n) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `logits: expected a square [N, N] matrix, got shape [${logits.shape.join(', ')}]`,
      );
    }
    const eye = tf.cast(tf.eye(n), 'bool'); // [N, N]
    return tf.where(eye, tf.fill([n, n], fill), logits) as tf.Tensor2D; // [N, N]
  });
}

/**
 * Contrastive logit matrix `s_ij / τ` of L2-normalised rows with the diagonal masked to −1e9.
 * @param features `[N, D]` raw features (view-major). @returns `[N, N]`.
 */
export function contrastiveLogits(features: tf.Tensor2D, temperature: number): tf.Tensor2D {
  assertInRange(temperature, 'temperature', { min: 0, minExclusive: true });
  return tf.tidy(() => maskDiagonal(tf.div(cosineSimilarityMatrix(features), temperature) as tf.Tensor2D));
}

/**
 * Row-wise log-softmax over `a ≠ i` with the diagonal masked, and a closed-form gradient
 * `∂/∂L_ia = g_ia − π_ia Σ_j g_ij` (π = softmax, zero on the diagonal; the masked diagonal gets 0).
 * The closed form replaces about a dozen `[N, N]` autodiff ops of logSumExp's backward pass (its
 * max/equal bookkeeping dominated the loss's cost on WASM).
 */
const maskedLogSoftmax = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const logits = args[0] as tf.Tensor2D;
  const save = args[1] as tf.GradSaveFunc;
  const masked = maskDiagonal(logits); // [N, N]
  // tf.logSumExp subtracts the row maximum internally, so exp never overflows.
  const logProb = tf.sub(masked, tf.logSumExp(masked, 1, true)); // [N, N]
  save([logProb]);
  return {
    value: logProb,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const prob = tf.exp(saved[0]!); // [N, N] π, exactly 0 on the diagonal
      const grad = tf.sub(dy, tf.mul(prob, tf.sum(dy, 1, true))); // [N, N]
      return maskDiagonal(grad as tf.Tensor2D, 0);
    },
  };
});

/**
 * Row-wise log-softmax over `a ≠ i`: `log p_ia = L_ia − log Σ_{a≠i} exp L_ia`. The diagonal of the
 * input is masked first (so any square logit matrix, edited or not, may be passed); the diagonal of
 * the result is ≈ −1e9 and must be excluded by the caller's positive mask. Differentiable w.r.t.
 * `logits` through a closed-form gradient (zero on the diagonal).
 * @param logits `[N, N]`. @returns `[N, N]` log-probabilities.
 */
export function offDiagonalLogSoftmax(logits: tf.Tensor2D): tf.Tensor2D {
  const n = logits.shape[0];
  if (logits.rank !== 2 || logits.shape[1] !== n) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `logits: expected a square [N, N] matrix, got shape [${logits.shape.join(', ')}]`,
    );
  }
  return maskedLogSoftmax(logits) as tf.Tensor2D;
}

/**
 * Positive mask of multi-view instance discrimination: row i and row j are positives when they are
 * different views of the same item (view-major layout, `i mod B = j mod B`, i ≠ j).
 * @returns `[V·B, V·B]` float32 0/1.
 */
export function viewPositiveMask(numItems: number, numViews = 2): tf.Tensor2D {
  assertInRange(numItems, 'numItems', { min: 1, integer: true });
  assertInRange(numViews, 'numViews', { min: 1, integer: true });
  const n = numItems * numViews;
  return labelPositiveMask(Int32Array.from({ length: n }, (_, i) => i % numItems));
}

/**
 * Positive mask from labels: `P_ij = 1` when `labels[i] = labels[j]` and `i ≠ j`.
 * @param labels `[N]` integer labels (any integers; only equality matters). @returns `[N, N]` float32 0/1.
 */
export function labelPositiveMask(labels: ArrayLike<number>): tf.Tensor2D {
  const n = labels.length;
  const mask = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j && labels[i] === labels[j]) mask[i * n + j] = 1;
  }
  return tf.tensor2d(mask, [n, n], 'float32');
}

/**
 * Per-anchor mean of `values` over the anchor's positives: `(1/|P(i)|) Σ_{p∈P(i)} values_ip`, and 0
 * for an anchor without positives.
 * @param values `[N, N]`. @param positiveMask `[N, N]` float32 0/1. @returns `[N]`.
 */
export function meanOverPositives(values: tf.Tensor2D, positiveMask: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const numPositives = tf.sum(positiveMask, 1); // [N]
    return tf.div(tf.sum(tf.mul(values, positiveMask), 1), tf.maximum(numPositives, 1)) as tf.Tensor1D; // [N]
  });
}

/**
 * The contrastive cross-entropy shared by NT-Xent and SupCon ("L_out"):
 * `ℓ_i = −(1/|P(i)|) Σ_{p∈P(i)} log softmax_{a≠i}(L_i·)[p]`, averaged over **all** N anchors; an
 * anchor without positives contributes 0 and still counts in the mean (SupContrast after its issue #20).
 * @param logits `[N, N]` logits (diagonal is masked here). @param positiveMask `[N, N]` float32 0/1, zero diagonal.
 * @returns scalar.
 */
export function contrastiveCrossEntropy(logits: tf.Tensor2D, positiveMask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(meanOverPositives(offDiagonalLogSoftmax(logits), positiveMask))) as tf.Scalar);
}

/**
 * Normalised-temperature cross-entropy (NT-Xent) of SimCLR: each row's positives are the other views
 * of the same item; every other row of the batch is a negative.
 *
 * Chen, Kornblith, Norouzi, Hinton — "A Simple Framework for Contrastive Learning of Visual
 * Representations", ICML 2020 (arXiv:2002.05709), Eq. 1, averaged over all 2B anchors.
 *
 * @param features raw (un-normalised) projections, either `[2B, D]` stacked **view-major** (rows
 *   `0..B−1` view 1, rows `B..2B−1` view 2; the positive of row i is row `(i + B) mod 2B`), or
 *   `[B, V, D]` (V ≥ 2 views, flattened view-major; with V > 2 each anchor averages over its V − 1
 *   positives, as SupCon with instance labels).
 * @param options `{ temperature }` (default 0.5), or the temperature as a number.
 * @returns scalar loss, differentiable w.r.t. `features`.
 * @throws LabError on rank ≠ 2/3, an odd row count for `[N, D]`, fewer than 2 rows, non-finite values, τ ≤ 0.
 */
export function ntXentLoss(features: tf.Tensor, options: Partial<NtXentOptions> | number = {}): tf.Scalar {
  const { temperature } = {
    ...defaultNtXentOptions,
    ...(typeof options === 'number' ? { temperature: options } : options),
  };
  assertInRange(temperature, 'temperature', { min: 0, minExclusive: true });
  validateContrastiveFeatures(features);
  let numItems: number;
  let numViews: number;
  if (features.rank === 3) {
    [numItems, numViews] = features.shape as [number, number, number];
    if (numViews < 2)
      throw new LabError('SHAPE_MISMATCH', `features: expected at least 2 views in [B, V, D], got V = ${numViews}`);
  } else {
    const n = features.shape[0]!;
    if (n % 2 !== 0) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `features: expected an even number of rows [2B, D] (two views, view-major), got ${n}`,
      );
    }
    numItems = n / 2;
    numViews = 2;
  }
  return tf.tidy(() => {
    const rows = flattenViews(features); // [V·B, D]
    return contrastiveCrossEntropy(contrastiveLogits(rows, temperature), viewPositiveMask(numItems, numViews));
  });
}
