import {
  LabError,
  assertInRange,
  assertOneOf,
  gaussianNoise,
  linearProbe as coreLinearProbe,
  strictOptions,
  symmetricLabelNoise as coreSymmetricLabelNoise,
  tf,
  uniformNoise,
  type ProbeProtocol,
  type Rng,
} from '@lab/core';

/**
 * Symmetric label noise as the official `prepare_datasets` draws it (spec §2.6): exactly `⌊rN⌋` indices chosen
 * uniformly without replacement, each moved to a class drawn uniformly from the C − 1 others (core's sampler
 * with `count: 'floor'`). @returns the noisy labels `[N]`.
 */
export function symmetricLabelNoise(labels: ArrayLike<number>, rate: number, numClasses: number, rng: Rng): Int32Array {
  return coreSymmetricLabelNoise(labels, rate, numClasses, rng, { convention: 'flipToOther', count: 'floor' })
    .noisyLabels;
}

/**
 * Test-time input noise (spec §2.6): `'gaussian'` adds `σ·N(0, I)`, `'uniform'` adds `s·U[0, 1)` (not zero-mean,
 * as the official code). No clipping. @param strength σ or s ≥ 0. @returns a new tensor shaped like `x`.
 */
export function addInputNoise(x: tf.Tensor, kind: 'gaussian' | 'uniform', strength: number, rng: Rng): tf.Tensor {
  assertOneOf(kind, ['gaussian', 'uniform'], 'kind');
  assertInRange(strength, 'strength', { min: 0 });
  if (!(x instanceof tf.Tensor)) throw new LabError('INVALID_ARGUMENT', 'x: expected a tf.Tensor');
  return kind === 'gaussian' ? gaussianNoise(x, strength, rng) : uniformNoise(x, strength, rng);
}

/** Options of {@link linearProbe}. */
export interface MonoProbeOptions {
  /** Core's probe recipe; default `'rawSgd'` (raw features, SGD momentum 0.9, lr 0.1, batch 256), closest to the paper's (spec §5). */
  protocol: ProbeProtocol;
  /** Epochs; default the protocol's (rawSgd: 100). */
  epochs?: number;
  /** Learning rate; default the protocol's. */
  lr?: number;
  /** Seeds the initialisation and the minibatch order (shared across methods within a seed). */
  seed: number;
  /** Classes; default max label + 1. */
  numClasses?: number;
}

const defaultMonoProbeOptions: MonoProbeOptions = {
  protocol: 'rawSgd',
  epochs: undefined,
  lr: undefined,
  seed: 0,
  numClasses: undefined,
};

/** What {@link linearProbe} returns: test accuracy in [0, 1], and a `predict` for further test sets (e.g. noisy inputs). */
export interface MonoProbeResult {
  acc: number;
  trainAcc: number;
  /** Predicted classes of new features `[N, D]` with the fitted classifier (same preprocessing). */
  predict: (features: tf.Tensor2D) => Int32Array;
}

/**
 * Linear probe `Linear(D → C)` on frozen features (spec §2.5), through core's `linearProbe` with the
 * miniature's default recipe `'rawSgd'`. @param trainF `[N, D]`. @param testF `[M, D]`.
 */
export async function linearProbe(
  trainF: tf.Tensor2D,
  trainY: ArrayLike<number>,
  testF: tf.Tensor2D,
  testY: ArrayLike<number>,
  opts: Partial<MonoProbeOptions> = {},
): Promise<MonoProbeResult> {
  const o = strictOptions(opts, defaultMonoProbeOptions, 'linearProbe options', {
    protocol: ['rawSgd', 'standardizedAdam', 'l2Adam'],
    epochs: { min: 1, integer: true },
    lr: { min: 0, minExclusive: true },
    numClasses: { min: 2, integer: true },
  });
  const r = await coreLinearProbe(trainF, trainY, testF, testY, o);
  const [dim] = trainF.shape.slice(1);
  const classes = r.bias.length;
  const predict = (features: tf.Tensor2D): Int32Array =>
    tf.tidy(() => {
      if (features.rank !== 2 || features.shape[1] !== dim)
        throw new LabError(
          'SHAPE_MISMATCH',
          `features: expected shape [N, ${dim}], got [${features.shape.join(', ')}]`,
        );
      let f: tf.Tensor = features;
      if (r.featureMean && r.featureStd) f = tf.div(tf.sub(f, tf.tensor1d(r.featureMean)), tf.tensor1d(r.featureStd));
      else if (o.protocol === 'l2Adam') f = tf.div(f, tf.maximum(tf.norm(f, 'euclidean', 1, true), 1e-12));
      const logits = tf.add(tf.matMul(f, tf.tensor2d(r.weights, [dim!, classes])), tf.tensor1d(r.bias)); // [N, C]
      return Int32Array.from(tf.argMax(logits, 1).dataSync());
    });
  return { acc: r.accuracy, trainAcc: r.trainAccuracy, predict };
}
