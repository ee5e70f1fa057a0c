import * as tf from '@tensorflow/tfjs';
import { valueAndGrads } from '../autograd.js';
import { LabError, assertInRange } from '../errors.js';
import type { Module } from '../nn/module.js';
import { clipByGlobalNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LrSchedule } from '../optim/schedule.js';
import type { ProgressEvent } from '../report.js';
import { checkOutputPath } from '../cli/paths.js';
import { loadCheckpoint, readCheckpointMeta, saveCheckpoint } from './checkpoint.js';
import { type ProgressMode, ProgressReporter } from './progress.js';

/** What a step callback sees. */
export interface StepInfo {
  epoch: number;
  /** Steps completed so far (1 after the first step). */
  step: number;
  loss: number;
  lr: number;
  /** Global gradient norm before clipping (only when `clipNorm` is set). */
  gradNorm?: number;
}

/** One finished epoch. */
export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  steps: number;
  /** What `validate` returned for this epoch ({} without validate). */
  metrics: Record<string, number>;
}

export interface FitCallbacks {
  /** After each optimizer step; return 'stop' to end training. */
  onStepEnd?: (info: StepInfo) => void | 'stop';
  /** After each epoch (and validation); return 'stop' to end training. */
  onEpochEnd?: (record: EpochRecord) => void | 'stop' | Promise<void | 'stop'>;
}

export interface EarlyStoppingOptions {
  /** Metric returned by `validate` to watch (default 'loss' from validate, else the training loss). */
  monitor?: string;
  /** Epochs without improvement before stopping. */
  patience: number;
  /** 'min' (default) for losses, 'max' for accuracies. */
  mode?: 'min' | 'max';
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Load the best epoch's weights back when training ends (default false). */
  restoreBest?: boolean;
}

export interface CheckpointOptions {
  /** Folder holding `checkpoint.json` + safetensors files. */
  dir: string;
  /** Save every this many epochs (default 1); the final epoch is always saved. */
  everyEpochs?: number;
  /** Continue from the checkpoint in `dir` when there is one (default true). */
  resume?: boolean;
  /**
   * With `resume: false`, replace a checkpoint already in `dir` (default false: `fit` refuses to start rather
   * than overwrite it).
   */
  overwrite?: boolean;
}

export interface FitOptions<B> {
  /** The module being trained (mode switching, checkpoints, best-weights restore). */
  model: Module;
  optimizer: Optimizer;
  /**
   * Batches of one epoch; called once per epoch so it can reshuffle (e.g. with `rng.fork(epoch)`).
   * Prefer host arrays; tensors in batches stay the caller's to dispose (build them inside `loss`
   * and they are freed automatically).
   */
  data: (epoch: number) => Iterable<B>;
  /** Scalar loss of one batch; runs inside the gradient scope, so intermediates are freed. */
  loss: (batch: B, info: { epoch: number; step: number }) => tf.Scalar;
  /** Number of epochs (default 1). */
  epochs?: number;
  /** Stop after this many optimizer steps in total (may end mid-epoch). */
  steps?: number;
  /** Steps per epoch, for progress totals when `data` is not an array. */
  stepsPerEpoch?: number;
  /** Learning rate per step (0-based global step index), written into `optimizer.lr` before each step. */
  schedule?: LrSchedule;
  /** Clip gradients to this global L2 norm (PyTorch clip_grad_norm_ semantics). */
  clipNorm?: number;
  /** Validation after each epoch (model in eval mode): a number (reported as `loss`) or named metrics. */
  validate?: (epoch: number) => number | Record<string, number> | Promise<number | Record<string, number>>;
  earlyStopping?: EarlyStoppingOptions;
  checkpoint?: CheckpointOptions;
  callbacks?: FitCallbacks;
  /** Progress display: 'auto' (bar on a TTY, JSON lines otherwise; default), 'bar', 'jsonl', 'none'. */
  progress?: ProgressMode;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** JSON-lines step records every this many steps (default 0: epoch records only). */
  jsonlEverySteps?: number;
  onProgress?: (event: ProgressEvent) => void;
  /** Label shown in progress output (default 'train'). */
  label?: string;
}

