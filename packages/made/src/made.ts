import { LabError, assertInRange, strictOptions, tf } from '@lab/core';
import { type Graph, type GraphStructure } from '@lab/graph';
import {
  defaultAblLossOptions,
  defaultMaskObjectiveOptions,
  defaultMaskedUnlearningOptions,
  type AblLossOptions,
  type MaskObjectiveOptions,
  type MaskedUnlearningOptions,
} from './config.js';

/*
 * The MADE building blocks as pure functions, top to bottom (spec §2.3–§2.6).
 * Paper: Lin, Li, Wang, "MADE: Graph Backdoor Defense with Masked Unlearning", arXiv:2411.18648 (2024).
 * No official code exists: [P] marks what the paper states, [R] this project's reconstruction.
 * Graphs use core's reverse-pair layout: edge k is u → v and edge k^1 is v → u.
 */

/** Identity whose gradient is zero (tfjs has no public stopGradient). */
export const stopGradient = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([]);
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/** A graph structure with node features (host arrays), e.g. a core `Graph` or `GraphBatch`. */
export type FeaturedGraph = GraphStructure & Pick<Graph, 'x' | 'featDim'>;

/** Checks what {@link edgeCosine} reads: features of `numNodes × featDim` values and edges between existing nodes. */
function checkFeaturedGraph(g: FeaturedGraph): void {
  if (g.x.length !== g.numNodes * g.featDim)
    throw new LabError(
      'SHAPE_MISMATCH',
      `x: expected numNodes × featDim = ${g.numNodes} × ${g.featDim} = ${g.numNodes * g.featDim} values, got ${g.x.length}`,
    );
  if (g.src.length !== g.dst.length)
    throw new LabError('SHAPE_MISMATCH', `dst: expected ${g.src.length} entries (as src), got ${g.dst.length}`);
  for (let k = 0; k < g.src.length; k++) {
    const u = g.src[k]!;
    const v = g.dst[k]!;
    if (!(u >= 0 && u < g.numNodes && v >= 0 && v < g.numNodes))
      throw new LabError('OUT_OF_RANGE', `edge ${k}: ${u} → ${v} names a node outside [0, ${g.numNodes})`);
  }
}

/** Cosine similarity of the endpoint features of every directed edge, `x·y / max(‖x‖‖y‖, 1e-8)` (float64 on the host) — [E]. */
export function edgeCosine(g: FeaturedGraph): Float64Array {
  checkFeaturedGraph(g);
  const { x, featDim: f } = g;
  const out = new Float64Array(g.src.length);
  for (let k = 0; k < g.src.length; k++) {
    const a = g.src[k]! * f;
    const b = g.dst[k]! * f;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < f; j++) {
      dot += x[a + j]! * x[b + j]!;
      na += x[a + j]! * x[a + j]!;
      nb += x[b + j]! * x[b + j]!;
    }
    out[k] = dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-8);
  }
  return out;
}

/**
 * Graph feature homophily [P]: `homo(G) = (1/|E_G|) Σ_{(i→j)∈E_G} cos(x_i, x_j)`, both directions counted —
 * [numGraphs]. Trigger nodes are dissimilar to their neighbours, so poisoned graphs score lower.
 * A graph without edges gets 1 (nothing suspicious to see). `batch` [N] defaults to one graph.
 */
export function graphHomophily(g: FeaturedGraph & { batch?: Int32Array; numGraphs?: number }): Float32Array {
  const numGraphs = g.numGraphs ?? 1;
  const cos = edgeCosine(g);
  const sum = new Float64Array(numGraphs);
  const count = new Float64Array(numGraphs);
  for (let k = 0; k < cos.length; k++) {
    const gi = g.batch ? g.batch[g.src[k]!]! : 0;
    sum[gi]! += cos[k]!;
    count[gi]!++;
  }
  return Float32Array.from(sum, (s, gi) => (count[gi]! > 0 ? s / count[gi]! : 1));
}

