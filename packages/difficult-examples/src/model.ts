/**
 * SimCLR with in-loss difficult-pair selection and the edits of Eqs. 13–16 (Zhang et al., ICLR 2026, §5):
 * each step draws two augmented views, computes backbone features h, selects the difficult pairs from h
 * (no gradient), and trains on the edited NT-Xent of the projector outputs z.
 */
import {
  Adam,
  LabError,
  MLP,
  Module,
  Rng,
  assertFinite,
  assertRank,
  augmentBatch,
  fit,
  strictOptions,
  tf,
  type AugmentOptions as CoreAugmentOptions,
  type ProgressEvent,
} from '@lab/core';
import {
  LOSS_MODES,
  defaultAugmentOptions,
  defaultSimCLRModelConfig,
  defaultTrainOptions,
  type AugmentOptions,
  type SimCLRModelConfig,
  type TrainOptions,
} from './config.js';
import { difficultPairLoss, resolveLoss, resolveSelection, selectDifficultPairs } from './difficult-examples.js';

const positiveInteger = { min: 1, integer: true } as const;

/** MLP encoder (backbone features h, ReLU) and projector head (outputs z); a core `Module` that owns its variables. */
export class SimCLRModel extends Module {
  private readonly encoder: MLP;
  private readonly head: MLP;
  readonly config: Readonly<SimCLRModelConfig>;

