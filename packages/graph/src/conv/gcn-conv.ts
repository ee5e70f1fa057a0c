import { Module, Rng, tf, xavierUniformInit } from '@lab/core';
import type { GraphStructure } from '../graph.js';
import { checkEdgeWeight, gatherNodes, propagate, segmentSum } from '../message-passing.js';
import { remainingSelfLoops } from '../self-loops.js';
import { checkLayerConfig, checkWeight, optional, type GraphLayerConfig } from './layer-config.js';

/**
 * PyG `gcn_norm(edge_index, edge_weight, add_self_loops=True)`, self-loops by
 * `add_remaining_self_loops` (fill value 1): a node's existing loop `i → i` is kept with its weight
 * `w_ii` and no second loop is added; a node without one gets a loop of weight 1. With
 * `loop_i = w_ii` (or 1), `deg_i = loop_i + Σ_{(j→i), j≠i} w_ji`, `norm_ji = deg_j^{-½} w_ji deg_i^{-½}`
 * for every edge between two nodes and `selfNorm_i = loop_i / deg_i` for the node's one loop; an existing
 * loop edge gets `norm = 0` because `selfNorm` carries it. A node of degree 0 gets 0 (PyG masks the
 * infinite `deg^{-½}`). Without `edgeWeight` every weight is 1, so a node's loops count once. Several loops
 * on one node: the last in edge order gives the weight (as PyG). Differentiable in `edgeWeight`, loops
 * included (learned edge masks need it). Returns `{ norm: [E], selfNorm: [N] }`.
 */
export function gcnNorm(g: GraphStructure, edgeWeight?: tf.Tensor1D): { norm: tf.Tensor1D; selfNorm: tf.Tensor1D } {
  checkEdgeWeight(edgeWeight, g);
  const { loopEdge, offDiagonal } = remainingSelfLoops(g);
  return tf.tidy(() => {
    const w = edgeWeight ?? (tf.ones([g.src.length]) as tf.Tensor1D); // [E]
    const wOff = tf.mul(w, tf.tensor1d(offDiagonal)) as tf.Tensor1D; // [E], loops zeroed
    const loopW = tf.gather(tf.concat([w, tf.ones([1])]), tf.tensor1d(loopEdge, 'int32')) as tf.Tensor1D; // [N]
    const deg = tf.add(segmentSum(wOff, g.dst, g.numNodes), loopW) as tf.Tensor1D; // [N]
    const zero = tf.equal(deg, 0);
    const safeDeg = tf.where(zero, tf.onesLike(deg), deg); // keeps rsqrt(0) = ∞ out of the gradient
    const dinv = tf.where(zero, tf.zerosLike(deg), tf.rsqrt(safeDeg)).reshape([-1, 1]) as tf.Tensor2D; // [N, 1]
    const dinvAt = (idx: Int32Array) => gatherNodes(dinv, idx).reshape([-1]);
    const norm = tf.mul(tf.mul(dinvAt(g.src), wOff), dinvAt(g.dst)) as tf.Tensor1D; // [E]
    const selfNorm = tf.where(zero, tf.zerosLike(deg), tf.div(loopW, safeDeg)) as tf.Tensor1D; // [N]
    return { norm, selfNorm };
  });
}

/** Weights of {@link gcnConv}: `weight` [F, H], optional `bias` [H]. */
export interface GCNConvParams {
  weight: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

/**
 * GCN layer (Kipf & Welling, ICLR 2017, "Semi-Supervised Classification with Graph Convolutional
 * Networks", eq. 2) with PyG `GCNConv` / {@link gcnNorm} semantics:
 * `out_i = Σ_{(j→i), j≠i} deg_j^{-½} w_ji deg_i^{-½} (x_j W) + (loop_i / deg_i) (x_i W) + b`.
 * Self-loops: **an existing loop is kept with its weight, other nodes get a loop of weight 1**
 * (`add_remaining_self_loops`). Dense form `D^{-½} Â D^{-½} X W + b` with rows as receivers, where
 * `Â = A_w` with its zero diagonal entries set to 1. x [N, F] → [N, H].
 */
export function gcnConv(
  x: tf.Tensor2D,
  g: GraphStructure,
  params: GCNConvParams,
  edgeWeight?: tf.Tensor1D,
): tf.Tensor2D {
  checkWeight(params.weight, x.shape[1], 'gcnConv weight');
  return tf.tidy(() => {
    const xw = tf.matMul(x, params.weight) as tf.Tensor2D; // [N, H]: transform first, as PyG, so messages are H-wide
    const { norm, selfNorm } = gcnNorm(g, edgeWeight);
    const neigh = propagate(xw, g, norm); // [N, H]
    const out = tf.add(neigh, tf.mul(xw, selfNorm.reshape([-1, 1]))) as tf.Tensor2D;
    return params.bias ? tf.add(out, params.bias) : out;
  });
}

/** Trainable {@link gcnConv} (PyG init: Glorot weight, zero bias). */
export class GCNConv extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  constructor(readonly cfg: GraphLayerConfig) {
    super();
    checkLayerConfig(cfg, 'GCNConv');
    const rng = new Rng(cfg.seed);
    this.weight = this.addParameter('weight', xavierUniformInit([cfg.inDim, cfg.outDim], rng));
    this.bias = cfg.bias === false ? null : this.addParameter('bias', tf.zeros([cfg.outDim]));
  }
  /** x [N, inDim] → [N, outDim]; `edgeWeight` [E] (e.g. a learned mask) is differentiable. */
  forward(x: tf.Tensor2D, g: GraphStructure, edgeWeight?: tf.Tensor1D): tf.Tensor2D {
    return gcnConv(x, g, { weight: this.weight as tf.Tensor2D, bias: optional(this.bias) }, edgeWeight);
  }
}
