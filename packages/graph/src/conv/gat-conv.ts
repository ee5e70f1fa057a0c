import { LabError, Module, Rng, tf, uniformInit, xavierUniformInit } from '@lab/core';
import type { GraphStructure } from '../graph.js';
import { gatherNodes, segmentSoftmax, segmentSum } from '../message-passing.js';
import { replacedSelfLoops } from '../self-loops.js';
import { checkLayerConfig, checkWeight, optional, type GraphLayerConfig } from './layer-config.js';

/**
 * Weights of {@link gatConv} for `heads` heads of `outDim` channels: `weight` [F, heads·outDim], `attSrc` and
 * `attDst` [heads, outDim], optional `bias` ([heads·outDim] when concatenating, else [outDim]), and for edge
 * attributes `weightEdge` [edgeDim, heads·outDim] with `attEdge` [heads, outDim].
 */
export interface GATConvParams {
  weight: tf.Tensor2D;
  attSrc: tf.Tensor2D;
  attDst: tf.Tensor2D;
  bias?: tf.Tensor1D;
  weightEdge?: tf.Tensor2D;
  attEdge?: tf.Tensor2D;
}

/** Options of {@link gatConv}; defaults follow PyG `GATConv`. */
export interface GATConvOptions {
  /** Concatenate the heads (true, default) or average them. */
  concat?: boolean;
  /** LeakyReLU slope of the attention logits (0.2). */
  negativeSlope?: number;
  /**
   * Replace existing self-loops by exactly one loop per node (true; PyG `remove_self_loops` then
   * `add_self_loops`). False uses the edges as given, existing loops included.
   */
  addSelfLoops?: boolean;
  /** Edge attributes [E, edgeDim]; edge weights are passed as `[E, 1]`. Loops get the mean attribute of the node's in-edges (PyG `fill_value='mean'`). */
  edgeAttr?: tf.Tensor2D;
  /** Dropout on the attention coefficients (0), applied only when `training`. */
  attentionDropout?: number;
  training?: boolean;
  /** Seed of the attention dropout. */
  seed?: number;
}

function checkGatInputs(x: tf.Tensor2D, g: GraphStructure, params: GATConvParams, edgeAttr?: tf.Tensor2D): void {
  checkWeight(params.weight, x.shape[1], 'gatConv weight');
  const [heads, outDim] = params.attSrc.shape;
  if (params.weight.shape[1] !== heads * outDim) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `gatConv weight: expected ${heads}·${outDim} = ${heads * outDim} columns (from attSrc [heads, outDim]), got ${params.weight.shape[1]}`,
    );
  }
  if (edgeAttr && (edgeAttr.rank !== 2 || edgeAttr.shape[0] !== g.src.length)) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `gatConv edgeAttr: expected shape [${g.src.length}, edgeDim], got [${edgeAttr.shape.join(', ')}]`,
    );
  }
  if (edgeAttr && (!params.weightEdge || !params.attEdge)) {
    throw new LabError('INVALID_ARGUMENT', 'gatConv: edgeAttr given but params.weightEdge/attEdge are missing');
  }
}

/**
 * GAT layer (Veličković et al., ICLR 2018, "Graph Attention Networks", eqs. 1–4; edge attributes as in
 * PyG `GATConv(edge_dim=…)`): `α_ji = softmax_j(LeakyReLU(aₛ·W x_j + a_d·W x_i + a_e·W_e e_ji))`,
 * `h_i = ‖_heads Σ_j α_ji W x_j + b` (or the head mean). Self-loops (PyG `GATConv`): **existing loops are
 * removed and every node gets exactly one loop**, whose edge attribute is the mean of the node's other
 * in-edges (0 without any); a loop's edge attribute in the input is therefore ignored. Unlike
 * {@link gcnConv}, which keeps an existing loop's weight. x [N, F] → [N, heads·outDim] or [N, outDim].
 */
