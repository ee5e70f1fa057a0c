import {
  Adam,
  LabError,
  Rng,
  assertFinite,
  assertInRange,
  augmentBatch,
  fit,
  strictOptions,
  tf,
  type AugmentOptions,
  type ProgressEvent,
} from '@lab/core';
import { defaultPretrainOptions, type PretrainOptions } from './config.js';
import { MlpEncoder } from './encoder.js';
import { nclLoss } from './monosemantic.js';

/** Images for {@link pretrain}: `x` `[N, H·W]` flat rows in [0, 1] (un-pooled); `labels` only feed `L_class`. */
export interface PretrainData {
  x: tf.Tensor2D;
  labels?: ArrayLike<number>;
}

/** What {@link pretrain} returns: the trained encoder (the caller disposes it) and the loss of every step. */
export interface PretrainResult {
  encoder: MlpEncoder;
  log: number[];
}

/** `[B, H·W]` → `[B, (H/2)·(W/2)]` by 2×2 average pooling (the miniature's 28×28 → 14×14). */
export function pool2(x: tf.Tensor2D, imageSize: [number, number]): tf.Tensor2D {
  const [h, w] = imageSize;
  return tf.tidy(() => {
    const pooled = tf.avgPool(x.reshape([x.shape[0], h, w, 1]) as tf.Tensor4D, 2, 2, 'valid'); // [B, H/2, W/2, 1]
    return pooled.reshape([x.shape[0], Math.floor(h / 2) * Math.floor(w / 2)]) as tf.Tensor2D;
  });
}

/** The encoder's input width for images of `imageSize` (pooled or not). */
export function inputDimOf(imageSize: [number, number], pool: boolean): number {
  return pool ? Math.floor(imageSize[0] / 2) * Math.floor(imageSize[1] / 2) : imageSize[0] * imageSize[1];
}

const PRETRAIN_CHECKS = {
  method: ['cl', 'ncl'],
  nonNeg: ['relu', 'repRelu'],
  temperature: { min: 0, minExclusive: true },
  steps: { min: 1, integer: true },
  batchSize: { min: 2, integer: true },
  lr: { min: 0, minExclusive: true },
  hidden: { min: 1, integer: true },
  projDim: { min: 1, integer: true },
  seed: { min: 0 },
} as const;

/**
 * Pre-trains a CL or NCL encoder on unlabelled images (spec §3, the miniature of §5): each step draws
 * `batchSize` images, makes two augmented views (on the un-pooled image: shift, cutout, brightness, pixel
 * noise), pools them, stacks them view-major and minimises {@link nclLoss} (φ = identity for CL) with Adam,
 * through core's `fit`. With `data.labels`, an online linear classifier on the backbone features adds
 * `L_class` (detached unless `onlineProbeDetach: false`, the official code's quirk).
 */
export async function pretrain(
  data: PretrainData,
  options: Partial<PretrainOptions> = {},
  hooks: { onProgress?: (event: ProgressEvent) => void; label?: string } = {},
): Promise<PretrainResult> {
  // `augment` is an object or false, so it is checked apart from the other keys.
  const { augment: augmentOption, ...rest } = options ?? {};
  const { augment: defaultAugment, ...defaults } = defaultPretrainOptions;
  const cfg = {
    ...strictOptions(rest, defaults, 'pretrain options', PRETRAIN_CHECKS),
    augment: augmentOption ?? defaultAugment,
  };
  if (cfg.augment !== false) {
    const a = strictOptions(
      cfg.augment,
      defaultAugment as Exclude<PretrainOptions['augment'], false>,
      'pretrain options.augment',
      {
        shift: { min: 0, integer: true },
        cutout: { min: 0, integer: true },
        noiseStd: { min: 0 },
      },
    );
    cfg.augment = a;
  }
  if (!data || !(data.x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', 'data.x: expected a tf.Tensor of shape [N, H·W]');
  const x = data.x;
  const [h, w] = cfg.imageSize;
  if (x.rank !== 2 || x.shape[1] !== h * w)
    throw new LabError(
      'SHAPE_MISMATCH',
      `data.x: expected shape [N, ${h * w}] (imageSize ${h}×${w}), got [${x.shape.join(', ')}]`,
    );
  const n = x.shape[0];
  assertInRange(cfg.batchSize, 'batchSize', { min: 2, max: n, integer: true });
  assertFinite(x, 'data.x');
  const labels = data.labels === undefined ? null : Int32Array.from(data.labels);
  if (labels && labels.length !== n)
    throw new LabError(
      'SHAPE_MISMATCH',
      `data.labels: expected ${n} labels (one per row of data.x), got ${labels.length}`,
    );
  const numClasses = labels ? Math.max(...labels) + 1 : 0;

  const encoder = new MlpEncoder({
    inputDim: inputDimOf(cfg.imageSize, cfg.pool),
    hidden: cfg.hidden,
    projDim: cfg.projDim,
    numClasses,
    seed: cfg.seed,
  });
  const rng = new Rng(cfg.seed);
  const viewRng = rng.fork('views');
  const augment: AugmentOptions | null = cfg.augment
    ? {
        imageSize: cfg.imageSize,
        shift: cfg.augment.shift,
        cutout: { size: cfg.augment.cutout },
        jitter: { brightness: cfg.augment.brightness },
        noiseStd: cfg.augment.noiseStd,
      }
    : null;
  const nonNeg = cfg.method === 'cl' ? 'none' : cfg.nonNeg;
  const perEpoch = Math.floor(n / cfg.batchSize);
  const log: number[] = [];
  const optimizer = new Adam(encoder, { lr: cfg.lr });
  try {
    await fit({
      model: encoder,
      optimizer,
      epochs: Math.ceil(cfg.steps / perEpoch),
      steps: cfg.steps,
      stepsPerEpoch: perEpoch,
      progress: 'none',
      label: hooks.label ?? `pretrain ${cfg.method}`,
      onProgress: hooks.onProgress,
      data: (epoch) => {
        const order = rng.fork(`epoch ${epoch}`).permutation(n);
        return Array.from({ length: perEpoch }, (_, b) => order.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize));
      },
      loss: (rows) => {
        const xb = tf.gather(x, tf.tensor1d(rows, 'int32')) as tf.Tensor2D; // [B, H·W]
        const view = () => (augment ? (augmentBatch(xb, augment, viewRng) as tf.Tensor2D) : xb);
        let views = tf.concat([view(), view()], 0) as tf.Tensor2D; // [2B, H·W] view-major
        if (cfg.pool) views = pool2(views, cfg.imageSize); // [2B, in]
        const hidden = encoder.features(views); // [2B, W]
        const u = encoder.project(hidden); // [2B, D]
        let loss = nclLoss(u, undefined, { temperature: cfg.temperature, nonNeg, varLoss: cfg.varLoss }).loss;
        if (encoder.classifier && labels) {
          const y = Int32Array.from({ length: 2 * rows.length }, (_, i) => labels[rows[i % rows.length]!]!);
          // A constant copy is detached from the tape (tfjs has no stop_gradient).
          const features = cfg.onlineProbeDetach
            ? tf.tensor2d(hidden.dataSync() as Float32Array, hidden.shape)
            : hidden;
          const logits = encoder.classifier.forward(features);
          loss = tf.add(loss, tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), numClasses), logits));
        }
        return loss;
      },
      callbacks: { onStepEnd: (info) => void log.push(info.loss) },
    });
  } catch (err) {
    encoder.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
  encoder.eval();
  return { encoder, log };
}
