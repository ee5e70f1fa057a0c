import {
  Adam,
  LabError,
  Rng,
  assertInRange,
  assertOneOf,
  batchIndices,
  gatherRows,
  knnAccuracy,
  linearProbe,
  loadSafetensors,
  ntXentLoss,
  randomShift,
  saveSafetensors,
  tf,
  type LinearProbeOptions,
  type ProgressEvent,
} from '@lab/core';
import type { LossName, RevForm } from './config.js';
import { ContrastiveEncoder, type EncoderConfig } from './encoder.js';
import { revNceLoss, rinceLoss, supConLoss, symNceLoss } from './symnce.js';

/** Images with labels: `x` is `[N, inputDim]` (a tensor, or a row-major Float32Array), `labels` has N entries. */
export interface LabeledSet {
  x: tf.Tensor2D | Float32Array;
  labels: ArrayLike<number>;
}

/** Options of {@link trainContrastive}. Defaults are the spec's MNIST miniature (§5). */
export interface TrainOptions {
  /** Training loss (default `'symnce'`). `'ntxent'` ignores the labels (SimCLR). */
  loss: LossName;
  /** τ of every loss term (miniature: 0.5, both terms). */
  temperature: number;
  /** SupContrast's base temperature (rescales SupCon only); `undefined` = τ (no rescaling). */
  baseTemperature?: number;
  /** β of SymNCE (miniature: 1.0 with `'mae'`). */
  beta: number;
  /** Reverse-term form of SymNCE / RevNCE (default `'mae'`; both are reconstructions, spec §2.3). */
  revForm: RevForm;
  /** RINCE q (0.1) and λ (0.01). */
  q: number;
  lambda: number;
  epochs: number;
  /** Images per batch; each contributes two views, so the loss sees 2·batchSize rows (miniature: 128). */
  batchSize: number;
  /** Adam learning rate (miniature: 1e-3). */
  lr: number;
  /**
   * SymNCE only: the first `warmupEpochs` epochs train with SupCon alone (the paper warms up SymNCE;
   * its length is unknown). `undefined` = 10 % of `epochs`, rounded (the miniature sets 5 of 60).
   */
  warmupEpochs?: number;
  /** Random shift of each view by up to ±`maxShift` px (zero fill); `false` = identical views. Default ±2 px. */
  augment: { maxShift: number } | false;
  /** Image height and width of the flat rows (default square). */
  imageSize?: [number, number];
  /** Seeds the encoder initialisation (unless an encoder is passed), the batch order and the augmentation. */
  seed: number;
  /** An encoder to train in place, or the architecture of a new one (default: the miniature's, seeded with `seed`). */
  encoder?: ContrastiveEncoder | Partial<EncoderConfig>;
  /** Called after every epoch. */
  onEpoch?: (log: EpochLog) => void;
  /** Called after every step (`stage` names the loss and epoch). */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Save a checkpoint (one safetensors file: weights, Adam state, history) every `everyEpochs` epochs
   * (default 1) and at the end, written atomically; `metadata` is stored with it (see {@link loadCheckpoint}).
   */
  checkpoint?: { path: string; everyEpochs?: number; metadata?: Record<string, string> };
  /** Resume from a checkpoint written by `checkpoint` (same data, options and encoder architecture). */
  resumeFrom?: string;
}

/** Defaults of {@link TrainOptions}: the spec's miniature (SymNCE-mae, β = 1, τ = 0.5, Adam 1e-3, batch 128, 60 epochs, 5 warm-up epochs, ±2 px). */
export const defaultTrainOptions: Readonly<TrainOptions> = Object.freeze({
  loss: 'symnce' as const,
  temperature: 0.5,
  baseTemperature: undefined,
  beta: 1.0,
  revForm: 'mae' as const,
  q: 0.1,
  lambda: 0.01,
  epochs: 60,
  batchSize: 128,
  lr: 1e-3,
  warmupEpochs: undefined,
  augment: Object.freeze({ maxShift: 2 }),
  seed: 0,
});

/** One epoch of training. */
export interface EpochLog {
  epoch: number;
  /** Mean loss over the epoch's steps. */
  loss: number;
  /** The loss actually used (`'supcon'` during the SymNCE warm-up). */
  lossUsed: LossName;
  seconds: number;
}

/** What {@link trainContrastive} returns: the trained encoder (caller disposes it) and the training log. */
export interface TrainResult {
  encoder: ContrastiveEncoder;
  /** Mean loss per epoch. */
  history: number[];
  log: EpochLog[];
}

