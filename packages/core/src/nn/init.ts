import * as tf from '@tensorflow/tfjs';
import { LabError } from '../errors.js';
import type { Rng } from '../random.js';

/**
 * Seeded weight initialisers. Every draw comes from core's {@link Rng} on the JS side, so the same
 * seed gives bit-identical weights on every backend. Fans follow PyTorch's `_calculate_fan_in_and_fan_out`
 * for PyTorch layouts, adapted to ours: a Linear weight here is [in, out] and a Conv2d filter is
 * [kh, kw, in, out] (tfjs layouts), so fanIn = in · kh · kw and fanOut = out · kh · kw either way.
 */
export type Nonlinearity = 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'selu';

/** fan-in and fan-out of a weight in tfjs layout: [in, out] or [kh, kw, in, out] (also [in] → fan 1·in). */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new LabError('SHAPE_MISMATCH', `shape: fan in/out needs a weight of rank >= 2, got [${shape.join(', ')}]`);
  }
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = shape[shape.length - 2]! * receptive;
  const fanOut = shape[shape.length - 1]! * receptive;
  return { fanIn, fanOut };
}

/** PyTorch's `calculate_gain`. `param` is the negative slope for leaky_relu (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new LabError(
        'INVALID_ARGUMENT',
        `nonlinearity: expected one of linear, relu, leaky_relu, tanh, sigmoid, selu, got '${String(nonlinearity)}'`,
      );
  }
}

function size(shape: readonly number[]): number {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new LabError(
        'INVALID_ARGUMENT',
        `shape: expected non-negative integer dimensions, got [${shape.join(', ')}]`,
      );
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** U(low, high) draws as a float32 tensor. */
export function uniformInit(shape: readonly number[], rng: Rng, low = -0.05, high = 0.05): tf.Tensor {
  return tf.tensor(rng.uniformArray(size(shape), low, high), [...shape], 'float32');
}

/** N(mean, std²) draws as a float32 tensor (PyTorch `nn.init.normal_`). */
export function normalInit(shape: readonly number[], rng: Rng, std = 1, mean = 0): tf.Tensor {
  return tf.tensor(rng.normalArray(size(shape), mean, std), [...shape], 'float32');
}

/** N(mean, std²) truncated to [mean − 2std, mean + 2std] by redrawing (as HF/timm `trunc_normal_` with a = −2std, b = 2std). */
export function truncatedNormalInit(shape: readonly number[], rng: Rng, std = 1, mean = 0): tf.Tensor {
  const n = size(shape);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = mean + std * z;
  }
  return tf.tensor(out, [...shape], 'float32');
}

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (PyTorch `a`); used with leaky_relu. */
  a?: number;
  /** 'fanIn' preserves the forward variance (default), 'fanOut' the backward one. */
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

/** He et al. (2015) uniform: U(−b, b), b = gain · sqrt(3 / fan). Defaults as PyTorch: a = 0, fanIn, leaky_relu. */
export function kaimingUniformInit(shape: readonly number[], rng: Rng, options: KaimingOptions = {}): tf.Tensor {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' } = options;
  const fans = computeFans(shape);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  const bound = calculateGain(nonlinearity, a) * Math.sqrt(3 / Math.max(1, fan));
  return uniformInit(shape, rng, -bound, bound);
}

/** He et al. (2015) normal: N(0, std²), std = gain / sqrt(fan). Defaults as PyTorch. */
export function kaimingNormalInit(shape: readonly number[], rng: Rng, options: KaimingOptions = {}): tf.Tensor {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' } = options;
  const fans = computeFans(shape);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  return normalInit(shape, rng, calculateGain(nonlinearity, a) / Math.sqrt(Math.max(1, fan)));
}

/** Glorot & Bengio (2010) uniform: U(−b, b), b = gain · sqrt(6 / (fanIn + fanOut)). */
export function xavierUniformInit(shape: readonly number[], rng: Rng, gain = 1): tf.Tensor {
  const { fanIn, fanOut } = computeFans(shape);
  const bound = gain * Math.sqrt(6 / Math.max(1, fanIn + fanOut));
  return uniformInit(shape, rng, -bound, bound);
}

/** Glorot & Bengio (2010) normal: N(0, std²), std = gain · sqrt(2 / (fanIn + fanOut)). */
export function xavierNormalInit(shape: readonly number[], rng: Rng, gain = 1): tf.Tensor {
  const { fanIn, fanOut } = computeFans(shape);
  return normalInit(shape, rng, gain * Math.sqrt(2 / Math.max(1, fanIn + fanOut)));
}

/** A named initialiser for layer options: draws a tensor of `shape` from `rng`. */
export type Initializer = (shape: readonly number[], rng: Rng) => tf.Tensor;

/** PyTorch's default Linear/Conv weight init: kaiming_uniform with a = √5, i.e. U(±1/√fanIn). */
export const torchDefaultWeightInit: Initializer = (shape, rng) => kaimingUniformInit(shape, rng, { a: Math.sqrt(5) });
