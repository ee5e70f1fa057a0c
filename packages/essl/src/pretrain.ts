// The training entry point: transformation-prediction pre-training of an encoder on user images
// (ESSL/equivariant_tasks.py: train; ESSL/verification.py for the modes), on core's `fit` and Adam.
import {
  Adam,
  LabError,
  Linear,
  MLP,
  Module,
  Rng,
  batchIndices,
  fit,
  randomResizedCrop,
  randomShift,
  strictOptions,
  tf,
  type ProgressEvent,
} from '@lab/core';
import { TASK_CLASSES, defaultEsslOptions, esslOptionChecks, type EsslOptions } from './config.js';
import type { Encoder } from './encoders.js';
import { applyTask, assertImages, modeLosses, ntXent, transformationLoss } from './essl.js';

/** Images to pre-train on: `x` `[N, H, W, C]` in [0, 1]; class labels `y` `[N]` only for the `add` / `eliminate` modes. */
export interface PretrainData {
  x: tf.Tensor4D;
  y?: Int32Array;
}

/** One logged step of {@link pretrain}. */
export interface PretrainLogEntry {
  step: number;
  /** CE of the transformation head on the step's batch. */
  rotLoss: number;
  /** Accuracy of the transformation head on the step's batch. */
  rotAcc: number;
}

export interface PretrainResult {
  log: PretrainLogEntry[];
  /**
   * The trained transformation head `D → hidden → K` (for {@link rotationAccuracy}); the caller owns it and
   * disposes it. The encoder passed in is trained in place.
   */
  head: MLP;
}

/** Progress hooks of {@link pretrain}. */
export interface PretrainHooks {
  onProgress?: (event: ProgressEvent) => void;
}

/** Holds the encoder and the heads as one module for `fit` (train/eval switching and parameters). */
class EsslModel extends Module {
  constructor(parts: Record<string, Module>) {
    super();
    for (const [name, part] of Object.entries(parts)) this.addModule(name, part);
  }
}

/**
 * Pre-trains `encoder` in place on `data` with a transformation-prediction task (spec §2.1) in one of the modes
 * of the explaining-away study (§2.2), optionally combined with SimCLR (§2.4). Each step draws a batch, applies
 * the base augmentation (a random shift of ±`maxShift` px), draws r and applies T_r, and minimises the objective
 * with Adam. `task: 'none'` without SimCLR trains nothing (the random-init baseline).
 *
 * @example
 * const { log, head } = await pretrain({ x }, new MlpEncoder({ width: 64 }), { task: 'rotation', epochs: 1 });
 */
