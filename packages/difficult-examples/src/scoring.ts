/**
 * Dataset-level removal of difficult examples (paper §2 motivating experiment, Table 10 protocol): a
 * supervised classifier scores every example by its softmax top-2 margin, and the lowest-margin fraction of
 * each class is removed before contrastive pre-training. Also the ω-mixing generator and the α/β/γ
 * estimator of the paper's causal check (Fig. 2, Table 10).
 */
import { Adam, LabError, MLP, Rng, assertFinite, assertInRange, assertRank, fit, strictOptions, tf } from '@lab/core';
import { defaultMixOptions, defaultOutOfFoldOptions, type MixOptions, type OutOfFoldOptions } from './config.js';

/** The most classes a scorer may have: a class id becomes a one-hot width and a logits column. */
export const MAX_CLASSES = 10_000;

/**
 * Softmax top-2 margin m(x) = p_top1 − p_top2 per row (float64 softmax, returned as float32).
 * @param logits [N, C] with C ≥ 2.
 */
export function top2Margin(logits: tf.Tensor2D): Float32Array {
  if (!(logits instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `logits: expected a tf.Tensor2D, got ${typeof logits}`);
  assertRank(logits, 2, 'logits');
  const [n, c] = logits.shape;
  if (n === 0) throw new LabError('EMPTY_INPUT', 'logits: expected at least 1 row, got 0');
  if (c < 2) throw new LabError('SHAPE_MISMATCH', `logits: expected at least 2 classes (columns), got ${c}`);
  const values = logits.dataSync();
  assertFinite(values, 'logits');
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, values[i * c + j]!);
    let total = 0;
    let first = -Infinity;
    let second = -Infinity;
    for (let j = 0; j < c; j++) {
      const e = Math.exp(values[i * c + j]! - max);
      total += e;
      if (e > first) {
        second = first;
        first = e;
      } else if (e > second) second = e;
    }
    out[i] = (first - second) / total;
  }
  return out;
}

/**
 * Indices (sorted ascending) removed when each class c with n_c members drops its ⌊frac·n_c + 0.5⌋ lowest-margin
 * members; ties go to the lower index (spec §2.4). The paper removes 8 % per class.
 * @param margins [N] scores (lower = more difficult). @param labels [N] class ids. @param frac ∈ [0, 1).
 */
export function lowestMarginPerClass(margins: ArrayLike<number>, labels: Int32Array, frac: number): Int32Array {
  assertInRange(frac, 'frac', { min: 0, max: 1, maxExclusive: true });
  if (!(labels instanceof Int32Array))
    throw new LabError(
      'DTYPE_MISMATCH',
      `labels: expected an Int32Array, got ${labels === null ? 'null' : typeof labels}`,
    );
  if (margins.length !== labels.length) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `margins: expected ${labels.length} values (one per label), got ${margins.length}`,
    );
  }
  if (labels.length === 0) throw new LabError('EMPTY_INPUT', 'labels: expected at least 1 example, got 0');
  assertFinite(margins, 'margins');
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => {
    const members = byClass.get(y) ?? [];
    members.push(i);
    byClass.set(y, members);
  });
  const removed: number[] = [];
  for (const members of byClass.values()) {
    const k = Math.floor(frac * members.length + 0.5);
    members.sort((a, b) => margins[a]! - margins[b]! || a - b);
    removed.push(...members.slice(0, k));
  }
  return Int32Array.from(removed.sort((a, b) => a - b));
}

/**
 * Supervised top-2 margins with out-of-fold predictions: a small MLP is trained on k − 1 folds and scores the
 * held-out fold, so no example is scored by a model that memorised it (the classifier is not specified by the
 * paper; spec §2.4). Leaves no tensors behind.
 * @param x [N, d] inputs. @param labels [N] class ids (mixed images keep their first image's label).
 * @returns [N] margins.
 */
