import { LabError, assertInRange, tf } from '@lab/core';
import type { RopeScaling } from './config.js';

/** Inverse frequencies of a rotary embedding and the factor its cos/sin are multiplied by (YaRN only). */
export interface RopeFrequencies {
  invFreq: Float64Array;
  attentionFactor: number;
}

/**
 * Rotary inverse frequencies θ_i = base^(−2i/d), i < d/2, with Hugging Face `rope_scaling`
 * (transformers `modeling_rope_utils.py`; Su et al. 2021 RoFormer eq. 15; Chen et al. 2023 position
 * interpolation; bloc97 dynamic NTK; Peng et al. 2023 YaRN eq. 19–23; Llama 3.1 scaling).
 *
 * `seqLen` matters only for `dynamic`: the base grows once the sequence exceeds the original context.
 * Computed in float64 on the host; the result is small (d/2 numbers).
 */
export function ropeFrequencies(
  headDim: number,
  base: number,
  scaling: RopeScaling | null = null,
  seqLen = 0,
  maxPositionEmbeddings = 0,
): RopeFrequencies {
  assertInRange(headDim, 'headDim', { min: 2, integer: true });
  if (headDim % 2 !== 0) throw new LabError('INVALID_ARGUMENT', `headDim: expected an even number, got ${headDim}`);
  assertInRange(base, 'base', { min: 0, minExclusive: true });
  const half = headDim / 2;
  const freqs = (b: number) => Float64Array.from({ length: half }, (_, i) => 1 / b ** ((2 * i) / headDim));
  if (!scaling) return { invFreq: freqs(base), attentionFactor: 1 };
  const { factor } = scaling;
  switch (scaling.type) {
    case 'linear':
      // Position interpolation: positions / factor, i.e. every frequency / factor.
      return { invFreq: freqs(base).map((f) => f / factor), attentionFactor: 1 };
    case 'dynamic': {
      const original = scaling.originalMaxPositionEmbeddings ?? maxPositionEmbeddings;
      if (!(seqLen > original)) return { invFreq: freqs(base), attentionFactor: 1 };
      // NTK-aware base rescaling, recomputed from the current length (HF _compute_dynamic_ntk_parameters).
      const scaledBase = base * ((factor * seqLen) / original - (factor - 1)) ** (headDim / (headDim - 2));
      return { invFreq: freqs(scaledBase), attentionFactor: 1 };
    }
    case 'yarn': {
      const original = scaling.originalMaxPositionEmbeddings ?? maxPositionEmbeddings;
      if (!(original > 0))
        throw new LabError('INVALID_ARGUMENT', 'ropeScaling.originalMaxPositionEmbeddings: required for YaRN');
      const getMscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
      let attentionFactor = scaling.attentionFactor;
      if (attentionFactor === undefined) {
        attentionFactor =
          scaling.mscale && scaling.mscaleAllDim
            ? getMscale(factor, scaling.mscale) / getMscale(factor, scaling.mscaleAllDim)
            : getMscale(factor);
      }
      const betaFast = scaling.betaFast ?? 32;
      const betaSlow = scaling.betaSlow ?? 1;
      // Dimension index at which a frequency completes `rotations` turns over the original context.
      const correctionDim = (rotations: number) =>
        (headDim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
      let low = correctionDim(betaFast);
      let high = correctionDim(betaSlow);
      if (scaling.truncate !== false) {
        low = Math.floor(low);
        high = Math.ceil(high);
      }
      low = Math.max(low, 0);
      high = Math.min(high, headDim - 1);
      if (low === high) high += 0.001;
      const extrapolation = freqs(base);
      const out = new Float64Array(half);
      for (let i = 0; i < half; i++) {
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrapolationWeight = 1 - ramp; // high frequencies keep their original value
        out[i] = (extrapolation[i]! / factor) * (1 - extrapolationWeight) + extrapolation[i]! * extrapolationWeight;
      }
      return { invFreq: out, attentionFactor };
    }
    case 'llama3': {
      const { lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: oldLen } = scaling;
      const lowFreqWavelen = oldLen / lowFreqFactor;
      const highFreqWavelen = oldLen / highFreqFactor;
      const out = freqs(base).map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highFreqWavelen) return f; // high frequencies untouched
        if (wavelen > lowFreqWavelen) return f / factor; // low frequencies interpolated
        const smooth = (oldLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * (f / factor) + smooth * f;
      });
      return { invFreq: out, attentionFactor: 1 };
    }
    default:
      throw new LabError(
        'UNSUPPORTED',
        `ropeScaling.type: expected linear, dynamic, yarn or llama3, got '${(scaling as { type: string }).type}'`,
      );
  }
}

/**
 * cos/sin tables for the given positions in the HF "rotate_half" layout: frequency i fills columns
 * i and i + d/2. Returns two `[T, d]` float32 tensors (already multiplied by the attention factor).
 */
export function ropeCosSin(
  positions: ArrayLike<number>,
  freqs: RopeFrequencies,
): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = freqs.invFreq.length;
  const d = 2 * half;
  const T = positions.length;
  const cos = new Float32Array(T * d);
  const sin = new Float32Array(T * d);
  for (let t = 0; t < T; t++) {
    const p = positions[t]!;
    for (let i = 0; i < half; i++) {
      const angle = p * freqs.invFreq[i]!; // float64 angle, so large positions stay accurate
      const c = Math.cos(angle) * freqs.attentionFactor;
      const s = Math.sin(angle) * freqs.attentionFactor;
      cos[t * d + i] = c;
      cos[t * d + i + half] = c;
      sin[t * d + i] = s;
      sin[t * d + i + half] = s;
    }
  }
  return { cos: tf.tensor2d(cos, [T, d]), sin: tf.tensor2d(sin, [T, d]) };
}

/** rotate_half(x) = concat(−x[..., d/2:], x[..., :d/2]) on the last axis (slice, not strided slice: it has a gradient). */
export function rotateHalf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = x.shape[x.rank - 1]!;
    const [first, second] = tf.split(x, [d / 2, d / 2], x.rank - 1);
    return tf.concat([tf.neg(second!), first!], x.rank - 1);
  });
}

/** The signed permutation R with x·R = rotate_half(x) for rows x of width d. */
function rotateHalfMatrix(d: number): tf.Tensor2D {
  const half = d / 2;
  const r = new Float32Array(d * d);
  for (let j = 0; j < half; j++) {
    r[j * d + (j + half)] = 1; // output column j + half takes  x_j
    r[(j + half) * d + j] = -1; // output column j takes −x_{j + half}
  }
  return tf.tensor2d(r, [d, d]);
}

/**
 * Applies rotary position embedding: x·cos + rotate_half(x)·sin (HF `apply_rotary_pos_emb`).
 * `x` is `[..., T, d]`; `cos`/`sin` are `[T, d]` and broadcast over the leading axes. rotate_half is
 * one product with a signed permutation (cheaper on WASM than split + neg + concat).
 */
export function applyRope<T extends tf.Tensor>(x: T, cos: tf.Tensor2D, sin: tf.Tensor2D): T {
  return tf.tidy(() => {
    const d = x.shape[x.rank - 1]!;
    const rotated = tf.reshape(tf.matMul(tf.reshape(x, [-1, d]) as tf.Tensor2D, rotateHalfMatrix(d)), x.shape);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  }) as T;
}
