// LongCE fine-tuning on batches (paper §4, eq. 7; official `finetune/finetune.py::loss_weight` and its loop):
// the E-step re-estimates every sequence's key-token weights with the model being trained (long and short
// losses under no gradient), the M-step takes one weighted cross-entropy step.
import { LabError, assertInRange, strictOptions, tf } from '@lab/core';
import { type CausalLM, tokenNll } from '@lab/lm';
import { type LongCEOptions, defaultLongCEOptions, longCEChecks } from './config.js';
import { longCEWeights, windowSchedule } from './longppl.js';

/** The options of the batched E-step: K, d and γ ({@link LongCEOptions} without `faithful`: no padding here). */
export type BatchLongCEOptions = Pick<LongCEOptions, 'truncLen' | 'slidingWindow' | 'cap'>;
const { faithful: _unused, ...batchDefaults } = defaultLongCEOptions;

/** Checks `ids` (row-major `[B, n]` int32) against its shape. */
function checkBatch(ids: Int32Array, batch: number, n: number): void {
  assertInRange(batch, 'batch', { min: 1, integer: true });
  assertInRange(n, 'n', { min: 2, integer: true });
  if (!(ids instanceof Int32Array)) throw new LabError('DTYPE_MISMATCH', 'ids: expected an Int32Array');
  if (ids.length !== batch * n)
    throw new LabError('SHAPE_MISMATCH', `ids: expected batch × n = ${batch * n} ids, got ${ids.length}`);
}

/**
 * Short-window losses of every row of a batch, keyed by target position (the windows of
 * {@link windowSchedule}, every window of every row in one no-gradient pass per window length).
 * Returns one `Map<target p, loss>` per row.
 */
export function batchShortLosses(
  model: CausalLM,
  ids: Int32Array, // [B·n]
  batch: number,
  n: number,
  truncLen: number,
  slidingWindow: number,
): Map<number, number>[] {
  checkBatch(ids, batch, n);
  const byTarget = Array.from({ length: batch }, () => new Map<number, number>());
  const windows = windowSchedule(n, truncLen, slidingWindow);
  const byLength = new Map<number, typeof windows>();
  for (const w of windows) {
    const len = w.shortInput[1] - w.shortInput[0];
    byLength.set(len, [...(byLength.get(len) ?? []), w]);
  }
  for (const [len, group] of byLength) {
    const rows = new Int32Array(batch * group.length * len); // [B·g, len]
    group.forEach((w, g) => {
      for (let b = 0; b < batch; b++)
        rows.set(ids.subarray(b * n + w.shortInput[0], b * n + w.shortInput[1]), (g * batch + b) * len);
    });
    const loss = tf.tidy(
      () => tokenNll(model, tf.tensor2d(rows, [batch * group.length, len], 'int32')).dataSync() as Float32Array,
    ); // [B·g, len − 1]
    group.forEach((w, g) => {
      const s = w.shortInput[0];
      for (let b = 0; b < batch; b++) {
        const base = (g * batch + b) * (len - 1);
        for (let p = w.targets[0]; p < w.targets[1]; p++) byTarget[b]!.set(p, loss[base + p - s - 1]!);
      }
    });
  }
  return byTarget;
}

/**
 * LongCE weights of a batch, estimated by `model` itself: `w[b, k] = min(exp(nllShort − nllFull), γ)` for
 * targets k + 1 ≥ K, 1 before (the same numbers as {@link selfLongCEWeights} row by row). `lossFull` is the
 * full pass's `[B·(n − 1)]` NLL (e.g. the values of the training forward pass); computed here when omitted.
 */