const CHECKPOINT_FORMAT = 'lab-symnce-checkpoint/1';

function hostRows(set: LabeledSet, name: string): { x: Float32Array; n: number; dim: number; labels: Int32Array } {
  if (set === null || typeof set !== 'object')
    throw new LabError('INVALID_ARGUMENT', `${name}: expected { x, labels }, got ${String(set)}`);
  const n = set.labels?.length ?? 0;
  if (n === 0) throw new LabError('EMPTY_INPUT', `${name}.labels: expected at least 1 label, got 0`);
  let x: Float32Array;
  let dim: number;
  if (set.x instanceof tf.Tensor) {
    if (set.x.rank !== 2)
      throw new LabError(
        'SHAPE_MISMATCH',
        `${name}.x: expected a 2-D [N, D] tensor, got shape [${set.x.shape.join(', ')}]`,
      );
    if (set.x.shape[0] !== n)
      throw new LabError(
        'SHAPE_MISMATCH',
        `${name}.labels: expected ${set.x.shape[0]} labels (one per row of x), got ${n}`,
      );
    x = set.x.dataSync() as Float32Array;
    dim = set.x.shape[1];
  } else if (set.x instanceof Float32Array) {
    if (set.x.length % n !== 0 || set.x.length === 0) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `${name}.x: expected N·D = ${n}·D values for ${n} labels, got ${set.x.length}`,
      );
    }
    x = set.x;
    dim = set.x.length / n;
  } else {
    throw new LabError('INVALID_ARGUMENT', `${name}.x: expected a tf.Tensor2D or a Float32Array, got ${typeof set.x}`);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = set.labels[i]!;
    if (!Number.isInteger(y) || y < 0)
      throw new LabError('INVALID_ARGUMENT', `${name}.labels: expected non-negative integers, got ${y} at index ${i}`);
    labels[i] = y;
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!))
      throw new LabError(
        'NON_FINITE',
        `${name}.x: expected finite values, found ${x[i]} at row ${Math.floor(i / dim)}`,
      );
  }
  return { x, n, dim, labels };
}