export async function outOfFoldMargins(
  x: tf.Tensor2D,
  labels: Int32Array,
  opts: OutOfFoldOptions = {},
): Promise<Float32Array> {
  if (!(x instanceof tf.Tensor)) throw new LabError('INVALID_ARGUMENT', `x: expected a tf.Tensor2D, got ${typeof x}`);
  assertRank(x, 2, 'x');
  const [n, d] = x.shape;
  const o = strictOptions<OutOfFoldOptions>(opts, { ...defaultOutOfFoldOptions }, 'outOfFoldMargins options', {
    folds: { min: 2, max: Math.max(2, n), integer: true },
    hidden: { min: 1, integer: true },
    epochs: { min: 0, integer: true },
    batchSize: { min: 1, integer: true },
    lr: { min: 0, minExclusive: true },
    numClasses: { min: 2, max: MAX_CLASSES, integer: true },
  });
  const { folds, hidden, epochs, batchSize, lr, seed, onProgress } = o as Required<OutOfFoldOptions>;
  if (!(labels instanceof Int32Array)) throw new LabError('DTYPE_MISMATCH', 'labels: expected an Int32Array');
  if (labels.length !== n)
    throw new LabError('SHAPE_MISMATCH', `labels: expected ${n} labels (one per row of x), got ${labels.length}`);
  assertFinite(x, 'x');
  // Bounded before anything is allocated: the class count is a one-hot width and a logits column count.
  const inferred = o.numClasses === undefined;
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (y < 0) throw new LabError('OUT_OF_RANGE', `labels: expected ids >= 0, got ${y} at index ${i}`);
    if (!inferred && y >= o.numClasses!)
      throw new LabError('OUT_OF_RANGE', `labels: expected ids < numClasses = ${o.numClasses}, got ${y} at index ${i}`);
    if (inferred && y >= Math.min(n, MAX_CLASSES))
      throw new LabError(
        'OUT_OF_RANGE',
        `labels: class id ${y} at index ${i} would make ${y + 1} classes for ${n} examples; expected dense ids below ${Math.min(n, MAX_CLASSES)} (or pass numClasses)`,
      );
    maxLabel = Math.max(maxLabel, y);
  }
  const numClasses = o.numClasses ?? maxLabel + 1;
  if (numClasses < 2) throw new LabError('OUT_OF_RANGE', `labels: expected at least 2 classes, got ${numClasses}`);

  const rng = new Rng(seed);
  const order = rng.fork('folds').permutation(n);
  const logits = new Float32Array(n * numClasses);
  const stepsOfFold = (size: number) => epochs * Math.ceil(size / batchSize);
  let totalSteps = 0;
  for (let f = 0; f < folds; f++)
    totalSteps += stepsOfFold(n - (Math.floor(((f + 1) * n) / folds) - Math.floor((f * n) / folds)));
  let stepsBefore = 0;
  for (let f = 0; f < folds; f++) {
    const lo = Math.floor((f * n) / folds);
    const hi = Math.floor(((f + 1) * n) / folds);
    const heldOut = order.slice(lo, hi);
    const train = Int32Array.from([...order.slice(0, lo), ...order.slice(hi)]);
    const model = new MLP([d, hidden, numClasses], { rng: rng.fork(`init-${f}`) });
    const optimizer = new Adam(model, { lr });
    const batchRng = rng.fork(`batches-${f}`);
    try {
      if (epochs > 0) {
        const before = stepsBefore;
        await fit<Int32Array>({
          model,
          optimizer,
          epochs,
          progress: 'none',
          label: `margin scorer fold ${f + 1}/${folds}`,
          // One reshuffle of the training folds per epoch; the last batch may be smaller.
          *data() {
            const perm = batchRng.permutation(train.length);
            for (let start = 0; start < train.length; start += batchSize)
              yield Int32Array.from(perm.subarray(start, start + batchSize), (p) => train[p]!);
          },
          loss: (idx) => {
            const xb = tf.gather(x, tf.tensor1d(idx, 'int32')) as tf.Tensor2D; // [b, d]
            const yb = tf.oneHot(
              tf.tensor1d(
                Int32Array.from(idx, (i) => labels[i]!),
                'int32',
              ),
              numClasses,
            ); // [b, C]
            return tf.losses.softmaxCrossEntropy(yb, model.forward(xb)) as tf.Scalar;
          },
          callbacks: {
            onStepEnd: ({ step }) =>
              void onProgress?.({
                stage: `margin scorer fold ${f + 1}/${folds}`,
                done: before + step,
                total: totalSteps,
              }),
            onEpochEnd: () => tf.nextFrame(),
          },
        });
      }
      stepsBefore += stepsOfFold(train.length);
      const heldLogits = tf.tidy(() => model.forward(tf.gather(x, tf.tensor1d(heldOut, 'int32')))); // [|fold|, C]
      const values = heldLogits.dataSync();
      heldLogits.dispose();
      heldOut.forEach((row, k) => logits.set(values.subarray(k * numClasses, (k + 1) * numClasses), row * numClasses));
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  }
  const all = tf.tensor2d(logits, [n, numClasses]);
  try {
    return top2Margin(all);
  } finally {
    all.dispose();
  }
}

/** `count` distinct indices of 0..n−1 drawn at random, sorted ascending: the random-removal control. */
export function randomRemoval(n: number, count: number, rng: Rng): Int32Array {
  assertInRange(n, 'n', { min: 0, integer: true });
  assertInRange(count, 'count', { min: 0, max: n, integer: true });
  return rng.sampleWithoutReplacement(n, count).sort();
}

/** The indices 0..n−1 that are not in `removed`, ascending. */
export function keptIndices(n: number, removed: ArrayLike<number>): Int32Array {
  const drop = new Uint8Array(n);
  for (let i = 0; i < removed.length; i++) {
    const r = removed[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= n)
      throw new LabError('OUT_OF_RANGE', `removed: expected indices in [0, ${n}), got ${r} at position ${i}`);
    drop[r] = 1;
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!drop[i]) out.push(i);
  return Int32Array.from(out);
}