export function batchLongCEWeights(
  model: CausalLM,
  ids: Int32Array, // [B·n]
  batch: number,
  n: number,
  options: Partial<BatchLongCEOptions> = {},
  lossFull?: Float32Array, // [B·(n − 1)]
): Float32Array {
  const o = strictOptions<BatchLongCEOptions>(options, batchDefaults, 'batchLongCEWeights options', longCEChecks);
  checkBatch(ids, batch, n);
  const full =
    lossFull ??
    tf.tidy(() => tokenNll(model, tf.tensor2d(ids, [batch, n], 'int32')).dataSync() as Float32Array).slice();
  if (full.length !== batch * (n - 1))
    throw new LabError('SHAPE_MISMATCH', `lossFull: expected ${batch * (n - 1)} losses, got ${full.length}`);
  const short = batchShortLosses(model, ids, batch, n, o.truncLen, o.slidingWindow);
  const w = new Float32Array(batch * (n - 1));
  for (let b = 0; b < batch; b++)
    w.set(longCEWeights(full.subarray(b * (n - 1), (b + 1) * (n - 1)), short[b]!, n, o.cap), b * (n - 1));
  return w;
}

/** What one training step measured. */
export interface TrainStepResult {
  /** The loss that was minimised (CE, or LongCE's weighted CE). */
  loss: number;
  /** Plain CE of the batch (the same forward pass). */
  ce: number;
  /** Mean LongCE weight of the batch (1 for CE). */
  meanWeight: number;
  /** Share of the weight mass on targets with w > 1 (0 for CE). */
  upweightedShare: number;
}

/**
 * One optimiser step on a batch `[B, n]`: `objective: 'ce'` minimises the mean next-token NLL; `'longce'`
 * re-estimates the weights with the model (E-step, no gradient; the full-pass losses are read from the training
 * forward pass itself, as the official loop does) and minimises `(1/(B(n−1))) Σ w·nll` (M-step; the weights
 * carry no gradient; the mean over sequences of official `(1/(n−1)) Σ_k w_k nll_k`).
 */
export function trainStep(
  model: CausalLM,
  optimizer: tf.Optimizer,
  ids: Int32Array, // [B·n]
  batch: number,
  n: number,
  objective: 'ce' | 'longce',
  options: Partial<BatchLongCEOptions> = {},
): TrainStepResult {
  if (objective !== 'ce' && objective !== 'longce')
    throw new LabError('INVALID_ARGUMENT', `objective: expected 'ce' or 'longce', got ${String(objective)}`);
  const o = strictOptions<BatchLongCEOptions>(options, batchDefaults, 'trainStep options', longCEChecks);
  checkBatch(ids, batch, n);
  const short = objective === 'longce' ? batchShortLosses(model, ids, batch, n, o.truncLen, o.slidingWindow) : null;
  let ce = NaN;
  let meanWeight = 1;
  let upweightedShare = 0;
  const idsTensor = tf.tensor2d(ids, [batch, n], 'int32');
  try {
    const loss = optimizer.minimize(
      () => {
        const nll = tokenNll(model, idsTensor).reshape([batch * (n - 1)]) as tf.Tensor1D; // [B·(n − 1)]
        const values = nll.dataSync() as Float32Array;
        ce = values.reduce((a, v) => a + v, 0) / values.length;
        if (short === null) return tf.mean(nll) as tf.Scalar;
        const w = new Float32Array(batch * (n - 1));
        for (let b = 0; b < batch; b++)
          w.set(longCEWeights(values.subarray(b * (n - 1), (b + 1) * (n - 1)), short[b]!, n, o.cap), b * (n - 1));
        const total = w.reduce((a, v) => a + v, 0);
        meanWeight = total / w.length;
        upweightedShare = w.reduce((a, v) => a + (v > 1 ? v : 0), 0) / total;
        return tf.mean(tf.mul(nll, tf.tensor1d(w))) as tf.Scalar;
      },
      true,
      model.trainableVariables(),
    );
    const value = loss!.dataSync()[0]!;
    loss!.dispose();
    return { loss: value, ce, meanWeight, upweightedShare };
  } finally {
    idsTensor.dispose();
  }
}
