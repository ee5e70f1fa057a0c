import * as tf from '@tensorflow/tfjs';
import { Conv2d } from './conv.js';
import { Linear } from './layers.js';
import type { Module } from './module.js';

/**
 * A `loadStateDict` / `load` transform that converts PyTorch layouts to ours for the module's own
 * layers: `Linear.weight` [out, in] → [in, out] and `Conv2d.weight` [out, in, kh, kw] → [kh, kw, in, out].
 * Everything else passes through (names already match: `weight`, `bias`, `running_mean`, …).
 *
 * @example
 * model.load('pytorch_model.safetensors', { transform: torchLayoutTransform(model) });
 */
export function torchLayoutTransform(module: Module): (name: string, tensor: tf.Tensor) => tf.Tensor {
  const kinds = new Map<string, 'linear' | 'conv'>();
  for (const [prefix, m] of module.namedModules()) {
    const key = prefix ? `${prefix}.weight` : 'weight';
    if (m instanceof Linear) kinds.set(key, 'linear');
    else if (m instanceof Conv2d) kinds.set(key, 'conv');
  }
  return (name, tensor) => {
    const kind = kinds.get(name);
    if (kind === 'linear' && tensor.rank === 2) return tf.transpose(tensor);
    if (kind === 'conv' && tensor.rank === 4) return tf.transpose(tensor, [2, 3, 1, 0]);
    return tensor;
  };
}
