import { activation, tf } from '@lab/core';

// The blocks as plain functions, for callers outside the modules. The models themselves use core's
// `RMSNorm` / `LayerNorm` modules and `activation('silu' | 'gelu_tanh', x)`, which compute the same ops.

/** RMSNorm (Zhang & Sennrich 2019): x / √(mean(x²) + ε) · w over the last axis. */
export function rmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor, eps: number): T {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight)) as T;
}

/** LayerNorm (Ba et al. 2016) over the last axis with biased variance, as in PyTorch. */
export function layerNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor, bias: tf.Tensor, eps: number): T {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true); // [..., 1]
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true); // [..., 1]
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), weight), bias);
  }) as T;
}

/** SiLU x·σ(x) (the SwiGLU gate activation). */
export function silu<T extends tf.Tensor>(x: T): T {
  return activation('silu', x) as T;
}

/** GPT-2's tanh GELU ("gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluNew<T extends tf.Tensor>(x: T): T {
  return activation('gelu_tanh', x) as T;
}
