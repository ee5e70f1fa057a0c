import { LabError, assertInRange } from '../errors.js';
import type { Rng } from '../random.js';

export interface BatchOptions {
  /** Shuffle the order once per call with `rng` (required when true). Default false. */
  shuffle?: boolean;
  /** Seeded generator for the shuffle: pass a fork per epoch, e.g. `rng.fork(\`epoch-${e}\`)`. */
  rng?: Rng;
  /** Drop the last batch when it is smaller than `batchSize` (PyTorch `drop_last`). Default false. */
  dropLast?: boolean;
}

function toIndexArray(source: number | ArrayLike<number>, name: string): Int32Array {
  if (typeof source === 'number') {
    assertInRange(source, name, { min: 0, integer: true });
    return Int32Array.from({ length: source }, (_, i) => i);
  }
  const out = new Int32Array(source.length);
  for (let i = 0; i < source.length; i++) {
    const v = source[i]!;
    if (!Number.isInteger(v) || v < 0)
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}: expected non-negative integer indices, got ${v} at position ${i}`,
      );
    out[i] = v;
  }
  return out;
}

/**
 * Splits `0..n−1` (or the given index array) into consecutive batches of `batchSize`, optionally after a
 * seeded shuffle. Returns the batches as Int32Array views of one shuffled array.
 *
 * @example
 * for (const idx of batchIndices(1000, 128, { shuffle: true, rng: rng.fork(epoch), dropLast: true })) { … }
 */
export function batchIndices(
  source: number | ArrayLike<number>,
  batchSize: number,
  options: BatchOptions = {},
): Int32Array[] {
  assertInRange(batchSize, 'batchSize', { min: 1, integer: true });
  const order = toIndexArray(source, 'source');
  if (options.shuffle) {
    if (!options.rng)
      throw new LabError('INVALID_ARGUMENT', 'rng: expected a seeded Rng when shuffle is true, got undefined');
    shuffleInPlace(order, options.rng);
  }
  const batches: Int32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const end = Math.min(start + batchSize, order.length);
    if (options.dropLast && end - start < batchSize) break;
    batches.push(order.subarray(start, end));
  }
  return batches;
}

/** Generator form of {@link batchIndices}: yields one Int32Array of indices per batch. */
export function* iterateBatches(
  source: number | ArrayLike<number>,
  batchSize: number,
  options: BatchOptions = {},
): Generator<Int32Array> {
  yield* batchIndices(source, batchSize, options);
}

/** Number of batches {@link batchIndices} yields for `n` items. */
export function numBatches(n: number, batchSize: number, dropLast = false): number {
  assertInRange(n, 'n', { min: 0, integer: true });
  assertInRange(batchSize, 'batchSize', { min: 1, integer: true });
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** Fisher–Yates shuffle of a typed or plain array in place, driven by the seeded `rng`; returns it. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(items: T, rng: Rng): T {
  return rng.shuffle(items);
}

/**
 * Partitions `0..n−1` with one seeded permutation into consecutive parts of the given sizes
 * (e.g. `[1000, 1000, 2000]` for train / probe / test). Sizes may sum to less than `n`.
 */
export function splitIndices(n: number, sizes: readonly number[], rng: Rng): Int32Array[] {
  assertInRange(n, 'n', { min: 0, integer: true });
  sizes.forEach((s, i) => assertInRange(s, `sizes[${i}]`, { min: 0, integer: true }));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > n) throw new LabError('OUT_OF_RANGE', `sizes: expected a total of at most n = ${n}, got ${total}`);
  const perm = rng.permutation(n);
  const parts: Int32Array[] = [];
  let start = 0;
  for (const s of sizes) {
    parts.push(perm.slice(start, start + s));
    start += s;
  }
  return parts;
}

/**
 * Host-side row gather: copies rows `indices` of a row-major `[rows, rowSize]` array into a new array.
 * This is how a batch of images is cut from a {@link LabeledImages} set before `tf.tensor2d`.
 */
export function gatherRows<T extends Float32Array | Int32Array | Float64Array | Uint8Array>(
  data: T,
  rowSize: number,
  indices: ArrayLike<number>,
): T {
  assertInRange(rowSize, 'rowSize', { min: 1, integer: true });
  if (data.length % rowSize !== 0) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `data: expected a length divisible by rowSize = ${rowSize}, got ${data.length}`,
    );
  }
  const rows = data.length / rowSize;
  const out = new (data.constructor as new (n: number) => T)(indices.length * rowSize);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= rows)
      throw new LabError('OUT_OF_RANGE', `indices: expected integers in [0, ${rows}), got ${i} at position ${k}`);
    out.set(data.subarray(i * rowSize, (i + 1) * rowSize), k * rowSize);
  }
  return out;
}

/**
 * K-fold cross-validation splits of `0..n−1` from one seeded permutation: fold f's `test` part is the
 * f-th of k near-equal consecutive chunks of the permutation (sizes differ by at most one, larger first
 * as scikit-learn's KFold), `train` is the rest (sorted ascending). With `labels`, folds are stratified:
 * each class is permuted and dealt round-robin over the folds, so every fold keeps the class ratios.
 * (difficult-examples' 5-fold out-of-fold margins.)
 */
export function kFoldSplits(
  n: number,
  folds: number,
  rng: Rng,
  options: { labels?: ArrayLike<number> } = {},
): { train: Int32Array; test: Int32Array }[] {
  assertInRange(n, 'n', { min: 0, integer: true });
  assertInRange(folds, 'folds', { min: 2, max: Math.max(2, n), integer: true });
  const foldOf = new Int32Array(n);
  if (options.labels) {
    const labels = options.labels;
    if (labels.length !== n) throw new LabError('SHAPE_MISMATCH', `labels: expected ${n} labels, got ${labels.length}`);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const y = labels[i]!;
      if (!Number.isInteger(y))
        throw new LabError('INVALID_ARGUMENT', `labels: expected integer class ids, got ${y} at index ${i}`);
      if (!byClass.has(y)) byClass.set(y, []);
      byClass.get(y)!.push(i);
    }
    let offset = 0;
    for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
      const members = shuffleInPlace(byClass.get(y)!, rng);
      members.forEach((i, k) => (foldOf[i] = (offset + k) % folds));
      offset = (offset + members.length) % folds;
    }
  } else {
    const perm = rng.permutation(n);
    const base = Math.floor(n / folds),
      extra = n % folds;
    let pos = 0;
    for (let f = 0; f < folds; f++) {
      const size = base + (f < extra ? 1 : 0);
      for (let k = 0; k < size; k++) foldOf[perm[pos++]!] = f;
    }
  }
  return Array.from({ length: folds }, (_, f) => {
    const test: number[] = [],
      train: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? test : train).push(i);
    return { train: Int32Array.from(train), test: Int32Array.from(test) };
  });
}

/**
 * A class-balanced subset: `perClass` indices of every class (all of a class when it has fewer),
 * drawn without replacement by a seeded shuffle per class, returned sorted. The essl "10 labels per
 * class" probe and monosemantic's few-shot probe use it. Classes are visited in ascending order.
 */
export function samplePerClass(labels: ArrayLike<number>, perClass: number, rng: Rng): Int32Array {
  assertInRange(perClass, 'perClass', { min: 0, integer: true });
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y))
      throw new LabError('INVALID_ARGUMENT', `labels: expected integer class ids, got ${y} at index ${i}`);
    if (!byClass.has(y)) byClass.set(y, []);
    byClass.get(y)!.push(i);
  }
  const out: number[] = [];
  for (const y of [...byClass.keys()].sort((a, b) => a - b))
    out.push(...shuffleInPlace(byClass.get(y)!, rng).slice(0, perClass));
  return Int32Array.from(out.sort((a, b) => a - b));
}