export function gatConv(
  x: tf.Tensor2D,
  g: GraphStructure,
  params: GATConvParams,
  options: GATConvOptions = {},
): tf.Tensor2D {
  const { concat = true, negativeSlope = 0.2, addSelfLoops = true, attentionDropout = 0, training = false } = options;
  checkGatInputs(x, g, params, options.edgeAttr);
  const [heads, outDim] = params.attSrc.shape;
  const n = g.numNodes;
  const loops = addSelfLoops ? replacedSelfLoops(g) : undefined;
  const src = loops?.src ?? g.src; // [E']
  const dst = loops?.dst ?? g.dst; // [E']
  return tf.tidy(() => {
    const xp = tf.matMul(x, params.weight); // [N, H·C]
    const xh = xp.reshape([n, heads, outDim]); // [N, H, C]
    const aSrc = tf.sum(tf.mul(xh, params.attSrc), 2) as tf.Tensor2D; // [N, H]
    const aDst = tf.sum(tf.mul(xh, params.attDst), 2) as tf.Tensor2D; // [N, H]
    let logits = tf.add(gatherNodes(aSrc, src), gatherNodes(aDst, dst)) as tf.Tensor2D; // [E', H]
    if (options.edgeAttr) {
      let attr = options.edgeAttr; // [E, edgeDim]
      if (loops) {
        const kept = loops.keep.length;
        attr = gatherNodes(attr, loops.keep); // [E'', edgeDim]
        const cnt = new Float32Array(n);
        for (let k = 0; k < kept; k++) cnt[dst[k]!]!++;
        const inv = tf.tensor2d(
          Array.from(cnt, (c) => 1 / Math.max(1, c)),
          [n, 1],
        );
        const loopAttr = tf.mul(segmentSum(attr, dst.subarray(0, kept), n), inv); // [N, edgeDim]
        attr = tf.concat([attr, loopAttr], 0) as tf.Tensor2D; // [E', edgeDim]
      }
      const eh = tf.matMul(attr, params.weightEdge!).reshape([-1, heads, outDim]); // [E', H, C]
      logits = tf.add(logits, tf.sum(tf.mul(eh, params.attEdge!), 2)) as tf.Tensor2D;
    }
    let alpha = segmentSoftmax(tf.leakyRelu(logits, negativeSlope) as tf.Tensor2D, dst, n); // [E', H]
    if (training && attentionDropout > 0)
      alpha = tf.dropout(alpha, attentionDropout, undefined, options.seed) as tf.Tensor2D;
    const messages = tf.mul(
      gatherNodes(xp as tf.Tensor2D, src).reshape([-1, heads, outDim]),
      alpha.reshape([-1, heads, 1]),
    ); // [E', H, C]
    const agg = segmentSum(messages.reshape([-1, heads * outDim]) as tf.Tensor2D, dst, n); // [N, H·C]
    const out = concat ? agg : (tf.mean(agg.reshape([n, heads, outDim]), 1) as tf.Tensor2D);
    return params.bias ? tf.add(out, params.bias) : out;
  });
}

/** Trainable {@link gatConv}; `edgeDim` > 0 enables edge attributes (pass edge weights as `[E, 1]`). Attention dropout runs in training mode. */
export class GATConv extends Module {
  readonly heads: number;
  readonly concat: boolean;
  readonly weight: tf.Variable;
  readonly attSrc: tf.Variable;
  readonly attDst: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly weightEdge: tf.Variable | null;
  readonly attEdge: tf.Variable | null;
  readonly negativeSlope: number;
  readonly attentionDropout: number;
  constructor(
    readonly cfg: GraphLayerConfig & {
      heads?: number;
      concat?: boolean;
      edgeDim?: number;
      negativeSlope?: number;
      attentionDropout?: number;
    },
  ) {
    super();
    checkLayerConfig(cfg, 'GATConv');
    const rng = new Rng(cfg.seed);
    const heads = (this.heads = cfg.heads ?? 1);
    if (!Number.isInteger(heads) || heads < 1)
      throw new LabError('OUT_OF_RANGE', `GATConv heads: expected a positive integer, got ${heads}`);
    this.concat = cfg.concat ?? true;
    this.negativeSlope = cfg.negativeSlope ?? 0.2;
    this.attentionDropout = cfg.attentionDropout ?? 0;
    const hc = heads * cfg.outDim;
    // PyG glorot on att [1, heads, outDim]: fans are (heads, outDim) in its convention.
    const attInit = () =>
      uniformInit([heads, cfg.outDim], rng, -Math.sqrt(6 / (heads + cfg.outDim)), Math.sqrt(6 / (heads + cfg.outDim)));
    this.weight = this.addParameter('weight', xavierUniformInit([cfg.inDim, hc], rng));
    this.attSrc = this.addParameter('att_src', attInit());
    this.attDst = this.addParameter('att_dst', attInit());
    this.weightEdge = cfg.edgeDim ? this.addParameter('weight_edge', xavierUniformInit([cfg.edgeDim, hc], rng)) : null;
    this.attEdge = cfg.edgeDim ? this.addParameter('att_edge', attInit()) : null;
    this.bias = cfg.bias === false ? null : this.addParameter('bias', tf.zeros([this.concat ? hc : cfg.outDim]));
  }
  /** x [N, inDim] → [N, heads·outDim] (concat) or [N, outDim]. `edgeAttr` [E, edgeDim] when the layer has edge attributes. */
  forward(x: tf.Tensor2D, g: GraphStructure, edgeAttr?: tf.Tensor2D, seed?: number): tf.Tensor2D {
    const p: GATConvParams = {
      weight: this.weight as tf.Tensor2D,
      attSrc: this.attSrc as tf.Tensor2D,
      attDst: this.attDst as tf.Tensor2D,
      bias: optional(this.bias),
      weightEdge: optional(this.weightEdge),
      attEdge: optional(this.attEdge),
    };
    const options: GATConvOptions = {
      concat: this.concat,
      negativeSlope: this.negativeSlope,
      edgeAttr,
      attentionDropout: this.attentionDropout,
      training: this.training,
    };
    if (seed !== undefined) options.seed = seed;
    return gatConv(x, g, p, options);
  }
}