function resolveOptions(options: Partial<TrainOptions>): TrainOptions & { warmupEpochs: number } {
  const o = {
    ...defaultTrainOptions,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as TrainOptions;
  assertOneOf(o.loss, ['supcon', 'symnce', 'rince', 'revnce', 'ntxent'], 'loss');
  assertOneOf(o.revForm, ['mae', 'linear'], 'revForm');
  assertInRange(o.temperature, 'temperature', { min: 0, minExclusive: true });
  assertInRange(o.beta, 'beta', { min: 0 });
  assertInRange(o.q, 'q', { min: 0, minExclusive: true });
  assertInRange(o.lambda, 'lambda', { min: 0, minExclusive: true });
  assertInRange(o.epochs, 'epochs', { min: 0, integer: true });
  assertInRange(o.batchSize, 'batchSize', { min: 1, integer: true });
  assertInRange(o.lr, 'lr', { min: 0, minExclusive: true });
  assertInRange(o.seed, 'seed', { min: 0, integer: true });
  const warmupEpochs = o.warmupEpochs ?? Math.round(0.1 * o.epochs);
  assertInRange(warmupEpochs, 'warmupEpochs', { min: 0, integer: true });
  if (o.augment !== false) assertInRange(o.augment?.maxShift, 'augment.maxShift', { min: 0, integer: true });
  if (o.checkpoint) {
    if (typeof o.checkpoint.path !== 'string' || o.checkpoint.path === '')
      throw new LabError('INVALID_ARGUMENT', `checkpoint.path: expected a file path, got ${String(o.checkpoint.path)}`);
    assertInRange(o.checkpoint.everyEpochs ?? 1, 'checkpoint.everyEpochs', { min: 1, integer: true });
  }
  return { ...o, warmupEpochs };
}

/** The loss for one step on `u` (`[2b, d]`, view-major) with labels repeated per view. */
function stepLoss(name: LossName, u: tf.Tensor2D, labels: Int32Array, o: TrainOptions): tf.Scalar {
  const common = { temperature: o.temperature, baseTemperature: o.baseTemperature };
  switch (name) {
    case 'supcon':
      return supConLoss(u, labels, common);
    case 'symnce':
      return symNceLoss(u, labels, { ...common, beta: o.beta, revForm: o.revForm });
    case 'revnce':
      return revNceLoss(u, labels, { ...common, revForm: o.revForm });
    case 'rince':
      return rinceLoss(u, labels, { ...common, q: o.q, lambda: o.lambda });
    case 'ntxent':
      return ntXentLoss(u, { temperature: o.temperature });
  }
}

/** Options worth recording in a checkpoint (to refuse resuming a different run). */
function runSignature(o: TrainOptions, n: number, dim: number): string {
  const {
    loss,
    temperature,
    baseTemperature,
    beta,
    revForm,
    q,
    lambda,
    epochs,
    batchSize,
    lr,
    warmupEpochs,
    augment,
    seed,
  } = o;
  return JSON.stringify({
    loss,
    temperature,
    baseTemperature: baseTemperature ?? null,
    beta,
    revForm,
    q,
    lambda,
    epochs,
    batchSize,
    lr,
    warmupEpochs,
    augment,
    seed,
    n,
    dim,
  });
}

/**
 * Contrastive pre-training on (noisy) labels with two augmented views per image (spec §2.8, step 1):
 * each step takes `batchSize` images, makes two views (random ±2 px shifts), stacks them view-major
 * (`[2b, inputDim]`), runs encoder + head and minimises the chosen loss with Adam. SymNCE trains with
 * SupCon alone for the first `warmupEpochs` epochs.
 *
 * Reproducible: the batch order and the views of epoch e come from `Rng(seed).fork('shuffle-e')` and
 * `fork('augment-e')`, so two losses trained with the same seed see the same batches and views
 * (paired comparisons), and a resumed run continues exactly.
 *
 * Leaves `tf.memory().numTensors` unchanged apart from the returned encoder's variables.
 *
 * @param data `{ x: [N, inputDim], labels: [N] }` — the observed (possibly noisy) labels.
 * @example
 * const { encoder, history } = await trainContrastive({ x, labels: noisy }, { loss: 'symnce', epochs: 60 });
 */
export async function trainContrastive(data: LabeledSet, options: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const o = resolveOptions(options);
  const { x, n, dim, labels } = hostRows(data, 'data');
  const rng = new Rng(o.seed);
  const ownsEncoder = !(o.encoder instanceof ContrastiveEncoder);
  const encoder =
    o.encoder instanceof ContrastiveEncoder
      ? o.encoder
      : new ContrastiveEncoder({ seed: o.seed, inputDim: dim, ...(o.encoder ?? {}) });
  if (encoder.config.inputDim !== dim) {
    if (ownsEncoder) encoder.dispose();
    throw new LabError(
      'SHAPE_MISMATCH',
      `encoder.inputDim: expected ${dim} (columns of data.x), got ${encoder.config.inputDim}`,
    );
  }
  const optimizer = new Adam(encoder, { lr: o.lr });
  const history: number[] = [];
  const log: EpochLog[] = [];
  const signature = runSignature(o, n, dim);
  let startEpoch = 0;
  try {
    if (o.resumeFrom) {
      startEpoch = resume(o.resumeFrom, encoder, optimizer, signature, history, log);
    }
    const stepsPerEpoch = Math.ceil(n / o.batchSize);
    const totalSteps = o.epochs * stepsPerEpoch;
    for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
      const started = Date.now();
      const lossUsed: LossName = o.loss === 'symnce' && epoch < o.warmupEpochs ? 'supcon' : o.loss;
      const augmentRng = rng.fork(`augment-${epoch}`);
      const batches = batchIndices(n, o.batchSize, { shuffle: true, rng: rng.fork(`shuffle-${epoch}`) });
      let sum = 0;
      for (const [step, idx] of batches.entries()) {
        const b = idx.length;
        const y2 = new Int32Array(2 * b);
        for (let i = 0; i < b; i++) y2[i] = y2[b + i] = labels[idx[i]!]!;
        const views = tf.tidy(() => {
          const xb = tf.tensor2d(gatherRows(x, dim, idx), [b, dim]); // [b, D]
          if (o.augment === false) return tf.concat([xb, xb]) as tf.Tensor2D;
          const opts = o.imageSize ? { imageSize: o.imageSize } : {};
          const v1 = randomShift(xb, o.augment.maxShift, augmentRng, opts);
          const v2 = randomShift(xb, o.augment.maxShift, augmentRng, opts);
          return tf.concat([v1, v2]) as tf.Tensor2D; // [2b, D] view-major
        });
        try {
          sum += optimizer.minimize(() => stepLoss(lossUsed, encoder.project(encoder.features(views)), y2, o));
        } finally {
          views.dispose();
        }
        o.onProgress?.({
          stage: `${o.loss} epoch ${epoch + 1}/${o.epochs}`,
          done: epoch * stepsPerEpoch + step + 1,
          total: totalSteps,
        });
      }
      const entry: EpochLog = { epoch, loss: sum / batches.length, lossUsed, seconds: (Date.now() - started) / 1000 };
      if (!Number.isFinite(entry.loss)) {
        throw new LabError(
          'NON_FINITE',
          `loss: became ${entry.loss} in epoch ${epoch} (${lossUsed}); lower lr or raise temperature (revForm 'linear' grows like e^(1/τ))`,
        );
      }
      history.push(entry.loss);
      log.push(entry);
      o.onEpoch?.(entry);
      const every = o.checkpoint?.everyEpochs ?? 1;
      if (o.checkpoint && ((epoch + 1) % every === 0 || epoch + 1 === o.epochs)) {
        saveCheckpoint(o.checkpoint.path, encoder, optimizer, {
          signature,
          epoch,
          history,
          log,
          user: o.checkpoint.metadata ?? {},
        });
      }
      // Yield to the event loop between epochs so progress output and signals get through.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    if (ownsEncoder) encoder.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
  return { encoder, history, log };
}

function saveCheckpoint(
  path: string,
  encoder: ContrastiveEncoder,
  optimizer: Adam,
  state: { signature: string; epoch: number; history: number[]; log: EpochLog[]; user: Record<string, string> },
): void {
  const opt = optimizer.stateDict();
  try {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(encoder.stateDict())) tensors[`model.${k}`] = v;
    for (const [k, v] of Object.entries(opt.tensors)) tensors[`optim.${k}`] = v;
    saveSafetensors(path, tensors, {
      format: CHECKPOINT_FORMAT,
      encoderConfig: JSON.stringify(encoder.config),
      run: state.signature,
      epoch: String(state.epoch),
      history: JSON.stringify(state.history),
      log: JSON.stringify(state.log),
      optimizer: JSON.stringify({ kind: opt.kind, scalars: opt.scalars }),
      user: JSON.stringify(state.user),
    });
  } finally {
    tf.dispose(Object.values(opt.tensors));
  }
}

/** A checkpoint's contents: metadata plus the encoder (caller disposes it). */
export interface LoadedCheckpoint {
  encoder: ContrastiveEncoder;
  /** Last completed epoch (0-based). */
  epoch: number;
  history: number[];
  log: EpochLog[];
  /** The training options and data size the checkpoint was written with. */
  run: Record<string, unknown>;
  /** The `checkpoint.metadata` given to trainContrastive. */
  metadata: Record<string, string>;
}

function readCheckpoint(path: string): { meta: Record<string, string>; tensors: Record<string, tf.Tensor> } {
  const { tensors, metadata } = loadSafetensors(path);
  const meta = metadata ?? {};
  if (meta.format !== CHECKPOINT_FORMAT) {
    tf.dispose(Object.values(tensors));
    throw new LabError(
      'MALFORMED_FILE',
      `path: '${path}' is not a ${CHECKPOINT_FORMAT} checkpoint (format: ${meta.format ?? 'missing'})`,
    );
  }
  return { meta, tensors };
}

function parseJson<T>(text: string | undefined, field: string, path: string): T {
  try {
    return JSON.parse(text ?? '') as T;
  } catch (cause) {
    throw new LabError('MALFORMED_FILE', `path: checkpoint '${path}' has an unreadable '${field}' field`, { cause });
  }
}

/** Loads the encoder (and the training log) from a checkpoint written by `trainContrastive({ checkpoint })`. */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  const { meta, tensors } = readCheckpoint(path);
  try {
    const config = parseJson<EncoderConfig>(meta.encoderConfig, 'encoderConfig', path);
    const encoder = new ContrastiveEncoder(config);
    const model: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(tensors)) if (k.startsWith('model.')) model[k.slice(6)] = v;
    try {
      encoder.loadStateDict(model);
    } catch (err) {
      encoder.dispose();
      throw err;
    }
    return {
      encoder,
      epoch: Number(meta.epoch),
      history: parseJson<number[]>(meta.history, 'history', path),
      log: parseJson<EpochLog[]>(meta.log, 'log', path),
      run: parseJson<Record<string, unknown>>(meta.run, 'run', path),
      metadata: parseJson<Record<string, string>>(meta.user ?? '{}', 'user', path),
    };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

function resume(
  path: string,
  encoder: ContrastiveEncoder,
  optimizer: Adam,
  signature: string,
  history: number[],
  log: EpochLog[],
): number {
  const { meta, tensors } = readCheckpoint(path);
  try {
    if (meta.run !== signature) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `resumeFrom: checkpoint '${path}' was written by a different run (${meta.run}); expected ${signature}`,
      );
    }
    if (meta.encoderConfig !== JSON.stringify(encoder.config)) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `resumeFrom: checkpoint encoder ${meta.encoderConfig} differs from ${JSON.stringify(encoder.config)}`,
      );
    }
    const model: Record<string, tf.Tensor> = {};
    const slots: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(tensors)) {
      if (k.startsWith('model.')) model[k.slice(6)] = v;
      else if (k.startsWith('optim.')) slots[k.slice(6)] = v;
    }
    encoder.loadStateDict(model);
    const opt = parseJson<{ kind: string; scalars: Record<string, number> }>(meta.optimizer, 'optimizer', path);
    optimizer.loadStateDict({ kind: opt.kind, scalars: opt.scalars, tensors: slots });
    history.push(...parseJson<number[]>(meta.history, 'history', path));
    log.push(...parseJson<EpochLog[]>(meta.log, 'log', path));
    return Number(meta.epoch) + 1;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Representations h of `x` (no augmentation), computed in chunks. @returns `[N, featureDim]` (caller disposes). */
