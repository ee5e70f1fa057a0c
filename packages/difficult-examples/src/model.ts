/**
 * SimCLR with in-loss difficult-pair selection and the edits of Eqs. 13–16 (Zhang et al., ICLR 2026, §5):
 * each step draws two augmented views, computes backbone features h, selects the difficult pairs from h
 * (no gradient), and trains on the edited NT-Xent of the projector outputs z.
 */
import {
  Adam,
  LabError,
  MLP,
  Rng,
  assertFinite,
  assertInRange,
  assertOneOf,
  assertRank,
  augmentBatch,
  tf,
  type AugmentOptions as CoreAugmentOptions,
} from '@lab/core';
import { defaultTrainOptions, type AugmentOptions, type SimCLRModelConfig, type TrainOptions } from './config.js';
import { difficultPairLoss, selectDifficultPairs } from './difficult-examples.js';
import { resolveLoss, resolveSelection } from './internal/validate.js';

/** MLP encoder (backbone features h, ReLU) and projector head (outputs z); owns its variables. */
export class SimCLRModel {
  private readonly encoder: MLP;
  private readonly head: MLP;
  readonly config: Readonly<SimCLRModelConfig>;

  constructor(cfg: SimCLRModelConfig) {
    for (const key of ['inputDim', 'featureDim', 'projHidden', 'projDim'] as const)
      assertInRange(cfg[key], key, { min: 1, integer: true });
    if (!Array.isArray(cfg.hidden))
      throw new LabError('INVALID_ARGUMENT', `hidden: expected an array of widths, got ${typeof cfg.hidden}`);
    cfg.hidden.forEach((w, i) => assertInRange(w, `hidden[${i}]`, { min: 1, integer: true }));
    this.config = { ...cfg, hidden: [...cfg.hidden] };
    const rng = new Rng(cfg.seed);
    // Encoder inputDim-hidden…-featureDim with ReLU after every layer (h is post-activation, as a ResNet's pooled features).
    // PyTorch nn.Linear initialisation (@lab/core's MLP).
    this.encoder = new MLP([cfg.inputDim, ...cfg.hidden, cfg.featureDim], {
      rng: rng.fork('encoder'),
      activateLast: true,
    });
    // Projector featureDim-projHidden-projDim, ReLU between (SimCLR's g).
    this.head = new MLP([cfg.featureDim, cfg.projHidden, cfg.projDim], { rng: rng.fork('head') });
  }

  /** h = f(x): [N, inputDim] → [N, featureDim]. */
  backbone(x: tf.Tensor2D): tf.Tensor2D {
    return this.encoder.forward(x) as tf.Tensor2D;
  }

  /** z = g(h): [N, featureDim] → [N, projDim]. */
  project(h: tf.Tensor2D): tf.Tensor2D {
    return this.head.forward(h) as tf.Tensor2D;
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.encoder.parameters(), ...this.head.parameters()];
  }

  dispose(): void {
    this.encoder.dispose();
    this.head.dispose();
  }
}

/** Per-epoch record of {@link trainSimCLR}. */
export interface EpochLog {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** Mean fraction of off-diagonal pairs selected as difficult (0 for `ntxent`). */
  selectedFraction: number;
  steps: number;
  seconds: number;
}

/** Extra hooks of {@link trainSimCLR}. */
export interface TrainHooks {
  /** Called after every epoch. */
  onEpoch?: (log: EpochLog) => void;
}

/** Options accepted by {@link trainSimCLR}: any subset of {@link TrainOptions}, nested objects merged. */
export type TrainOptionsInput = Partial<Omit<TrainOptions, 'selection' | 'loss' | 'model' | 'augment'>> & {
  selection?: Partial<TrainOptions['selection']>;
  loss?: Partial<TrainOptions['loss']>;
  model?: Partial<TrainOptions['model']>;
  augment?: Partial<AugmentOptions>;
};

/** Resolves and validates training options against {@link defaultTrainOptions}. */
export function resolveTrainOptions(options: TrainOptionsInput = {}): TrainOptions {
  const d = defaultTrainOptions;
  const o: TrainOptions = {
    ...d,
    ...options,
    selection: resolveSelection(d.selection, options.selection),
    loss: { ...d.loss, ...options.loss },
    model: { ...d.model, ...options.model },
    augment: { ...d.augment, ...options.augment },
  };
  assertOneOf(o.mode, ['ntxent', 'remove', 'margin', 'temperature', 'combined'] as const, 'mode');
  resolveLoss({ ...o.loss, mode: o.mode });
  assertInRange(o.epochs, 'epochs', { min: 0, integer: true });
  assertInRange(o.batchSize, 'batchSize', { min: 2, integer: true });
  assertInRange(o.lr, 'lr', { min: 0, minExclusive: true });
  assertInRange(o.imageSide, 'imageSide', { min: 1, integer: true });
  assertInRange(o.augment.maxShift, 'augment.maxShift', { min: 0, integer: true });
  assertInRange(o.augment.noiseStd, 'augment.noiseStd', { min: 0 });
  if (o.augment.cropScale !== null) {
    const [lo, hi] = o.augment.cropScale;
    if (!(lo > 0 && lo <= hi && hi <= 1))
      throw new LabError(
        'OUT_OF_RANGE',
        `augment.cropScale: expected 0 < min <= max <= 1, got [${o.augment.cropScale.join(', ')}]`,
      );
  }
  if (!Number.isFinite(o.seed)) throw new LabError('INVALID_ARGUMENT', `seed: expected a finite number, got ${o.seed}`);
  return o;
}

