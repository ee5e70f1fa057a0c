import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Adam,
  LabError,
  Rng,
  assertInRange,
  batchIndices,
  checkOutputPath,
  fit,
  gatherRows,
  knnAccuracy,
  linearProbe,
  loadSafetensors,
  ntXentLoss,
  randomShift,
  saveSafetensors,
  strictOptions,
  tf,
} from '@lab/core';
import {
  defaultEvaluateOptions,
  defaultTrainOptions,
  evaluateChecks,
  trainChecks,
  type EncoderConfig,
  type EvaluateOptions,
  type LossName,
  type TrainOptions,
} from './config.js';
import { ContrastiveEncoder } from './encoder.js';
import { revNceLoss, rinceLoss, supConLoss, symNceLoss } from './symnce.js';

/** Images with labels: `x` is `[N, inputDim]` (a tensor, or a row-major Float32Array), `labels` has N entries. */
export interface LabeledSet {
  x: tf.Tensor2D | Float32Array;
  labels: ArrayLike<number>;
}

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
  /**
   * With `measureGradientShare` (SymNCE only): the parameter-gradient norms of SupCon and of β·RevNCE on the
   * first batch after the warm-up (before its step), and their ratio `share = reverse / supcon`.
   */
  gradientShare?: GradientShare;
}

/** Gradient norms (L2 over every trainable parameter) of the two SymNCE terms on one batch. */
export interface GradientShare {
  supcon: number;
  reverse: number;
  /** `reverse / supcon`. */
  share: number;
}

/** `[N, N]` 0/1 positives of SupCon on correctly labelled pairs only (the oracle): same observed and true label, both right. */
function oraclePositiveMask(observed: Int32Array, truth: Int32Array): tf.Tensor2D {
  const n = observed.length;
  const mask = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    if (observed[i] !== truth[i]) continue;
    for (let j = 0; j < n; j++)
      if (j !== i && observed[j] === observed[i] && truth[j] === truth[i]) mask[i * n + j] = 1;
  }
  return tf.tensor2d(mask, [n, n]);
}

