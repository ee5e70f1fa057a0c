import { Module, Rng, tf, torchDefaultWeightInit, uniformInit } from '@lab/core';
import type { GraphStructure } from '../graph.js';
import { propagate } from '../message-passing.js';
import { checkLayerConfig, checkWeight, linear, type GraphLayerConfig } from './layer-config.js';

/** Weights of {@link ginConv}'s MLP (Lin → ReLU → Lin): `w1` [F, H], `b1` [H], `w2` [H, H'], `b2` [H']. */
export interface GINConvParams {
  w1: tf.Tensor2D;
  b1?: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2?: tf.Tensor1D;
}

/**
 * GIN's aggregation before the MLP: `(1 + ε) x_i + Σ_{(j→i)} w_ji x_j` — [N, F]. No loops are added;
 * an existing loop `i → i` is an ordinary edge of the sum (as PyG `GINConv`).
 */
export function ginAggregate(
  x: tf.Tensor2D,
  g: GraphStructure,
  options: { eps?: number; edgeWeight?: tf.Tensor1D } = {},
): tf.Tensor2D {
  const { eps = 0 } = options;
  return tf.tidy(() => tf.add(tf.mul(x, 1 + eps), propagate(x, g, options.edgeWeight)));
}

/**
 * GIN layer (Xu et al., ICLR 2019, "How Powerful are Graph Neural Networks?", eq. 4.1) with edge weights:
 * `h_i = MLP((1 + ε) x_i + Σ_{(j→i)} w_ji x_j)`, MLP = Lin → ReLU → Lin; ε = 0 is GIN-0. x [N, F] → [N, H'].
 */
export function ginConv(
  x: tf.Tensor2D,
  g: GraphStructure,
  params: GINConvParams,
  options: { eps?: number; edgeWeight?: tf.Tensor1D } = {},
): tf.Tensor2D {
  checkWeight(params.w1, x.shape[1], 'ginConv w1');
  checkWeight(params.w2, params.w1.shape[1], 'ginConv w2');
  return tf.tidy(() =>
    linear(tf.relu(linear(ginAggregate(x, g, options), params.w1, params.b1)), params.w2, params.b2),
  );
}

/** Trainable {@link ginConv}: MLP inDim → hidden (default outDim) → outDim with PyTorch Linear init; ε fixed. */
export class GINConv extends Module {
  readonly w1: tf.Variable;
  readonly b1: tf.Variable;
  readonly w2: tf.Variable;
  readonly b2: tf.Variable;
  readonly eps: number;
  constructor(readonly cfg: GraphLayerConfig & { hidden?: number; eps?: number }) {
    super();
    checkLayerConfig(cfg, 'GINConv');
    const rng = new Rng(cfg.seed);
    const hidden = cfg.hidden ?? cfg.outDim;
    this.eps = cfg.eps ?? 0;
    const b1 = 1 / Math.sqrt(cfg.inDim);
    const b2 = 1 / Math.sqrt(hidden);
    this.w1 = this.addParameter('w1', torchDefaultWeightInit([cfg.inDim, hidden], rng));
    this.b1 = this.addParameter('b1', uniformInit([hidden], rng, -b1, b1));
    this.w2 = this.addParameter('w2', torchDefaultWeightInit([hidden, cfg.outDim], rng));
    this.b2 = this.addParameter('b2', uniformInit([cfg.outDim], rng, -b2, b2));
  }
  /** x [N, inDim] → [N, outDim]. */
  forward(x: tf.Tensor2D, g: GraphStructure, edgeWeight?: tf.Tensor1D): tf.Tensor2D {
    const p = {
      w1: this.w1 as tf.Tensor2D,
      b1: this.b1 as tf.Tensor1D,
      w2: this.w2 as tf.Tensor2D,
      b2: this.b2 as tf.Tensor1D,
    };
    return ginConv(x, g, p, { eps: this.eps, edgeWeight });
  }
}
