import { Module, Rng, tf, xavierUniformInit } from '@lab/core';
import type { GraphStructure } from '../graph.js';
import { propagateMean } from '../message-passing.js';
import { checkLayerConfig, checkWeight, linear, optional, type GraphLayerConfig } from './layer-config.js';

/** Weights of {@link sageConv}: `weightNeigh` [F, H] on the neighbour mean (with `bias` [H]) and `weightRoot` [F, H] on the node itself. */
export interface SAGEConvParams {
  weightNeigh: tf.Tensor2D;
  weightRoot: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

/**
 * GraphSAGE-mean layer (Hamilton et al., NeurIPS 2017, "Inductive Representation Learning on Large
 * Graphs", Alg. 1 with the mean aggregator, PyG `SAGEConv` form): `h_i = W_n · mean_{(j→i)} w_ji x_j + b + W_r x_i`.
 * The mean divides by the edge count, so an edge weight below 1 lowers that neighbour's share. No loops
 * are added (the root weight plays their part); an existing loop `i → i` is an ordinary edge of the mean,
 * as in PyG. `normalize` applies an L2 normalisation to the output rows. x [N, F] → [N, H].
 */
export function sageConv(
  x: tf.Tensor2D,
  g: GraphStructure,
  params: SAGEConvParams,
  options: { edgeWeight?: tf.Tensor1D; normalize?: boolean } = {},
): tf.Tensor2D {
  checkWeight(params.weightNeigh, x.shape[1], 'sageConv weightNeigh');
  checkWeight(params.weightRoot, x.shape[1], 'sageConv weightRoot');
  return tf.tidy(() => {
    const out = tf.add(
      linear(propagateMean(x, g, options.edgeWeight), params.weightNeigh, params.bias),
      tf.matMul(x, params.weightRoot),
    ) as tf.Tensor2D;
    return options.normalize
      ? (tf.div(out, tf.maximum(tf.norm(out, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D)
      : out;
  });
}

/** Trainable {@link sageConv} (mean aggregator). */
export class SAGEConv extends Module {
  readonly weightNeigh: tf.Variable;
  readonly weightRoot: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly normalize: boolean;
  constructor(readonly cfg: GraphLayerConfig & { normalize?: boolean }) {
    super();
    checkLayerConfig(cfg, 'SAGEConv');
    const rng = new Rng(cfg.seed);
    this.normalize = cfg.normalize ?? false;
    this.weightNeigh = this.addParameter('weight_neigh', xavierUniformInit([cfg.inDim, cfg.outDim], rng));
    this.weightRoot = this.addParameter('weight_root', xavierUniformInit([cfg.inDim, cfg.outDim], rng));
    this.bias = cfg.bias === false ? null : this.addParameter('bias', tf.zeros([cfg.outDim]));
  }
  /** x [N, inDim] → [N, outDim]. */
  forward(x: tf.Tensor2D, g: GraphStructure, edgeWeight?: tf.Tensor1D): tf.Tensor2D {
    const p = {
      weightNeigh: this.weightNeigh as tf.Tensor2D,
      weightRoot: this.weightRoot as tf.Tensor2D,
      bias: optional<tf.Tensor1D>(this.bias),
    };
    return sageConv(x, g, p, { edgeWeight, normalize: this.normalize });
  }
}
