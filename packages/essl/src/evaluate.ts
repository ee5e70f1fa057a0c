// Evaluation of a pre-trained encoder: frozen features for the probes, and held-out rotation accuracy
// (spec §5, G2: overall, on the digits {6, 9} and on {0, 1, 8}).
import { LabError, type Module, tf } from '@lab/core';
import type { Encoder } from './encoders.js';
import { assertImages, rot90 } from './essl.js';

/**
 * Frozen features of `x` `[N, H, W, C]` in eval mode (running BN statistics), in chunks of `batchSize`.
 * @returns `[N, featureDim]` (the caller disposes it).
 */
export function encodeImages(encoder: Encoder, x: tf.Tensor4D, batchSize = 500): tf.Tensor2D {
  assertImages(x);
  const wasTraining = encoder.training;
  encoder.eval();
  try {
    return tf.tidy(() => {
      const n = x.shape[0];
      const parts: tf.Tensor[] = [];
      for (let s = 0; s < n; s += batchSize) {
        const size = Math.min(batchSize, n - s);
        parts.push(encoder.forward(tf.slice(x, [s, 0, 0, 0], [size, -1, -1, -1])));
      }
      return tf.concat(parts, 0) as tf.Tensor2D; // [N, D]
    });
  } finally {
    if (wasTraining) encoder.train();
  }
}

/**
 * Held-out rotation accuracy of an encoder and its rotation head: every test image is shown at all four
 * rotations (clean, no shift) and the head must name the rotation. `subsets` names groups of classes (e.g.
 * `{ '69': [6, 9] }`) scored separately with the labels `y`.
 * @returns `{ all, ...subsets }` fractions in [0, 1].
 */
export function rotationAccuracy(
  encoder: Encoder,
  head: Module & { forward(x: tf.Tensor): tf.Tensor },
  x: tf.Tensor4D,
  y?: Int32Array,
  subsets: Record<string, number[]> = {},
): Record<string, number> {
  assertImages(x);
  if (Object.keys(subsets).length > 0 && (y === undefined || y.length !== x.shape[0]))
    throw new LabError('SHAPE_MISMATCH', `y: expected ${x.shape[0]} labels to score class subsets`);
  const n = x.shape[0];
  const correct = new Uint8Array(4 * n);
  for (let k = 0; k < 4; k++) {
    const pred = tf.tidy(() => {
      const h = encodeImages(encoder, rot90(x, k));
      const wasTraining = head.training;
      head.eval();
      const p = tf.argMax(head.forward(h), 1);
      if (wasTraining) head.train();
      return p;
    });
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < n; i++) correct[k * n + i] = p[i] === k ? 1 : 0;
  }
  const score = (keep: (i: number) => boolean) => {
    let hit = 0,
      total = 0;
    for (let k = 0; k < 4; k++)
      for (let i = 0; i < n; i++)
        if (keep(i)) {
          total++;
          hit += correct[k * n + i]!;
        }
    return total === 0 ? Number.NaN : hit / total;
  };
  const out: Record<string, number> = { all: score(() => true) };
  for (const [name, classes] of Object.entries(subsets)) out[name] = score((i) => classes.includes(y![i]!));
  return out;
}
