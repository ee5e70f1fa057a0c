import { LabError, assertInRange } from '../errors.js';

/** A learning-rate schedule: the lr to use for the step with this 0-based index. */
export type LrSchedule = (step: number) => number;

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0)
    throw new LabError('OUT_OF_RANGE', `step: expected a non-negative integer, got ${step}`);
}

/** A constant learning rate. */
export function constantLr(lr: number): LrSchedule {
  assertInRange(lr, 'lr', { min: 0 });
  return (step) => {
    checkStep(step);
    return lr;
  };
}

export interface StepLrOptions {
  lr: number;
  /** Decay every `stepSize` steps (or epochs, if you call the schedule per epoch). */
  stepSize: number;
  /** Multiplicative decay (PyTorch default 0.1). */
  gamma?: number;
}

/** PyTorch `StepLR`: lr · γ^⌊t / stepSize⌋. */
export function stepLr(options: StepLrOptions): LrSchedule {
  const { lr, stepSize, gamma = 0.1 } = options;
  assertInRange(lr, 'lr', { min: 0 });
  assertInRange(stepSize, 'stepSize', { min: 1, integer: true });
  assertInRange(gamma, 'gamma', { min: 0 });
  return (step) => {
    checkStep(step);
    return lr * gamma ** Math.floor(step / stepSize);
  };
}

export interface CosineLrOptions {
  lr: number;
  /** Steps of one half cosine (PyTorch `T_max`). */
  totalSteps: number;
  /** Floor η_min (default 0). */
  minLr?: number;
  /** Linear warm-up steps from 0 before the cosine starts (default 0). */
  warmupSteps?: number;
}

/**
 * Cosine annealing (Loshchilov & Hutter, 2017; PyTorch `CosineAnnealingLR` closed form):
 * η_t = η_min + (lr − η_min)(1 + cos(π t / T)) / 2, held at η_min after T.
 * With `warmupSteps = w` (HF `get_cosine_schedule_with_warmup`): lr · t / w for t < w, then the cosine
 * over the remaining T − w steps.
 */
export function cosineLr(options: CosineLrOptions): LrSchedule {
  const { lr, totalSteps, minLr = 0, warmupSteps = 0 } = options;
  assertInRange(lr, 'lr', { min: 0 });
  assertInRange(totalSteps, 'totalSteps', { min: 1, integer: true });
  assertInRange(minLr, 'minLr', { min: 0, max: lr });
  assertInRange(warmupSteps, 'warmupSteps', { min: 0, max: totalSteps - 1, integer: true });
  return (step) => {
    checkStep(step);
    if (step < warmupSteps) return (lr * step) / warmupSteps;
    const progress = Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
    return minLr + ((lr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

export interface LinearWarmupOptions {
  lr: number;
  warmupSteps: number;
  /** When given, decay linearly from lr to `endLr` at `totalSteps` (HF `get_linear_schedule_with_warmup`). */
  totalSteps?: number;
  /** Final lr of the decay (default 0). */
  endLr?: number;
}

/**
 * Linear warm-up lr · t / w for t < w; then constant, or (with `totalSteps` T) a linear decay
 * lr + (endLr − lr)(t − w)/(T − w), held at endLr after T.
 */
export function linearWarmupLr(options: LinearWarmupOptions): LrSchedule {
  const { lr, warmupSteps, totalSteps, endLr = 0 } = options;
  assertInRange(lr, 'lr', { min: 0 });
  assertInRange(warmupSteps, 'warmupSteps', { min: 0, integer: true });
  if (totalSteps !== undefined) assertInRange(totalSteps, 'totalSteps', { min: warmupSteps + 1, integer: true });
  assertInRange(endLr, 'endLr', { min: 0 });
  return (step) => {
    checkStep(step);
    if (step < warmupSteps) return (lr * step) / warmupSteps;
    if (totalSteps === undefined) return lr;
    const progress = Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
    return lr + (endLr - lr) * progress;
  };
}