export function extractFeatures(
  encoder: ContrastiveEncoder,
  x: tf.Tensor2D | Float32Array,
  chunkSize = 1024,
): tf.Tensor2D {
  const dim = encoder.config.inputDim;
  const input = x instanceof tf.Tensor ? x : tf.tensor2d(x, [x.length / dim, dim]);
  try {
    if (input.rank !== 2 || input.shape[1] !== dim) {
      throw new LabError('SHAPE_MISMATCH', `x: expected shape [N, ${dim}], got [${input.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const n = input.shape[0];
      const parts: tf.Tensor2D[] = [];
      for (let start = 0; start < n; start += chunkSize) {
        parts.push(encoder.features(input.slice([start, 0], [Math.min(chunkSize, n - start), dim]) as tf.Tensor2D));
      }
      return (parts.length === 1 ? parts[0]! : tf.concat(parts)) as tf.Tensor2D;
    });
  } finally {
    if (input !== x) input.dispose();
  }
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** k of the cosine kNN classifier (spec: 20). */
  knnK: number;
  /** Linear-probe settings (core's `linearProbe`; default its `'standardizedAdam'` protocol: Adam 1e-2, 300 full-batch epochs). */
  probe: LinearProbeOptions;
  /** Shorthand for `probe.epochs` (the spec's `probeEpochs`). */
  probeEpochs?: number;
  /** Number of classes (default: max label + 1 over train and test). */
  numClasses?: number;
}

/** Defaults of {@link evaluate}: k = 20; probe = core's default recipe with seed 0. */
export const defaultEvaluateOptions: Readonly<EvaluateOptions> = Object.freeze({ knnK: 20, probe: Object.freeze({}) });

/**
 * Evaluates the representation h (head dropped, spec §2.8): cosine kNN accuracy (k = 20) and a linear
 * probe, both trained on `train` (give it the noisy labels for the paper's protocol, or clean labels to
 * measure representation quality) and scored on `test`. Accuracies are in [0, 1].
 */
export async function evaluate(
  encoder: ContrastiveEncoder,
  train: LabeledSet,
  test: LabeledSet,
  options: Partial<EvaluateOptions> = {},
): Promise<{ knnAcc: number; probeAcc: number }> {
  const o = { ...defaultEvaluateOptions, ...options };
  const tr = hostRows(train, 'train');
  const te = hostRows(test, 'test');
  assertInRange(o.knnK, 'knnK', { min: 1, max: tr.n, integer: true });
  const hTrain = extractFeatures(encoder, tr.x);
  const hTest = extractFeatures(encoder, te.x);
  try {
    const knnAcc = knnAccuracy(hTrain, tr.labels, hTest, te.labels, { k: o.knnK, numClasses: o.numClasses });
    const probeOptions = {
      numClasses: o.numClasses,
      ...o.probe,
      ...(o.probeEpochs !== undefined ? { epochs: o.probeEpochs } : {}),
    };
    const probe = await linearProbe(hTrain, tr.labels, hTest, te.labels, probeOptions);
    return { knnAcc, probeAcc: probe.accuracy };
  } finally {
    tf.dispose([hTrain, hTest]);
  }
}
