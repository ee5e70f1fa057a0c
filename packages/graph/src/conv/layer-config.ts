import { LabError, tf } from '@lab/core';

/*
 * What every layer file in conv/ shares: the layer config, its check, the weight-shape check and x @ W + b.
 */

/** Shape and seed of a graph layer. */
export interface GraphLayerConfig {
  inDim: number;
  outDim: number;
  /** Seed of the initialisation (Glorot-uniform weights as PyG, zero biases). */
  seed: number;
  /** Add a bias (true). */
  bias?: boolean;
}

export function checkLayerConfig(cfg: GraphLayerConfig, name: string): void {
  for (const key of ['inDim', 'outDim'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1)
      throw new LabError('OUT_OF_RANGE', `${name} ${key}: expected a positive integer, got ${cfg[key]}`);
  }
}

export function checkWeight(weight: tf.Tensor, rows: number, name: string): void {
  if (weight.rank !== 2 || weight.shape[0] !== rows) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected shape [${rows}, *] (rows = input features), got [${weight.shape.join(', ')}]`,
    );
  }
}

/** `x @ W (+ b)` — [N, H]. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, weight) as tf.Tensor2D;
  return bias ? (tf.add(y, bias) as tf.Tensor2D) : y;
}

/** A Module's optional variable as the optional tensor the functional forms take. */
export function optional<T extends tf.Tensor>(v: tf.Variable | null): T | undefined {
  return (v ?? undefined) as T | undefined;
}