/** Node feature homophily [R]: `homo(v) = mean_{(u→v)} cos(x_u, x_v)` over incoming edges; 1 for a node without neighbours — [N]. */
export function nodeHomophily(g: FeaturedGraph): Float32Array {
  const cos = edgeCosine(g);
  const sum = new Float64Array(g.numNodes);
  const count = new Float64Array(g.numNodes);
  for (let k = 0; k < cos.length; k++) {
    sum[g.dst[k]!]! += cos[k]!;
    count[g.dst[k]!]!++;
  }
  return Float32Array.from(sum, (s, i) => (count[i]! > 0 ? s / count[i]! : 1));
}

/**
 * ABL isolation loss per sample — [B] from per-sample CE [B]. LGA ascends on samples whose loss fell below γ
 * and flooding pushes them back up, so only samples that are learned fastest stay far below γ — ABL's bet
 * is that these are the poisoned ones, isolated afterwards by ranking the CE. The sign is a constant.
 */
export function ablLoss(perSampleCE: tf.Tensor1D, options: Partial<AblLossOptions> = {}): tf.Tensor1D {
  const { kind, gamma } = strictOptions(options, defaultAblLossOptions, 'ablLoss options', {
    kind: ['lga', 'flooding'],
    gamma: { min: 0 },
  });
  return tf.tidy(() => {
    if (kind === 'lga') return tf.mul(stopGradient(tf.sign(tf.sub(perSampleCE, gamma))), perSampleCE) as tf.Tensor1D;
    return tf.add(tf.abs(tf.sub(perSampleCE, gamma)), gamma) as tf.Tensor1D; // flooding
  });
}

