import { tf } from '@lab/core';
import { LabError } from '@lab/core';
import { Rng } from '@lab/core';
import { Module } from '@lab/core';
import { torchDefaultWeightInit, uniformInit, xavierUniformInit } from '@lab/core';
import type { GraphStructure } from './graph.js';
import { gatherNodes, gcnNorm, propagate, propagateMean, segmentSoftmax, segmentSum } from './message-passing.js';

/*
 * Graph convolutions, first as pure functions of (features, structure, weight tensors) — what the golden
 * tests pin — then as small classes that own their tf.Variables. Weights use the (in, out) layout and are
 * applied as `x @ W`. Every function is differentiable in the features, the weights and the edge weights.
 */

function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, weight) as tf.Tensor2D;
  return bias ? (tf.add(y, bias) as tf.Tensor2D) : y;
}

function checkWeight(weight: tf.Tensor, rows: number, name: string): void {
  if (weight.rank !== 2 || weight.shape[0] !== rows) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected shape [${rows}, *] (rows = input features), got [${weight.shape.join(', ')}]`,
    );
  }
}

/** Weights of {@link gcnConv}: `weight` [F, H], optional `bias` [H]. */
export interface GCNConvParams {
  weight: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

/**
 * GCN layer (Kipf & Welling, ICLR 2017, "Semi-Supervised Classification with Graph Convolutional
 * Networks", eq. 2) with PyG `gcn_norm` semantics: self-loops of weight 1 are added and
 * `out_i = Σ_{(j→i)} deg_j^{-½} w_ji deg_i^{-½} (x_j W) + deg_i^{-1} (x_i W) + b`, `deg_i = 1 + Σ_{(j→i)} w_ji`.
 * Dense form `D^{-½}(A_w + I)D^{-½} X W + b` with rows as receivers. x [N, F] → [N, H].
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

/** Weights of {@link ginConv}'s MLP (Lin → ReLU → Lin): `w1` [F, H], `b1` [H], `w2` [H, H'], `b2` [H']. */
export interface GINConvParams {
  w1: tf.Tensor2D;
  b1?: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2?: tf.Tensor1D;
}

/** GIN's aggregation before the MLP: `(1 + ε) x_i + Σ_{(j→i)} w_ji x_j` — [N, F]. */
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

/** Weights of {@link sageConv}: `weightNeigh` [F, H] on the neighbour mean (with `bias` [H]) and `weightRoot` [F, H] on the node itself. */
export interface SAGEConvParams {
  weightNeigh: tf.Tensor2D;
  weightRoot: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

/**
 * GraphSAGE-mean layer (Hamilton et al., NeurIPS 2017, "Inductive Representation Learning on Large
 * Graphs", Alg. 1 with the mean aggregator, PyG `SAGEConv` form): `h_i = W_n · mean_{(j→i)} w_ji x_j + b + W_r x_i`.
 * The mean divides by the edge count, so an edge weight below 1 lowers that neighbour's share.
 * `normalize` applies an L2 normalisation to the output rows. x [N, F] → [N, H].
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
  /** Replace existing self-loops by one loop per node (true). */
  addSelfLoops?: boolean;
  /** Edge attributes [E, edgeDim]; edge weights are passed as `[E, 1]`. Loops get the mean attribute of the node's in-edges (PyG `fill_value='mean'`). */
  edgeAttr?: tf.Tensor2D;
  /** Dropout on the attention coefficients (0), applied only when `training`. */
  attentionDropout?: number;
  training?: boolean;
  /** Seed of the attention dropout. */
  seed?: number;
}

/**
 * GAT layer (Veličković et al., ICLR 2018, "Graph Attention Networks", eqs. 1–4; edge attributes as in
 * PyG `GATConv(edge_dim=…)`): `α_ji = softmax_j(LeakyReLU(aₛ·W x_j + a_d·W x_i + a_e·W_e e_ji))`,
 * `h_i = ‖_heads Σ_j α_ji W x_j + b` (or the head mean). x [N, F] → [N, heads·outDim] or [N, outDim].
 */
export function gatConv(
  x: tf.Tensor2D,
  g: GraphStructure,
  params: GATConvParams,
  options: GATConvOptions = {},
): tf.Tensor2D {
  const { concat = true, negativeSlope = 0.2, addSelfLoops = true, attentionDropout = 0, training = false } = options;
  checkWeight(params.weight, x.shape[1], 'gatConv weight');
  const [heads, outDim] = params.attSrc.shape;
  if (params.weight.shape[1] !== heads * outDim) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `gatConv weight: expected ${heads}·${outDim} = ${heads * outDim} columns (from attSrc [heads, outDim]), got ${params.weight.shape[1]}`,
    );
  }
  if (options.edgeAttr && (options.edgeAttr.rank !== 2 || options.edgeAttr.shape[0] !== g.src.length)) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `gatConv edgeAttr: expected shape [${g.src.length}, edgeDim], got [${options.edgeAttr.shape.join(', ')}]`,
    );
  }
  if (options.edgeAttr && (!params.weightEdge || !params.attEdge)) {
    throw new LabError('INVALID_ARGUMENT', 'gatConv: edgeAttr given but params.weightEdge/attEdge are missing');
  }
  return tf.tidy(() => {
    const n = g.numNodes;
    // Edges without self-loops, then one loop per node (PyG remove_self_loops + add_self_loops).
    const keep: number[] = [];
    for (let k = 0; k < g.src.length; k++) if (!addSelfLoops || g.src[k] !== g.dst[k]) keep.push(k);
    const keepIdx = Int32Array.from(keep);
    const loops = addSelfLoops ? n : 0;
    const src = new Int32Array(keepIdx.length + loops);
    const dst = new Int32Array(keepIdx.length + loops);
    keepIdx.forEach((k, i) => {
      src[i] = g.src[k]!;
      dst[i] = g.dst[k]!;
    });
    for (let i = 0; i < loops; i++) {
      src[keepIdx.length + i] = i;
      dst[keepIdx.length + i] = i;
    }
    const xp = tf.matMul(x, params.weight); // [N, H·C]
    const xh = xp.reshape([n, heads, outDim]); // [N, H, C]
    const aSrc = tf.sum(tf.mul(xh, params.attSrc), 2) as tf.Tensor2D; // [N, H]
    const aDst = tf.sum(tf.mul(xh, params.attDst), 2) as tf.Tensor2D; // [N, H]
    let logits = tf.add(gatherNodes(aSrc, src), gatherNodes(aDst, dst)) as tf.Tensor2D; // [E', H]
    if (options.edgeAttr) {
      let attr = gatherNodes(options.edgeAttr, keepIdx); // [E'', edgeDim]
      if (addSelfLoops) {
        const cnt = new Float32Array(n);
        for (const k of keepIdx) cnt[g.dst[k]!]!++;
        const inv = tf.tensor2d(
          Array.from(cnt, (c) => 1 / Math.max(1, c)),
          [n, 1],
        );
        const loopAttr = tf.mul(segmentSum(attr, dst.subarray(0, keepIdx.length), n), inv); // [N, edgeDim]
        attr = tf.concat([attr, loopAttr], 0) as tf.Tensor2D;
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

// ── trainable layers (core nn Modules) ──────────────────────────────────────────────────────

/** Shape and seed of a graph layer. */
export interface GraphLayerConfig {
  inDim: number;
  outDim: number;
  /** Seed of the initialisation (Glorot-uniform weights as PyG, zero biases). */
  seed: number;
  /** Add a bias (true). */
  bias?: boolean;
}

function checkLayerConfig(cfg: GraphLayerConfig, name: string): void {
  for (const key of ['inDim', 'outDim'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1)
      throw new LabError('OUT_OF_RANGE', `${name} ${key}: expected a positive integer, got ${cfg[key]}`);
  }
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
    return gcnConv(
      x,
      g,
      { weight: this.weight as tf.Tensor2D, bias: (this.bias ?? undefined) as tf.Tensor1D | undefined },
      edgeWeight,
    );
  }
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
      bias: (this.bias ?? undefined) as tf.Tensor1D | undefined,
    };
    return sageConv(x, g, p, { edgeWeight, normalize: this.normalize });
  }
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
      bias: (this.bias ?? undefined) as tf.Tensor1D | undefined,
      weightEdge: (this.weightEdge ?? undefined) as tf.Tensor2D | undefined,
      attEdge: (this.attEdge ?? undefined) as tf.Tensor2D | undefined,
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