/** Two augmented views of a batch stacked view-major: [2B, side²]. */
export function twoViews(x: tf.Tensor2D, augment: AugmentOptions, imageSide: number, rng: Rng): tf.Tensor2D {
  const options: CoreAugmentOptions = {
    imageSize: [imageSide, imageSide],
    shift: augment.maxShift,
    ...(augment.cropScale ? { resizedCrop: { scale: augment.cropScale } } : {}),
    ...(augment.noiseStd > 0 ? { noiseStd: augment.noiseStd } : {}),
  };
  return tf.tidy(() => tf.concat([augmentBatch(x, options, rng), augmentBatch(x, options, rng)], 0) as tf.Tensor2D);
}

/**
 * Trains SimCLR on unlabelled images with in-loss difficult-pair selection and edits (paper §5; `mode: 'ntxent'`
 * is the plain SimCLR baseline). Batches are drawn without replacement each epoch; a last batch smaller than
 * `batchSize` is dropped (SimCLR's drop_last), so every step sees 2·batchSize rows.
 *
 * @param data.x [N, side²] images (e.g. MNIST in [0, 1]).
 * @returns the trained model (the caller disposes it) and one log entry per epoch.
 */
export async function trainSimCLR(
  data: { x: tf.Tensor2D },
  options: TrainOptionsInput = {},
  hooks: TrainHooks = {},
): Promise<{ model: SimCLRModel; log: EpochLog[] }> {
  const o = resolveTrainOptions(options);
  const x = data?.x;
  if (!(x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `data.x: expected a tf.Tensor2D, got ${typeof x}`);
  assertRank(x, 2, 'data.x');
  const [n, dim] = x.shape;
  if (dim !== o.imageSide * o.imageSide) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `data.x: expected ${o.imageSide}·${o.imageSide} = ${o.imageSide ** 2} columns (imageSide²), got ${dim}`,
    );
  }
  if (n < o.batchSize)
    throw new LabError('EMPTY_INPUT', `data.x: expected at least batchSize = ${o.batchSize} rows, got ${n}`);
  assertFinite(x, 'data.x');

  const rng = new Rng(o.seed);
  const orderRng = rng.fork('order');
  const augmentRng = rng.fork('augment');
  const model = new SimCLRModel({ inputDim: dim, ...o.model, seed: rng.fork('init').nextUint32() });
  const optimizer = new Adam(model.trainableVariables, { lr: o.lr });
  const lossOptions = { ...o.loss, mode: o.mode };
  const select = o.mode !== 'ntxent';
  const log: EpochLog[] = [];
  const stepsPerEpoch = Math.floor(n / o.batchSize);
  const rows = 2 * o.batchSize;
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const started = performance.now();
      const perm = orderRng.permutation(n);
      let lossSum = 0;
      let selectedSum = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const idx = perm.subarray(step * o.batchSize, (step + 1) * o.batchSize);
        let selected = 0;
        const views = tf.tidy(() =>
          twoViews(tf.gather(x, tf.tensor1d(idx, 'int32')) as tf.Tensor2D, o.augment, o.imageSide, augmentRng),
        ); // [2B, side²]
        try {
          lossSum += optimizer.minimize(() => {
            const h = model.backbone(views); // [2B, featureDim]
            let P: tf.Tensor2D | null = null;
            if (select) {
              // Selection reads h's values only: P is a fresh constant, so no gradient flows through it.
              const sel = selectDifficultPairs(h, o.selection);
              P = sel.P;
              selected = sel.numSelected;
            }
            return difficultPairLoss(model.project(h), P, lossOptions); // scalar
          });
        } finally {
          views.dispose();
        }
        selectedSum += selected / (rows * (rows - 1));
      }
      const entry = {
        epoch,
        loss: stepsPerEpoch > 0 ? lossSum / stepsPerEpoch : Number.NaN,
        selectedFraction: stepsPerEpoch > 0 ? selectedSum / stepsPerEpoch : 0,
        steps: stepsPerEpoch,
        seconds: (performance.now() - started) / 1000,
      };
      log.push(entry);
      hooks.onEpoch?.(entry);
      await tf.nextFrame();
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
  return { model, log };
}

/** Backbone features of many rows, computed in blocks: [N, inputDim] → [N, featureDim]. */
export function encode(model: SimCLRModel, x: tf.Tensor2D, blockSize = 1024): tf.Tensor2D {
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    for (let start = 0; start < x.shape[0]; start += blockSize) {
      parts.push(model.backbone(x.slice([start, 0], [Math.min(blockSize, x.shape[0] - start), -1])));
    }
    return tf.concat(parts, 0) as tf.Tensor2D;
  });
}