  constructor(cfg: SimCLRModelConfig) {
    super();
    const c = strictOptions<SimCLRModelConfig>(
      cfg,
      { ...defaultSimCLRModelConfig, hidden: [...defaultSimCLRModelConfig.hidden] },
      'SimCLRModel config',
      {
        inputDim: positiveInteger,
        featureDim: positiveInteger,
        projHidden: positiveInteger,
        projDim: positiveInteger,
      },
    );
    c.hidden.forEach((w, i) => {
      if (!(Number.isInteger(w) && w >= 1))
        throw new LabError('OUT_OF_RANGE', `hidden[${i}]: expected an integer >= 1, got ${w}`);
    });
    if (!Number.isFinite(c.seed))
      throw new LabError('INVALID_ARGUMENT', `seed: expected a finite number, got ${c.seed}`);
    this.config = { ...c, hidden: [...c.hidden] };
    const rng = new Rng(c.seed);
    // Encoder inputDim-hidden…-featureDim with ReLU after every layer (h is post-activation, as a ResNet's pooled features).
    // PyTorch nn.Linear initialisation (@lab/core's MLP).
    this.encoder = this.addModule(
      'encoder',
      new MLP([c.inputDim, ...c.hidden, c.featureDim], { rng: rng.fork('encoder'), activateLast: true }),
    );
    // Projector featureDim-projHidden-projDim, ReLU between (SimCLR's g).
    this.head = this.addModule('head', new MLP([c.featureDim, c.projHidden, c.projDim], { rng: rng.fork('head') }));
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
  /** Called after every epoch with its log and the model as trained so far (read it; do not dispose it). */
  onEpoch?: (log: EpochLog, model: SimCLRModel) => void;
  /** Called after every step with the steps done and the total (e.g. a CLI's `ctx.progress.onProgress`). */
  onProgress?: (event: ProgressEvent) => void;
}

/** Options accepted by {@link trainSimCLR}: any subset of {@link TrainOptions}, nested objects merged. */
export type TrainOptionsInput = Partial<Omit<TrainOptions, 'selection' | 'loss' | 'model' | 'augment'>> & {
  selection?: Partial<TrainOptions['selection']>;
  loss?: Partial<TrainOptions['loss']>;
  model?: Partial<TrainOptions['model']>;
  augment?: Partial<AugmentOptions>;
};

/** View augmentation options checked with core's strictOptions (shift an integer >= 0, noise >= 0, crop scale in (0, 1]). */
function resolveAugment(options: Partial<AugmentOptions> | undefined, where: string): AugmentOptions {
  const o = strictOptions<AugmentOptions>(options, { ...defaultAugmentOptions }, where, {
    maxShift: { min: 0, integer: true },
    noiseStd: { min: 0 },
  });
  if (o.cropScale !== null) {
    const scale = o.cropScale as unknown;
    if (!Array.isArray(scale) || scale.length !== 2 || !(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1))
      throw new LabError(
        'OUT_OF_RANGE',
        `cropScale: expected [min, max] with 0 < min <= max <= 1 (or null), got ${Array.isArray(scale) ? `[${scale.join(', ')}]` : String(scale)}`,
      );
  }
  if (!Number.isFinite(o.noiseStd))
    throw new LabError('OUT_OF_RANGE', `noiseStd: expected a finite number >= 0, got ${o.noiseStd}`);
  return o;
}

/**
 * Resolves and checks training options against {@link defaultTrainOptions} with core's strictOptions: unknown
 * keys (at every level), wrong types and out-of-range values throw a `LabError` naming the key.
 */
export function resolveTrainOptions(options: TrainOptionsInput = {}): TrainOptions {
  const d = defaultTrainOptions;
  const top = strictOptions<TrainOptions>(options as Partial<TrainOptions>, { ...d }, 'trainSimCLR options', {
    mode: LOSS_MODES,
    epochs: { min: 0, integer: true },
    batchSize: { min: 2, integer: true },
    lr: { min: 0, minExclusive: true },
    imageSide: positiveInteger,
  });
  if (!Number.isFinite(top.lr)) throw new LabError('OUT_OF_RANGE', `lr: expected a finite number > 0, got ${top.lr}`);
  if (!Number.isFinite(top.seed))
    throw new LabError('INVALID_ARGUMENT', `seed: expected a finite number, got ${top.seed}`);
  const model = strictOptions(options.model, { ...d.model }, 'trainSimCLR model options', {
    featureDim: positiveInteger,
    projHidden: positiveInteger,
    projDim: positiveInteger,
  });
  return {
    ...top,
    selection: resolveSelection(options.selection, 'trainSimCLR selection options'),
    loss: resolveLoss(options.loss, 'trainSimCLR loss options', d.loss),
    model: { ...model, hidden: [...model.hidden] },
    augment: resolveAugment(options.augment, 'trainSimCLR augment options'),
  };
}

/** Two augmented views of a batch stacked view-major: [2B, side²]. */
export function twoViews(x: tf.Tensor2D, augment: AugmentOptions, imageSide: number, rng: Rng): tf.Tensor2D {
  augment = resolveAugment(augment, 'twoViews augment');
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
 * is the plain SimCLR baseline), on core's `fit`. Batches are drawn without replacement each epoch; a last
 * batch smaller than `batchSize` is dropped (SimCLR's drop_last), so every step sees 2·batchSize rows.
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
  const { onEpoch, onProgress } = strictOptions<TrainHooks>(
    hooks,
    { onEpoch: undefined, onProgress: undefined },
    'trainSimCLR hooks',
  );
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
  const optimizer = new Adam(model, { lr: o.lr });
  const lossOptions = { ...o.loss, mode: o.mode };
  const select = o.mode !== 'ntxent';
  const log: EpochLog[] = [];
  const stepsPerEpoch = Math.floor(n / o.batchSize);
  const rows = 2 * o.batchSize;
  let started = 0;
  let selected = 0; // pairs selected in the current step (set inside the loss)
  let selectedSum = 0; // sum over the epoch's steps of the selected fraction
  try {
    if (o.epochs > 0)
      await fit<Int32Array>({
        model,
        optimizer,
        epochs: o.epochs,
        stepsPerEpoch,
        label: `SimCLR ${o.mode}`,
        progress: 'none',
        ...(onProgress ? { onProgress } : {}),
        // One permutation per epoch, drawn when the epoch starts; full batches only (drop_last).
        *data() {
          started = performance.now();
          selectedSum = 0;
          const perm = orderRng.permutation(n);
          for (let step = 0; step < stepsPerEpoch; step++)
            yield perm.subarray(step * o.batchSize, (step + 1) * o.batchSize);
        },
        loss: (idx) => {
          const views = twoViews(
            tf.gather(x, tf.tensor1d(idx, 'int32')) as tf.Tensor2D,
            o.augment,
            o.imageSide,
            augmentRng,
          ); // [2B, side²]
          const h = model.backbone(views); // [2B, featureDim]
          let P: tf.Tensor2D | null = null;
          selected = 0;
          if (select) {
            // Selection reads h's values only: P is a fresh constant, so no gradient flows through it.
            const sel = selectDifficultPairs(h, o.selection);
            P = sel.P;
            selected = sel.numSelected;
          }
          return difficultPairLoss(model.project(h), P, lossOptions); // scalar
        },
        callbacks: {
          onStepEnd: () => {
            selectedSum += selected / (rows * (rows - 1));
          },
          onEpochEnd: async (record) => {
            const entry: EpochLog = {
              epoch: record.epoch,
              loss: record.loss,
              selectedFraction: selectedSum / record.steps,
              steps: record.steps,
              seconds: (performance.now() - started) / 1000,
            };
            log.push(entry);
            onEpoch?.(entry, model);
            await tf.nextFrame();
          },
        },
      });
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
