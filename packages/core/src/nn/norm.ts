import * as tf from '@tensorflow/tfjs';
import { LabError, assertInRange } from '../errors.js';
import { type Layer, Module } from './module.js';

function checkLastDim(x: tf.Tensor, dim: number, name = 'x'): void {
  if (x.rank < 1 || x.shape[x.rank - 1] !== dim) {
    throw new LabError('SHAPE_MISMATCH', `${name}: expected shape [..., ${dim}], got [${x.shape.join(', ')}]`);
  }
}

export interface LayerNormOptions {
  /** Added to the variance (PyTorch default 1e-5). */
  eps?: number;
  /** Learn `weight` (ones) and `bias` (zeros) (default true). */
  elementwiseAffine?: boolean;
  /** Learn the bias when affine (default true; false as in some LMs). */
  bias?: boolean;
}

/**
 * Layer normalisation over the last dimension (Ba et al., 2016; PyTorch `nn.LayerNorm(dim)`):
 * y = (x − mean) / sqrt(var + eps) · weight + bias, with the biased variance.
 */
export class LayerNorm extends Module implements Layer {
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: LayerNormOptions = {},
  ) {
    super();
    assertInRange(dim, 'dim', { min: 1, integer: true });
    const { eps = 1e-5, elementwiseAffine = true, bias = true } = options;
    assertInRange(eps, 'eps', { min: 0 });
    this.eps = eps;
    this.weight = elementwiseAffine ? this.addParameter('weight', tf.ones([dim])) : null;
    this.bias = elementwiseAffine && bias ? this.addParameter('bias', tf.zeros([dim])) : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim(x, this.dim);
    return tf.tidy(() => {
      const mean = x.mean(-1, true); // [..., 1]
      const centred = x.sub(mean);
      const variance = centred.square().mean(-1, true); // biased, as PyTorch
      let y = centred.mul(variance.add(this.eps).rsqrt());
      if (this.weight) y = y.mul(this.weight);
      if (this.bias) y = y.add(this.bias);
      return y;
    });
  }
}

export interface RmsNormOptions {
  /** Added to the mean square (LLaMA uses 1e-6; default 1e-6). */
  eps?: number;
}

/**
 * Root-mean-square normalisation over the last dimension (Zhang & Sennrich, 2019; HF `LlamaRMSNorm`):
 * y = x / sqrt(mean(x²) + eps) · weight, weight initialised to ones.
 */
export class RMSNorm extends Module implements Layer {
  readonly weight: tf.Variable;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: RmsNormOptions = {},
  ) {
    super();
    assertInRange(dim, 'dim', { min: 1, integer: true });
    const { eps = 1e-6 } = options;
    assertInRange(eps, 'eps', { min: 0 });
    this.eps = eps;
    this.weight = this.addParameter('weight', tf.ones([dim]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim(x, this.dim);
    return tf.tidy(() => x.mul(x.square().mean(-1, true).add(this.eps).rsqrt()).mul(this.weight));
  }
}

export interface BatchNormOptions {
  /** Running-statistics update rate: running = (1 − momentum)·running + momentum·batch (PyTorch 0.1). */
  momentum?: number;
  /** Added to the variance (PyTorch 1e-5). */
  eps?: number;
  /** Learn `weight` (ones) and `bias` (zeros) (default true). */
  affine?: boolean;
  /** Keep `running_mean` / `running_var` buffers and use them in eval mode (default true). */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over every axis but the last (channels last): [N, C] for BatchNorm1d, [N, H, W, C]
 * for BatchNorm2d (Ioffe & Szegedy, 2015), with PyTorch semantics:
 * - training: normalise with the batch mean and the *biased* batch variance; update the running mean
 *   with the batch mean and the running variance with the *unbiased* batch variance;
 * - eval: normalise with the running statistics (batch statistics when trackRunningStats = false).
 * Buffers are named `running_mean`, `running_var` and `num_batches_tracked` as in PyTorch state dicts.
 */
export class BatchNorm extends Module implements Layer {
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;
  readonly runningMean: tf.Variable | null;
  readonly runningVar: tf.Variable | null;
  /** Training batches seen (PyTorch's `num_batches_tracked`; int32 here, I64 in PyTorch files). */
  readonly numBatchesTracked: tf.Variable | null;
  readonly momentum: number;
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions = {},
    private readonly ranks: readonly number[] = [2, 3, 4],
  ) {
    super();
    assertInRange(numFeatures, 'numFeatures', { min: 1, integer: true });
    const { momentum = 0.1, eps = 1e-5, affine = true, trackRunningStats = true } = options;
    assertInRange(momentum, 'momentum', { min: 0, max: 1 });
    assertInRange(eps, 'eps', { min: 0 });
    this.momentum = momentum;
    this.eps = eps;
    this.weight = affine ? this.addParameter('weight', tf.ones([numFeatures])) : null;
    this.bias = affine ? this.addParameter('bias', tf.zeros([numFeatures])) : null;
    this.runningMean = trackRunningStats ? this.addBuffer('running_mean', tf.zeros([numFeatures])) : null;
    this.runningVar = trackRunningStats ? this.addBuffer('running_var', tf.ones([numFeatures])) : null;
    this.numBatchesTracked = trackRunningStats ? this.addBuffer('num_batches_tracked', tf.scalar(0, 'int32')) : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.ranks.includes(x.rank) || x.shape[x.rank - 1] !== this.numFeatures) {
      const want = this.ranks.map((r) => `[${[...Array(r - 1).fill('*'), this.numFeatures].join(', ')}]`).join(' or ');
      throw new LabError('SHAPE_MISMATCH', `x: expected shape ${want}, got [${x.shape.join(', ')}]`);
    }
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const count = x.size / this.numFeatures;
    const useBatchStats = this.training || this.runningMean === null;
    if (useBatchStats && this.training && count <= 1) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `x: expected more than 1 value per channel in training mode, got shape [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (useBatchStats) {
        const m = tf.moments(x, axes); // biased variance
        mean = m.mean;
        variance = m.variance;
        if (this.training && this.runningMean && this.runningVar) {
          const mom = this.momentum;
          // Running statistics are bookkeeping: assignments are not recorded, so no gradient flows here.
          this.runningMean.assign(this.runningMean.mul(1 - mom).add(mean.mul(mom)));
          this.runningVar.assign(this.runningVar.mul(1 - mom).add(variance.mul((mom * count) / (count - 1))));
          this.numBatchesTracked?.assign(this.numBatchesTracked.add(tf.scalar(1, 'int32')));
        }
      } else {
        mean = this.runningMean!;
        variance = this.runningVar!;
      }
      let y = x.sub(mean).mul(variance.add(this.eps).rsqrt());
      if (this.weight) y = y.mul(this.weight);
      if (this.bias) y = y.add(this.bias);
      return y;
    });
  }
}

/** BatchNorm over [N, C] (PyTorch `nn.BatchNorm1d` on 2-D input). */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [2]);
  }
}

/** BatchNorm over [N, H, W, C] (PyTorch `nn.BatchNorm2d`, channels last). */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [4]);
  }
}