export interface FitResult {
  history: EpochRecord[];
  /** Optimizer steps taken in total (including steps before a resume). */
  steps: number;
  stoppedEarly: boolean;
  /** Epoch with the best monitored value (with earlyStopping), else null. */
  bestEpoch: number | null;
  bestValue: number | null;
  /** Epoch the run resumed after (null for a fresh run). */
  resumedFrom: number | null;
}

/**
 * A small PyTorch-Lightning-like training loop: epochs or a step budget, an LR schedule, gradient
 * clipping, validation, early stopping, atomic checkpoints with resume, and progress as a bar (TTY)
 * or JSON lines. Every step's tensors are freed: `tf.memory().numTensors` stays flat (tested over 100 steps).
 *
 * @example
 * const result = await fit({ model, optimizer: new Adam(model, { lr: 1e-3 }), epochs: 5,
 *   data: (epoch) => batches(rng.fork(epoch)),
 *   loss: ({ x, y }) => tf.losses.softmaxCrossEntropy(y, model.forward(x)) as tf.Scalar });
 */
export async function fit<B>(options: FitOptions<B>): Promise<FitResult> {
  const {
    model,
    optimizer,
    data,
    loss,
    epochs = 1,
    steps: maxSteps,
    schedule,
    clipNorm,
    validate,
    earlyStopping,
    checkpoint,
    callbacks = {},
    label = 'train',
  } = options;
  if (typeof loss !== 'function')
    throw new LabError('INVALID_ARGUMENT', 'loss: expected a function (batch) => scalar tensor');
  if (typeof data !== 'function')
    throw new LabError('INVALID_ARGUMENT', 'data: expected a function (epoch) => iterable of batches');
  assertInRange(epochs, 'epochs', { min: 1, integer: true });
  if (maxSteps !== undefined) assertInRange(maxSteps, 'steps', { min: 1, integer: true });
  if (clipNorm !== undefined) assertInRange(clipNorm, 'clipNorm', { min: 0, minExclusive: true });
  if (earlyStopping) assertInRange(earlyStopping.patience, 'earlyStopping.patience', { min: 0, integer: true });
  const everyEpochs = checkpoint?.everyEpochs ?? 1;
  if (checkpoint) {
    assertInRange(everyEpochs, 'checkpoint.everyEpochs', { min: 1, integer: true });
    // Before any work: the folder must be writable (not after the first epoch), and a fresh run never
    // replaces an existing checkpoint unless told to.
    checkOutputPath(checkpoint.dir, 'checkpoint.dir', { kind: 'dir' });
    if (checkpoint.resume === false && !checkpoint.overwrite && readCheckpointMeta(checkpoint.dir) !== null)
      throw new LabError(
        'INVALID_ARGUMENT',
        `checkpoint.dir: '${checkpoint.dir}' already holds a checkpoint; resume from it (resume: true), choose another folder, or pass overwrite: true to replace it`,
      );
  }

  const history: EpochRecord[] = [];
  let step = 0;
  let startEpoch = 0;
  let resumedFrom: number | null = null;
  let best: { epoch: number; value: number } | null = null;
  let sinceBest = 0;

  if (checkpoint && checkpoint.resume !== false) {
    const meta = loadCheckpoint(checkpoint.dir, { model, optimizer });
    if (meta) {
      step = meta.step;
      startEpoch = meta.epoch + 1;
      resumedFrom = meta.epoch;
      const extra = meta.extra as {
        history?: EpochRecord[];
        best?: { epoch: number; value: number } | null;
        sinceBest?: number;
      };
      history.push(...(extra.history ?? []));
      best = extra.best ?? null;
      sinceBest = extra.sinceBest ?? 0;
    }
  }

  let bestWeights: Record<string, tf.Tensor> | null = null;
  const totalSteps = maxSteps ?? (options.stepsPerEpoch !== undefined ? options.stepsPerEpoch * epochs : null);
  const reporter = new ProgressReporter({
    mode: options.progress,
    stream: options.progressStream,
    onProgress: options.onProgress,
    jsonlEverySteps: options.jsonlEverySteps,
    totalEpochs: epochs,
  });
  const trainable = () => model.namedParameters({ trainableOnly: true });
  let stoppedEarly = false;
  let stopRequested = false;

  try {
    for (let epoch = startEpoch; epoch < epochs && !stopRequested; epoch++) {
      if (maxSteps !== undefined && step >= maxSteps) break;
      model.train();
      let lossSum = 0;
      let epochSteps = 0;
      for (const batch of data(epoch)) {
        if (maxSteps !== undefined && step >= maxSteps) break;
        if (schedule) optimizer.lr = schedule(step);
        const params = trainable();
        const { value, grads } = valueAndGrads(() => loss(batch, { epoch, step }), params);
        let gradNorm: number | undefined;
        let lossValue: number;
        try {
          lossValue = value.dataSync()[0]!;
          if (!Number.isFinite(lossValue)) {
            throw new LabError(
              'NON_FINITE',
              `loss: expected a finite value, got ${lossValue} at epoch ${epoch}, step ${step} (lower the learning rate or set clipNorm)`,
            );
          }
          if (clipNorm !== undefined) {
            const clipped = clipByGlobalNorm(grads, clipNorm);
            gradNorm = clipped.norm;
            try {
              optimizer.step(clipped.grads);
            } finally {
              for (const g of Object.values(clipped.grads)) g?.dispose();
            }
          } else {
            optimizer.step(grads);
          }
        } finally {
          value.dispose();
          for (const g of Object.values(grads)) g?.dispose();
        }
        step++;
        epochSteps++;
        lossSum += lossValue;
        const info: StepInfo = {
          epoch,
          step,
          loss: lossValue,
          lr: optimizer.lr,
          ...(gradNorm !== undefined ? { gradNorm } : {}),
        };
        reporter.report({ stage: label, epoch, step, totalSteps, loss: lossValue, lr: optimizer.lr, event: 'step' });
        if (callbacks.onStepEnd?.(info) === 'stop') {
          stopRequested = true;
          break;
        }
      }
      if (epochSteps === 0) throw new LabError('EMPTY_INPUT', `data(${epoch}): expected at least one batch, got none`);

      let metrics: Record<string, number> = {};
      if (validate) {
        model.eval();
        const v = await validate(epoch);
        model.train();
        metrics = typeof v === 'number' ? { loss: v } : { ...v };
      }
      const record: EpochRecord = { epoch, loss: lossSum / epochSteps, steps: epochSteps, metrics };
      history.push(record);
      reporter.report({
        stage: label,
        epoch,
        step,
        totalSteps,
        loss: record.loss,
        lr: optimizer.lr,
        metrics,
        event: 'epoch',
      });

      if (earlyStopping) {
        const key = earlyStopping.monitor ?? 'loss';
        const value = key in metrics ? metrics[key]! : key === 'loss' ? record.loss : NaN;
        if (!Number.isFinite(value))
          throw new LabError(
            'NOT_FOUND',
            `earlyStopping.monitor: metric '${key}' not returned by validate (got ${Object.keys(metrics).join(', ') || 'none'})`,
          );
        const sign = earlyStopping.mode === 'max' ? -1 : 1;
        const delta = earlyStopping.minDelta ?? 0;
        if (best === null || sign * (best.value - value) > delta) {
          best = { epoch, value };
          sinceBest = 0;
          if (earlyStopping.restoreBest) {
            for (const t of Object.values(bestWeights ?? {})) t.dispose();
            bestWeights = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));
          }
        } else if (++sinceBest > earlyStopping.patience) {
          stoppedEarly = true;
          stopRequested = true;
        }
      }
      if ((await callbacks.onEpochEnd?.(record)) === 'stop') stopRequested = true;

      const lastEpoch = stopRequested || epoch === epochs - 1 || (maxSteps !== undefined && step >= maxSteps);
      if (checkpoint && ((epoch + 1) % everyEpochs === 0 || lastEpoch)) {
        saveCheckpoint(checkpoint.dir, { model, optimizer, epoch, step, extra: { history, best, sinceBest } });
      }
    }
    if (bestWeights && earlyStopping?.restoreBest) model.loadStateDict(bestWeights, { strict: false });
  } finally {
    reporter.stop();
    for (const t of Object.values(bestWeights ?? {})) t.dispose();
  }
  return {
    history,
    steps: step,
    stoppedEarly,
    bestEpoch: best?.epoch ?? null,
    bestValue: best?.value ?? null,
    resumedFrom,
  };
}