function checkReversePairs(numEdges: number, name: string): void {
  if (numEdges % 2 !== 0)
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: expected an even number of directed edges (u → v then v → u), got ${numEdges}`,
    );
}

/**
 * Edge mask from per-edge logits [R: PGExplainer-style]: `m_k = ½(σ(s_k/τ) + σ(s_{k^1}/τ))` — symmetric
 * because edge k^1 is the reverse of edge k. logits [E] → m [E] in (0, 1).
 */
export function symmetricEdgeMask(logits: tf.Tensor1D, temperature = 1): tf.Tensor1D {
  checkReversePairs(logits.shape[0], 'logits');
  assertInRange(temperature, 'temperature', { min: 0, minExclusive: true });
  return tf.tidy(() => {
    const m = tf.sigmoid(tf.div(logits, temperature)); // [E]
    const reversed = tf.reverse(m.reshape([-1, 2]), 1).reshape([-1]); // [E]: m_{k^1}
    return tf.mul(tf.add(m, reversed), 0.5) as tf.Tensor1D;
  });
}

/** Clean nodes from a soft mask [R]: `V_clean = {v : max_{(u→v)} m_uv < threshold}` (threshold 0.5) — [N] as 0/1. */
export function cleanNodesFromMask(g: GraphStructure, mask: ArrayLike<number>, threshold = 0.5): Uint8Array {
  if (mask.length !== g.src.length)
    throw new LabError(
      'SHAPE_MISMATCH',
      `mask: expected ${g.src.length} values (one per directed edge), got ${mask.length}`,
    );
  const clean = new Uint8Array(g.numNodes).fill(1);
  for (let k = 0; k < mask.length; k++) {
    if (mask[k]! >= threshold) {
      clean[g.dst[k]!] = 0;
      clean[g.src[k]!] = 0;
    }
  }
  return clean;
}

/** Hard clean-subgraph mask [P formula]: `m^clean_ij = A_ij · 1[i ∈ V_clean and j ∈ V_clean]` — [E] float32 tensor. */
export function cleanEdgeMask(g: GraphStructure, cleanNodes: Uint8Array): tf.Tensor1D {
  if (cleanNodes.length !== g.numNodes)
    throw new LabError(
      'SHAPE_MISMATCH',
      `cleanNodes: expected ${g.numNodes} flags (one per node), got ${cleanNodes.length}`,
    );
  const m = new Float32Array(g.src.length);
  for (let k = 0; k < m.length; k++) m[k] = cleanNodes[g.src[k]!] && cleanNodes[g.dst[k]!] ? 1 : 0;
  return tf.tensor1d(m);
}

/** Mean softmax cross-entropy per row — [B] from logits [B, C] and int labels [B]. */
export function crossEntropyPerSample(logits: tf.Tensor2D, labels: Int32Array): tf.Tensor1D {
  if (labels.length !== logits.shape[0])
    throw new LabError(
      'SHAPE_MISMATCH',
      `labels: expected ${logits.shape[0]} labels (one per logits row), got ${labels.length}`,
    );
  const c = logits.shape[1];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0 || labels[i]! >= c)
      throw new LabError('OUT_OF_RANGE', `labels[${i}]: expected a class in [0, ${c}), got ${labels[i]}`);
  }
  return tf.tidy(
    () => tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(labels, 'int32'), c)), 1)) as tf.Tensor1D,
  );
}

/**
 * Mask-generator objective [R] on isolated graphs: `L_φ = CE(f(G, w = m), ŷ) + β_size·S(m) + β_ent·mean(H(m))`,
 * with the size penalty `S(m) = (1/B) Σ_G Σ_{k∈E_G} m_k` (Σm per graph, the explainers' form; `sizePenalty: 'sum'`,
 * default) or `mean_k m_k` (`'mean'`, the former reconstruction, |E_G| times weaker).
 * ŷ are the (poisoned) target labels: the smallest edge set that still triggers the target is the trigger.
 * `logitsMasked` [B, C] are the model's logits under the mask, `mask` [E] the edges of those graphs.
 */
export function maskObjective(
  logitsMasked: tf.Tensor2D,
  yTarget: Int32Array,
  mask: tf.Tensor1D,
  options: Partial<MaskObjectiveOptions> = {},
): tf.Scalar {
  return tf.tidy(() => {
    const { ce, size, entropy } = maskObjectiveTerms(logitsMasked, yTarget, mask, options);
    return tf.addN([ce, size, entropy]) as tf.Scalar;
  });
}

/** The three weighted terms of {@link maskObjective}: `ce`, `size` = β_size·S(m) and `entropy` = β_ent·mean H(m) (a zero scalar when β_ent = 0). */
export function maskObjectiveTerms(
  logitsMasked: tf.Tensor2D,
  yTarget: Int32Array,
  mask: tf.Tensor1D,
  options: Partial<MaskObjectiveOptions> = {},
): { ce: tf.Scalar; size: tf.Scalar; entropy: tf.Scalar } {
  const { betaSize, betaEnt, sizePenalty } = strictOptions(
    options,
    defaultMaskObjectiveOptions,
    'maskObjective options',
    { betaSize: { min: 0 }, betaEnt: { min: 0 }, sizePenalty: ['sum', 'mean'] },
  );
  const ce = tf.tidy(() => tf.mean(crossEntropyPerSample(logitsMasked, yTarget))) as tf.Scalar;
  const size = tf.tidy(() =>
    tf.mul(betaSize, sizePenalty === 'sum' ? tf.div(tf.sum(mask), Math.max(1, logitsMasked.shape[0])) : tf.mean(mask)),
  ) as tf.Scalar;
  const entropy = tf.tidy(() => {
    if (betaEnt === 0) return tf.scalar(0);
    const m = tf.clipByValue(mask, 1e-6, 1 - 1e-6);
    const h = tf.neg(tf.add(tf.mul(m, tf.log(m)), tf.mul(tf.sub(1, m), tf.log(tf.sub(1, m)))));
    return tf.mul(betaEnt, tf.mean(h));
  }) as tf.Scalar;
  return { ce, size, entropy };
}

/**
 * Area under the ROC curve of `scores` for the positives in `labels` (Mann–Whitney U with mid-ranks for ties):
 * the probability that a random positive scores above a random negative. NaN without positives or negatives.
 * Used as the mask AUC: how well edge-mask values single out the true trigger edges.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  if (scores.length !== labels.length)
    throw new LabError('SHAPE_MISMATCH', `labels: expected ${scores.length} (one per score), got ${labels.length}`);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]) {
        rankSumPos += midRank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = scores.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Masked unlearning objective for the classifier [P: adversarial + natural losses with masks in the
 * forward pass; R: the exact form]:
 * `L_θ = CE(f(G), y)|_keep − λ_u · mean_iso min(CE(f(G, w = m), ŷ), b_u) + λ_c · CE(f(G, w = m^clean), ŷ_pred)|_iso`.
 * The mask m is treated as a constant here (detach it before the forward pass). Pass `clean` for the λ_c term.
 */
export function maskedUnlearningLoss(
  logitsKeep: tf.Tensor2D,
  yKeep: Int32Array,
  logitsIsoMasked: tf.Tensor2D,
  yTarget: Int32Array,
  options: Partial<MaskedUnlearningOptions> = {},
  clean?: { logits: tf.Tensor2D; labels: Int32Array },
): tf.Scalar {
  const { lambdaU, clip, lambdaC } = strictOptions(
    options,
    defaultMaskedUnlearningOptions,
    'maskedUnlearningLoss options',
    { lambdaU: { min: 0 }, clip: { min: 0, minExclusive: true }, lambdaC: { min: 0 } },
  );
  if (lambdaC > 0 && !clean)
    throw new LabError(
      'INVALID_ARGUMENT',
      'clean: required when lambdaC > 0 (logits under the clean mask and the labels to keep)',
    );
  return tf.tidy(() => {
    const natural = logitsKeep.shape[0] > 0 ? tf.mean(crossEntropyPerSample(logitsKeep, yKeep)) : tf.scalar(0);
    const unlearn =
      logitsIsoMasked.shape[0] > 0
        ? tf.mean(tf.minimum(crossEntropyPerSample(logitsIsoMasked, yTarget), clip))
        : tf.scalar(0);
    let loss = tf.sub(natural, tf.mul(lambdaU, unlearn));
    if (lambdaC > 0 && clean && clean.logits.shape[0] > 0)
      loss = tf.add(loss, tf.mul(lambdaC, tf.mean(crossEntropyPerSample(clean.logits, clean.labels))));
    return loss as tf.Scalar;
  });
}

/** Fraction of correct predictions (clean accuracy). */
export function cleanAccuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predictions.length !== labels.length)
    throw new LabError(
      'SHAPE_MISMATCH',
      `predictions: expected ${labels.length} (one per label), got ${predictions.length}`,
    );
  if (labels.length === 0) throw new LabError('EMPTY_INPUT', 'labels: expected at least one test graph');
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) ok++;
  return ok / labels.length;
}

/** Attack success rate: the fraction of triggered test graphs (true label ≠ target) predicted as the target. */
export function attackSuccessRate(predictionsOnTriggered: ArrayLike<number>, target: number): number {
  if (predictionsOnTriggered.length === 0)
    throw new LabError('EMPTY_INPUT', 'predictionsOnTriggered: expected at least one triggered test graph');
  let hit = 0;
  for (let i = 0; i < predictionsOnTriggered.length; i++) if (predictionsOnTriggered[i] === target) hit++;
  return hit / predictionsOnTriggered.length;
}

/** Checks a list of graph indices: non-negative integers, each at most once, below `numGraphs` when given. */
function checkIndexSet(indices: ArrayLike<number>, name: string, numGraphs?: number): Set<number> {
  const seen = new Set<number>();
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    if (!Number.isInteger(v) || v < 0 || (numGraphs !== undefined && v >= numGraphs))
      throw new LabError('OUT_OF_RANGE', `${name}[${i}]: expected a graph index in [0, ${numGraphs ?? '∞'}), got ${v}`);
    if (seen.has(v))
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}[${i}]: index ${v} appears twice; expected distinct graph indices (not a 0/1 flag per graph)`,
      );
    seen.add(v);
  }
  return seen;
}

/**
 * Precision and recall of an isolated set against the truly poisoned indices. Both are lists of distinct
 * graph indices (of different lengths in general); pass `numGraphs` (the dataset size) to also check that
 * every index names a graph. Duplicates, negative or fractional indices throw.
 */
export function isolationQuality(
  isolated: ArrayLike<number>,
  poisoned: ArrayLike<number>,
  options: { numGraphs?: number } = {},
): { precision: number; recall: number } {
  const { numGraphs } = strictOptions(
    options,
    { numGraphs: undefined as number | undefined },
    'isolationQuality options',
    {
      numGraphs: { min: 0, integer: true },
    },
  );
  const found = checkIndexSet(isolated, 'isolated', numGraphs);
  const truth = checkIndexSet(poisoned, 'poisoned', numGraphs);
  let hit = 0;
  for (const i of found) if (truth.has(i)) hit++;
  return { precision: found.size > 0 ? hit / found.size : 0, recall: truth.size > 0 ? hit / truth.size : 1 };
}
