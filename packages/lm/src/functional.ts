import { LabError, activation, tf } from '@lab/core';

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

/**
 * The activations of Hugging Face's `ACT2FN` (transformers `activations.py`) that `hidden_act` (LLaMA,
 * Mistral, Qwen2) and `activation_function` (GPT-2) may name, all implemented: `gelu` / `gelu_python`
 * (erf), `gelu_new` / `gelu_pytorch_tanh` / `gelu_fast` / `gelu_accurate` (the same tanh form),
 * `gelu_10` (erf GELU clipped to [−10, 10]), `quick_gelu` (x·σ(1.702x)), `silu` / `swish`, `relu`,
 * `relu2` (relu²), `relu6`, `leaky_relu` (slope 0.01), `sigmoid`, `tanh`, `mish`, `laplace`, `linear`.
 * `prelu` and `xielu` carry learned parameters and are refused by the configuration readers.
 */
export const HF_ACTIVATIONS = [
  'gelu',
  'gelu_python',
  'gelu_new',
  'gelu_pytorch_tanh',
  'gelu_fast',
  'gelu_accurate',
  'gelu_10',
  'quick_gelu',
  'silu',
  'swish',
  'relu',
  'relu2',
  'relu6',
  'leaky_relu',
  'sigmoid',
  'tanh',
  'mish',
  'laplace',
  'linear',
] as const;

/** A Hugging Face activation name of {@link HF_ACTIVATIONS}. */
export type HfActivation = (typeof HF_ACTIVATIONS)[number];

/** Applies a Hugging Face activation by its `ACT2FN` name (see {@link HF_ACTIVATIONS}); elementwise, differentiable. */
export function hfActivation<T extends tf.Tensor>(name: HfActivation, x: T): T {
  return tf.tidy(() => {
    switch (name) {
      case 'gelu':
      case 'gelu_python':
        return activation('gelu', x);
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
      case 'gelu_fast':
      case 'gelu_accurate':
        return activation('gelu_tanh', x);
      case 'gelu_10':
        return tf.clipByValue(activation('gelu', x), -10, 10);
      case 'quick_gelu':
        return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
      case 'silu':
      case 'swish':
        return activation('silu', x);
      case 'relu':
        return tf.relu(x);
      case 'relu2':
        return tf.square(tf.relu(x));
      case 'relu6':
        return tf.relu6(x);
      case 'leaky_relu':
        return tf.leakyRelu(x, 0.01);
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'tanh':
        return tf.tanh(x);
      case 'mish':
        return tf.mul(x, tf.tanh(tf.softplus(x)));
      case 'laplace': // 0.5·(1 + erf((x − μ) / (σ√2))), μ = 0.707107, σ = 0.282095
        return tf.mul(tf.add(tf.erf(tf.div(tf.sub(x, 0.707107), 0.282095 * Math.SQRT2)), 1), 0.5);
      case 'linear':
        return tf.clone(x);
      default:
        throw new LabError(
          'UNSUPPORTED',
          `activation: expected one of ${HF_ACTIVATIONS.join(', ')}, got '${String(name)}'`,
        );
    }
  }) as T;
}

/** Checks an activation name read from `config.json` (`field` = `hidden_act` / `activation_function`). */
export function checkHfActivation(value: unknown, field: string, modelType: string): HfActivation {
  if (typeof value === 'string' && (HF_ACTIVATIONS as readonly string[]).includes(value)) return value as HfActivation;
  throw new LabError(
    'UNSUPPORTED',
    `config.json: ${field}: expected one of ${HF_ACTIVATIONS.join(', ')} for ${modelType}, got ${JSON.stringify(value)}`,
  );
}