/** Result of {@link mixDifficult}. */
export interface MixedData {
  /** The training images with the mixed rows replaced, [N·dim] (a copy; the input is untouched). */
  x: Float32Array;
  /** Rows that were replaced by a mixture, ascending. */
  mixedIdx: Int32Array;
  /** For each mixed row, the different-class row it was mixed with (original pixels). */
  partnerIdx: Int32Array;
}

/**
 * ω-mixing (paper Fig. 2 / Table 10): ⌊ω·N + 0.5⌋ training images, drawn at random, are replaced by the pixel
 * mixture weight·x_i + (1 − weight)·x_j with a random training image x_j of a *different* class. The mixed image
 * keeps x_i's label (used only by the supervised scorer). The mixing weight is not given by the paper; default 0.5.
 * @param x [N·dim] images row-major. @param labels [N]. @param omega ∈ [0, 1].
 */
export function mixDifficult(
  x: Float32Array,
  labels: Int32Array,
  omega: number,
  rng: Rng,
  opts: MixOptions = {},
): MixedData {
  const { weight, dim } = strictOptions<Required<MixOptions>>(opts, { ...defaultMixOptions }, 'mixDifficult options', {
    weight: { min: 0, max: 1 },
    dim: { min: 1, integer: true },
  });
  assertInRange(omega, 'omega', { min: 0, max: 1 });
  const n = labels.length;
  if (x.length !== n * dim)
    throw new LabError(
      'SHAPE_MISMATCH',
      `x: expected ${n}·${dim} = ${n * dim} values (labels.length · dim), got ${x.length}`,
    );
  assertFinite(x, 'x');
  const count = Math.floor(omega * n + 0.5);
  const out = x.slice();
  if (count === 0) return { x: out, mixedIdx: new Int32Array(0), partnerIdx: new Int32Array(0) };
  const firstLabel = labels[0];
  if (labels.every((y) => y === firstLabel))
    throw new LabError('INVALID_ARGUMENT', 'labels: mixing needs at least 2 classes, got 1');
  const mixedIdx = rng.fork('mixed').sampleWithoutReplacement(n, count).sort();
  const partnerRng = rng.fork('partners');
  const partnerIdx = new Int32Array(count);
  mixedIdx.forEach((i, k) => {
    let j = partnerRng.int(n);
    while (labels[j] === labels[i]) j = partnerRng.int(n);
    partnerIdx[k] = j;
    for (let p = 0; p < dim; p++) out[i * dim + p] = weight * x[i * dim + p]! + (1 - weight) * x[j * dim + p]!;
  });
  return { x: out, mixedIdx, partnerIdx };
}

/**
 * Mean cosine similarities of learned representations over three kinds of pair (spec §2.5): α over same-class
 * pairs, β over different-class pairs with no flagged endpoint, γ over different-class pairs with a flagged
 * endpoint (NaN where a kind has no pair). Reads the features in row blocks; leaves no tensors behind.
 * @param features [N, d]. @param labels [N]. @param flagged [N] 1 = difficult (e.g. mixed).
 */
export function estimateAlphaBetaGamma(
  features: tf.Tensor2D,
  labels: Int32Array,
  flagged: Uint8Array,
): { alpha: number; beta: number; gamma: number } {
  if (!(features instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `features: expected a tf.Tensor2D, got ${typeof features}`);
  assertRank(features, 2, 'features');
  const n = features.shape[0];
  if (n < 2) throw new LabError('EMPTY_INPUT', `features: expected at least 2 rows, got ${n}`);
  if (labels.length !== n)
    throw new LabError(
      'SHAPE_MISMATCH',
      `labels: expected ${n} labels (one per row of features), got ${labels.length}`,
    );
  if (flagged.length !== n)
    throw new LabError(
      'SHAPE_MISMATCH',
      `flagged: expected ${n} flags (one per row of features), got ${flagged.length}`,
    );
  assertFinite(features, 'features');
  const sums = [0, 0, 0];
  const counts = [0, 0, 0];
  const block = 512;
  const unit = tf.tidy(() => features.div(features.norm('euclidean', 1, true).maximum(1e-12)) as tf.Tensor2D); // [N, d]
  try {
    for (let start = 0; start < n; start += block) {
      const size = Math.min(block, n - start);
      const sims = tf.tidy(() => tf.matMul(unit.slice([start, 0], [size, -1]), unit, false, true)); // [size, N]
      const s = sims.dataSync();
      sims.dispose();
      for (let r = 0; r < size; r++) {
        const i = start + r;
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          const kind = labels[i] === labels[j] ? 0 : flagged[i] || flagged[j] ? 2 : 1;
          sums[kind]! += s[r * n + j]!;
          counts[kind]!++;
        }
      }
    }
  } finally {
    unit.dispose();
  }
  const mean = (k: number) => (counts[k]! > 0 ? sums[k]! / counts[k]! : Number.NaN);
  return { alpha: mean(0), beta: mean(1), gamma: mean(2) };
}