export async function pretrain(
  data: PretrainData,
  encoder: Encoder,
  options: Partial<EsslOptions> = {},
  hooks: PretrainHooks = {},
): Promise<PretrainResult> {
  const o = strictOptions(options, defaultEsslOptions as EsslOptions, 'pretrain options', esslOptionChecks);
  if (data === null || typeof data !== 'object')
    throw new LabError('INVALID_ARGUMENT', `data: expected { x, y? }, got ${String(data)}`);
  assertImages(data.x, 'data.x');
  if (!(encoder instanceof Module) || typeof encoder.featureDim !== 'number')
    throw new LabError('INVALID_ARGUMENT', 'encoder: expected an MlpEncoder, SmallCnn or C4Cnn');
  const n = data.x.shape[0];
  const needsLabels = o.mode !== 'normal';
  if (needsLabels && data.y === undefined)
    throw new LabError('INVALID_ARGUMENT', `data.y: mode '${o.mode}' needs class labels, got none`);
  let numClasses = 2;
  if (data.y !== undefined) {
    if (data.y.length !== n)
      throw new LabError('SHAPE_MISMATCH', `data.y: expected ${n} labels (one per image), got ${data.y.length}`);
    for (const v of data.y) {
      if (!Number.isInteger(v) || v < 0)
        throw new LabError('INVALID_ARGUMENT', `data.y: expected non-negative integer classes, got ${v}`);
      numClasses = Math.max(numClasses, v + 1);
    }
  }
  const rng = new Rng(o.seed);
  const d = encoder.featureDim;
  const hidden = o.headHidden || d;
  const head = new MLP([d, hidden, TASK_CLASSES[o.task]], { rng: rng.fork('head') });
  const log: PretrainLogEntry[] = [];
  const useTask = o.task !== 'none';
  const useSimclr = o.combineSimCLR > 0;
  if (o.epochs === 0 || (!useTask && !useSimclr)) return { log, head };

  const classifier = needsLabels ? new Linear(d, numClasses, { rng: rng.fork('classifier') }) : null;
  const projector = useSimclr ? new MLP([d, hidden, 64], { rng: rng.fork('projector') }) : null;
  const parts: Record<string, Module> = { encoder, head };
  if (classifier) parts.classifier = classifier;
  if (projector) parts.projector = projector;
  const model = new EsslModel(parts);
  const optimizer = new Adam(model, { lr: o.lr });
  const yAll = data.y;
  const taskOptions = { blurSigmas: o.blurSigmas, blurKernels: o.blurKernels, faithful: o.faithful };
  const dropLast = n >= o.batchSize;
  if (n < 2) throw new LabError('EMPTY_INPUT', `data.x: expected at least 2 images for batch statistics, got ${n}`);

  try {
    await fit<Int32Array>({
      model,
      optimizer,
      epochs: o.epochs,
      stepsPerEpoch: Math.max(1, dropLast ? Math.floor(n / o.batchSize) : 1),
      data: (epoch) => batchIndices(n, o.batchSize, { shuffle: true, rng: rng.fork(`epoch-${epoch}`), dropLast }),
      progress: 'none',
      onProgress: hooks.onProgress,
      label: `pretrain ${o.task}`,
      loss: (idx, { step }) => {
        const stepRng = rng.fork(`step-${step}`);
        const index = tf.tensor1d(idx, 'int32');
        const xb = tf.gather(data.x, index) as tf.Tensor4D; // [B, H, W, C]
        const base = (v: tf.Tensor4D) => (o.maxShift > 0 ? (randomShift(v, o.maxShift, stepRng) as tf.Tensor4D) : v);
        let total: tf.Scalar = tf.scalar(0);
        if (useTask) {
          const { x: xt, r } = applyTask(o.task, base(xb), stepRng, taskOptions); // [B, H, W, C], [B]
          const h = encoder.forward(xt) as tf.Tensor2D; // [B, D]
          const logits = head.forward(h) as tf.Tensor2D; // [B, K]
          let rotLoss: tf.Scalar;
          if (classifier && yAll) {
            const y = tf.tensor1d(
              Int32Array.from(idx, (i) => yAll[i]!),
              'int32',
            ); // [B]
            const m = modeLosses(
              h,
              () => logits,
              (f) => classifier.forward(f) as tf.Tensor2D,
              r,
              y,
              { mode: o.mode, lambda: o.lambda, faithful: o.faithful },
            );
            rotLoss = m.rotLoss;
            total = m.loss;
          } else {
            rotLoss = transformationLoss(logits, r);
            total = rotLoss;
          }
          const acc = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), r), 'float32')); // scalar
          log.push({ step: step + 1, rotLoss: rotLoss.dataSync()[0]!, rotAcc: acc.dataSync()[0]! });
          if (useSimclr) total = tf.mul(total, o.combineSimCLR) as tf.Scalar; // L_SimCLR + λ_rot·CE(task)
        }
        if (projector) {
          const view = () => base(randomResizedCrop(xb, {}, stepRng) as tf.Tensor4D); // [B, H, W, C]
          const v1 = view(),
            v2 = view();
          const b = idx.length;
          const both = tf.stack([v1, v2], 1).reshape([2 * b, ...v1.shape.slice(1)]); // rows (2k, 2k+1) = views of item k
          const z = projector.forward(encoder.forward(both)) as tf.Tensor2D; // [2B, 64]
          total = tf.add(total, ntXent(z, { temperature: o.temperature })) as tf.Scalar;
        }
        return total;
      },
    });
  } finally {
    optimizer.dispose();
    classifier?.dispose();
    projector?.dispose();
  }
  return { log, head };
}