function gradientNorm(f: () => tf.Scalar, vars: tf.Variable[]): number {
  const { value, grads } = tf.variableGrads(f, vars);
  const norm = tf.tidy(() => Math.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
  tf.dispose([value, ...Object.values(grads)]);
  return norm;
}

/**
 * The reverse term's gradient share on one batch (issue 17): ‖∇_θ β·RevNCE‖ / ‖∇_θ SupCon‖ over the encoder's
 * and head's trainable parameters θ, for the rows `views` (`[2b, inputDim]`, view-major) with labels `labels`
 * (repeated per view). A term whose share is below 0.05 barely changes the training.
 */
export function reverseGradientShare(
  encoder: ContrastiveEncoder,
  views: tf.Tensor2D,
  labels: Int32Array,
  options: { temperature: number; beta: number; revForm: TrainOptions['revForm'] },
): GradientShare {
  const { temperature, beta, revForm } = strictOptions(
    options,
    { temperature: 0.5, beta: 1, revForm: 'mae' as TrainOptions['revForm'] },
    'reverseGradientShare options',
    { temperature: trainChecks.temperature, beta: trainChecks.beta, revForm: trainChecks.revForm },
  );
  const vars = encoder.trainableVariables;
  const u = () => encoder.project(encoder.features(views));
  const supcon = gradientNorm(() => supConLoss(u(), labels, { temperature }), vars);
  const reverse = beta * gradientNorm(() => revNceLoss(u(), labels, { temperature, revForm }), vars);
  return { supcon, reverse, share: supcon > 0 ? reverse / supcon : Number.POSITIVE_INFINITY };
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

/** {@link defaultTrainOptions} with every optional key present, so that strictOptions knows them all. */
const trainKeys: TrainOptions = {
  ...defaultTrainOptions,
  // `augment` is `false` or an object, so its type is checked here rather than against the default's.
  augment: undefined as never,
  imageSize: undefined,
  encoder: undefined,
  onEpoch: undefined,
  onProgress: undefined,
  checkpoint: undefined,
  resumeFrom: undefined,
  oracleLabels: undefined,
  measureGradientShare: false,
};

type CheckpointOptions = NonNullable<TrainOptions['checkpoint']>;

function resolveOptions(options: Partial<TrainOptions>): TrainOptions & { warmupEpochs: number } {
  const o = strictOptions(options, trainKeys, 'trainContrastive options', trainChecks);
  const augment = o.augment ?? defaultTrainOptions.augment;
  if (augment !== false) {
    if (augment === null || typeof augment !== 'object' || Array.isArray(augment))
      throw new LabError('INVALID_ARGUMENT', `augment: expected false or { maxShift }, got ${String(augment)}`);
    const { maxShift } = strictOptions(augment, { maxShift: 2 }, 'augment', {});
    assertInRange(maxShift, 'augment.maxShift', { min: 0, integer: true });
  }
  const warmupEpochs = o.warmupEpochs ?? Math.round(0.1 * o.epochs);
  if (o.resumeFrom !== undefined && (typeof o.resumeFrom !== 'string' || o.resumeFrom === ''))
    throw new LabError('INVALID_ARGUMENT', `resumeFrom: expected a checkpoint path, got ${String(o.resumeFrom)}`);
  if (o.checkpoint !== undefined) {
    const c = strictOptions<CheckpointOptions>(
      o.checkpoint,
      { path: undefined as never, everyEpochs: 1, metadata: undefined, overwrite: false },
      'checkpoint',
      { everyEpochs: { min: 1, integer: true } },
    );
    if (typeof c.path !== 'string' || c.path === '')
      throw new LabError('INVALID_ARGUMENT', `checkpoint.path: expected a file path, got ${String(c.path)}`);
    const resuming = o.resumeFrom !== undefined && resolve(o.resumeFrom) === resolve(c.path);
    if (!resuming && !c.overwrite && existsSync(c.path))
      throw new LabError(
        'INVALID_ARGUMENT',
        `checkpoint.path: '${c.path}' already exists and would be overwritten; resume from it (resumeFrom), choose another path, or pass checkpoint.overwrite: true to replace it`,
      );
    // Before any work: a read-only folder fails now, not after the first epoch.
    checkOutputPath(c.path, 'checkpoint.path');
  }
  return { ...o, augment, warmupEpochs };
}

/** The loss for one step on `u` (`[2b, d]`, view-major) with labels repeated per view. */
function stepLoss(
  name: LossName,
  u: tf.Tensor2D,
  labels: Int32Array,
  o: TrainOptions,
  positiveMask?: tf.Tensor2D,
): tf.Scalar {
  const common = { temperature: o.temperature, baseTemperature: o.baseTemperature, positiveMask };
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
  const truth = o.oracleLabels === undefined ? undefined : Int32Array.from(o.oracleLabels);
  if (truth !== undefined && truth.length !== n)
    throw new LabError(
      'SHAPE_MISMATCH',
      `oracleLabels: expected ${n} labels (one per row of data.x), got ${truth.length}`,
    );
  if (truth !== undefined && o.loss !== 'supcon' && o.loss !== 'symnce')
    throw new LabError('INVALID_ARGUMENT', `oracleLabels: only 'supcon' and 'symnce' take them, got loss '${o.loss}'`);
  let gradientShare: GradientShare | undefined;
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
  const stepsPerEpoch = Math.ceil(n / o.batchSize);
  const totalSteps = o.epochs * stepsPerEpoch;
  const imageOptions = o.imageSize ? { imageSize: o.imageSize } : {};
  /** Two shifted views of the rows `idx` (`[2b, D]`, view-major), their labels and, for the oracle, its positives. */
  const batchRows = (idx: ArrayLike<number>, viewRng: Rng) => {
    const b = idx.length;
    const y2 = new Int32Array(2 * b);
    for (let i = 0; i < b; i++) y2[i] = y2[b + i] = labels[idx[i]!]!;
    let mask: tf.Tensor2D | undefined;
    if (truth !== undefined) {
      const t2 = new Int32Array(2 * b);
      for (let i = 0; i < b; i++) t2[i] = t2[b + i] = truth[idx[i]!]!;
      mask = oraclePositiveMask(y2, t2);
    }
    const views = tf.tidy(() => {
      const xb = tf.tensor2d(gatherRows(x, dim, Array.from(idx)), [b, dim]); // [b, D]
      return (
        o.augment === false
          ? tf.concat([xb, xb])
          : tf.concat([
              randomShift(xb, o.augment.maxShift, viewRng, imageOptions),
              randomShift(xb, o.augment.maxShift, viewRng, imageOptions),
            ])
      ) as tf.Tensor2D; // [2b, D] view-major
    });
    return { views, y2, mask };
  };
  // The epoch being trained (fit counts from 0 after a resume), its loss, views and start time.
  let epoch = 0;
  let lossUsed: LossName = o.loss;
  let augmentRng = rng;
  let started = 0;
  try {
    const startEpoch = o.resumeFrom ? resume(o.resumeFrom, encoder, optimizer, signature, history, log) : 0;
    if (startEpoch < o.epochs) {
      await fit<Int32Array>({
        model: encoder,
        optimizer,
        epochs: o.epochs - startEpoch,
        stepsPerEpoch,
        progress: 'none',
        label: o.loss,
        data: (e) => {
          epoch = startEpoch + e;
          started = Date.now();
          lossUsed = o.loss === 'symnce' && epoch < o.warmupEpochs ? 'supcon' : o.loss;
          augmentRng = rng.fork(`augment-${epoch}`);
          const batches = batchIndices(n, o.batchSize, { shuffle: true, rng: rng.fork(`shuffle-${epoch}`) });
          if (o.measureGradientShare && o.loss === 'symnce' && epoch === o.warmupEpochs && batches.length > 0) {
            // The first batch after the warm-up, before its step (views from their own stream: training is unchanged).
            const first = batchRows(batches[0]!, rng.fork('gradient-share'));
            try {
              gradientShare = reverseGradientShare(encoder, first.views, first.y2, {
                temperature: o.temperature,
                beta: o.beta,
                revForm: o.revForm,
              });
            } finally {
              tf.dispose([first.views, ...(first.mask ? [first.mask] : [])]);
            }
          }
          return batches;
        },
        loss: (idx) => {
          const { views, y2, mask } = batchRows(idx, augmentRng);
          return stepLoss(lossUsed, encoder.project(encoder.features(views)), y2, o, mask);
        },
        callbacks: {
          onStepEnd: ({ step }) => {
            o.onProgress?.({
              stage: `${o.loss} epoch ${epoch + 1}/${o.epochs}`,
              done: startEpoch * stepsPerEpoch + step,
              total: totalSteps,
            });
          },
          onEpochEnd: async (record) => {
            const entry: EpochLog = { epoch, loss: record.loss, lossUsed, seconds: (Date.now() - started) / 1000 };
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
          },
        },
      });
    }
  } catch (err) {
    if (ownsEncoder) encoder.dispose();
    if (err instanceof LabError && err.code === 'NON_FINITE')
      throw new LabError(
        'NON_FINITE',
        `loss: became non-finite in epoch ${epoch} (${lossUsed}); lower lr or raise temperature (revForm 'linear' grows like e^(1/τ))`,
        { cause: err },
      );
    throw err;
  } finally {
    optimizer.dispose();
  }
  return gradientShare ? { encoder, history, log, gradientShare } : { encoder, history, log };
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
  const o = strictOptions(
    options,
    { ...defaultEvaluateOptions, probeEpochs: undefined, numClasses: undefined },
    'evaluate options',
    evaluateChecks,
  );
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
