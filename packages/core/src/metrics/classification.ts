import * as tf from '@tensorflow/tfjs';
import { LabError } from '../errors.js';
import { rankData } from './correlation.js';
import { type Labels, labelArray, numberArray } from './validate.js';

// Classification metrics on the host (float64): accuracy and ROC-AUC.

/**
 * Fraction of correct predictions, in [0, 1]. `predictions` are class ids, or a 2-D tensor of
 * logits/scores [N, C] whose row-wise argmax is taken.
 * @example accuracy([0, 1, 1], [0, 1, 0]) // 0.666…
 */
export function accuracy(predictions: Labels, labels: Labels): number {
  let pred: Int32Array;
  if (predictions instanceof tf.Tensor && predictions.rank === 2) {
    const p = predictions;
    pred = tf.tidy(() => tf.argMax(p, 1).dataSync() as Int32Array).slice();
  } else pred = labelArray(predictions, 'predictions');
  const y = labelArray(labels, 'labels');
  if (pred.length !== y.length)
    throw new LabError(
      'SHAPE_MISMATCH',
      `predictions: expected ${y.length} entries (one per label), got ${pred.length}`,
    );
  if (y.length === 0) throw new LabError('EMPTY_INPUT', 'labels: expected at least 1 label, got 0');
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) correct++;
  return correct / y.length;
}

/**
 * Area under the ROC curve for binary labels (1 = positive) and real-valued scores, via the
 * Mann–Whitney statistic with average ranks, so tied scores count one half (`sklearn.metrics.roc_auc_score`).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const s = numberArray(scores, 'scores');
  if (labels.length !== s.length)
    throw new LabError('SHAPE_MISMATCH', `scores: expected ${labels.length} values (one per label), got ${s.length}`);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1)
      throw new LabError('INVALID_ARGUMENT', `labels: expected binary labels 0/1, got ${y} at index ${i}`);
    pos += y;
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0)
    throw new LabError(
      'INVALID_ARGUMENT',
      `labels: ROC-AUC needs both classes, got ${pos} positive and ${neg} negative`,
    );
  const ranks = rankData(s);
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) rankSum += ranks[i]!;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
