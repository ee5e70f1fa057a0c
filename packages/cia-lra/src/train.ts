import { Adam, LabError, Rng, fit, strictOptions, tf, type ProgressEvent } from '@lab/core';
import {
  ciaLossUnchecked,
  ciaLraLossUnchecked,
  coralPenaltyUnchecked,
  groupDroLossUnchecked,
  irmPenaltyUnchecked,
  lraPairs,
  nodeCrossEntropyUnchecked,
  resolveLraOptions,
  vrexPenaltyUnchecked,
  type LraPairs,
} from './cia-lra.js';
import { defaultNodeOODOptions, nodeOODOptionChecks, type LraOptions, type NodeOODOptions } from './config.js';
import { validateNodeGraph, type NodeGraph } from './graph.js';
import { NodeGCN } from './model.js';

/** What {@link trainNodeOOD} measured. */
export interface NodeOODResult {
  /** OOD test accuracy at the selected epoch. */
  oodTest: number;
  /** OOD validation accuracy at the selected epoch. */
  oodVal: number;
  /** ID validation accuracy at the selected epoch (NaN when the graph has no `idValMask`). */
  idVal: number;
  /** The selected (0-based) epoch. */
  bestEpoch: number;
  /** Training accuracy of the final model. */
  trainAcc: number;
  /** CIA-LRA only: kept and candidate pairs of the pair table. */
  keptPairs?: number;
  candidatePairs?: number;
  /**
   * Mean Euclidean distance between the final (eval-mode) representations of same-class training nodes
   * from different environments (NaN without environment ids).
   */
  crossEnvDistance: number;
  /** crossEnvDistance / the same mean over same-class pairs from the same environment (scale-free). */
  crossEnvRatio: number;
  /**
   * Methods with a penalty (not ERM, not GroupDRO), when training reaches `penaltyStartEpoch`: the gradient
   * norms of the two terms on the first penalised batch, measured on the full batch in eval mode right after
   * the warm-up (so the measurement changes nothing in the run), and `share` = ‖∇θ λ·penalty‖ / ‖∇θ (CE + λ·penalty)‖.
   */
  gradientShare?: GradientShare;
  /** Per epoch: training objective, OOD validation and OOD test accuracy. */
  history: { loss: number[]; oodVal: number[]; oodTest: number[] };
  seconds: number;
}

/** Gradient norms of the CE and of the λ-weighted penalty w.r.t. the parameters, and the penalty's share. */
export interface GradientShare {
  ce: number;
  penalty: number;
  /** ‖∇ λ·penalty‖ / ‖∇ (CE + λ·penalty)‖ (0 when both vanish). */
  share: number;
}

/** Optional callbacks of {@link trainNodeOOD}. */
export interface TrainHooks {
  onEpoch?: (epoch: number, metrics: { loss: number; oodVal: number; oodTest: number }) => void;
  /** A precomputed pair table for CIA-LRA (the trainer otherwise builds it from the graph). */
  pairs?: LraPairs;
  /** Progress per epoch (`done` / `total` in epochs), e.g. a CLI's `ctx.progress.onProgress`. */
  onProgress?: (event: ProgressEvent) => void;
}

const noHooks: TrainHooks = { onEpoch: undefined, pairs: undefined, onProgress: undefined };

/** Validates and completes trainer options; `faithful` switches CIA-LRA to the official hop and label quirks. */
export function resolveNodeOODOptions(options: Partial<NodeOODOptions> = {}): NodeOODOptions & { lra: LraOptions } {
  const o = strictOptions(options, defaultNodeOODOptions, 'trainNodeOOD options', nodeOODOptionChecks);
  const quirks: Partial<LraOptions> = o.faithful ? { hopMode: 'official', labelScope: 'all' } : {};
  const lra = resolveLraOptions({ layers: o.layers, ...quirks, ...o.lra }, 'trainNodeOOD options.lra');
  return { ...o, lra };
}

const needsEnv: Record<NodeOODOptions['method'], boolean> = {
  erm: false,
  'cia-lra': false,
  irm: true,
  vrex: true,
  groupdro: true,
  coral: true,
  cia: true,
};

function accuracy(pred: Int32Array, y: Int32Array, mask: Uint8Array | undefined): number {
  if (!mask) return NaN;
  let hit = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    if (!mask[i]) continue;
    total++;
    if (pred[i] === y[i]) hit++;
  }
  return total > 0 ? hit / total : NaN;
}

/**
 * Mean distance of same-class training pairs across environments, and its ratio to the same-class
 * same-environment mean, in float64 on the host; at most `cap` nodes per class (evenly spaced) keep
 * it O(cap²·D).
 */
export function crossEnvironmentDistance(
  rep: Float32Array,
  dim: number,
  g: NodeGraph,
  cap = 400,
): { distance: number; ratio: number } {
  if (!Number.isInteger(dim) || dim < 1)
    throw new LabError('OUT_OF_RANGE', `dim: expected a positive integer, got ${dim}`);
  if (rep.length !== g.numNodes * dim)
    throw new LabError(
      'SHAPE_MISMATCH',
      `rep: expected ${g.numNodes} × ${dim} = ${g.numNodes * dim} values (numNodes × dim), got ${rep.length}`,
    );
  if (!Number.isInteger(cap) || cap < 2)
    throw new LabError('OUT_OF_RANGE', `cap: expected an integer >= 2, got ${cap}`);
  let cross = 0;
  let crossCount = 0;
  let same = 0;
  let sameCount = 0;
  for (let c = 0; c < g.numClasses; c++) {
    const all: number[] = [];
    for (let i = 0; i < g.numNodes; i++) if (g.trainMask[i] && g.env[i]! >= 0 && g.y[i] === c) all.push(i);
    const step = Math.max(1, all.length / cap);
    const nodes: number[] = [];
    for (let k = 0; Math.floor(k) < all.length; k += step) nodes.push(all[Math.floor(k)]!);
    for (let a = 0; a < nodes.length; a++) {
      for (let b = a + 1; b < nodes.length; b++) {
        const u = nodes[a]!;
        const v = nodes[b]!;
        let s = 0;
        for (let k = 0; k < dim; k++) s += (rep[u * dim + k]! - rep[v * dim + k]!) ** 2;
        const d = Math.sqrt(s);
        if (g.env[u] !== g.env[v]) {
          cross += d;
          crossCount++;
        } else {
          same += d;
          sameCount++;
        }
      }
    }
  }
  const distance = crossCount > 0 ? cross / crossCount : NaN;
  return { distance, ratio: sameCount > 0 ? distance / (same / sameCount) : NaN };
}

/** What one optimizer step's loss covers: CE weights (1 / #batch training nodes), env ids and CIA-LRA pairs of the batch. */
interface Minibatch {
  ceWeight: Float32Array; // [N]
  env: Int32Array; // [N], −1 outside the batch
  pairs?: Pick<LraPairs, 'i' | 'j' | 'w' | 'keptCount'>;
}

function batchOf(
  g: NodeGraph,
  env: Int32Array,
  pairs: LraPairs | undefined,
  inBatch: (i: number) => boolean,
): Minibatch {
  const n = g.numNodes;
  let count = 0;
  for (let i = 0; i < n; i++) if (g.trainMask[i] && inBatch(i)) count++;
  const ceWeight = new Float32Array(n);
  const batchEnv = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (!inBatch(i)) continue;
    if (g.trainMask[i]) ceWeight[i] = 1 / Math.max(1, count);
    batchEnv[i] = env[i]!;
  }
  if (!pairs) return { ceWeight, env: batchEnv };
  const keep: number[] = [];
  for (let p = 0; p < pairs.keptCount; p++) if (inBatch(pairs.i[p]!) && inBatch(pairs.j[p]!)) keep.push(p);
  const sub = {
    i: Int32Array.from(keep, (p) => pairs.i[p]!),
    j: Int32Array.from(keep, (p) => pairs.j[p]!),
    w: Float32Array.from(keep, (p) => pairs.w[p]!),
    keptCount: keep.length,
  };
  return { ceWeight, env: batchEnv, pairs: sub };
}

/** The full batch: every training node, every kept pair. */
function fullBatchOf(g: NodeGraph, env: Int32Array, pairs: LraPairs | undefined): Minibatch {
  return { ...batchOf(g, env, undefined, () => true), ...(pairs ? { pairs } : {}) };
}

/**
 * A GraphSAINT-style minibatch of roots: `roots` node ids drawn uniformly with replacement from all nodes; the
 * batch is the distinct set (the loss covers its training nodes and the CIA-LRA pairs with both ends in it).
 */
function rootBatch(g: NodeGraph, env: Int32Array, pairs: LraPairs | undefined, rng: Rng, roots: number): Minibatch {
  const member = new Uint8Array(g.numNodes);
  for (let k = 0; k < roots; k++) member[rng.int(g.numNodes)] = 1;
  return batchOf(g, env, pairs, (i) => member[i] === 1);
}

/**
 * Trains a node classifier on `g` with one method (ERM, IRM, VREx, GroupDRO, Coral, CIA or CIA-LRA) and
 * selects the epoch with the best OOD-validation accuracy (`select: 'idVal'` for ID validation), as the
 * official pipeline (`basic_pipeline.py`). Full-batch Adam; objective `mean CE(train) + λ · penalty`, the
 * penalty from epoch `penaltyStartEpoch` on (GroupDRO replaces the mean CE by its reweighted risk).
 * Environment ids (`g.env`) are needed by CIA, IRM, VREx, GroupDRO and Coral, not by ERM or CIA-LRA.
 */
export async function trainNodeOOD(
  g: NodeGraph,
  options: Partial<NodeOODOptions> = {},
  hooksGiven: TrainHooks = {},
): Promise<NodeOODResult> {
  const started = performance.now();
  const o = resolveNodeOODOptions(options);
  const hooks = strictOptions(hooksGiven, noHooks, 'trainNodeOOD hooks');
  for (const key of ['onEpoch', 'onProgress'] as const)
    if (hooks[key] !== undefined && typeof hooks[key] !== 'function')
      throw new LabError('INVALID_ARGUMENT', `${key}: expected a function, got ${typeof hooks[key]}`);
  validateNodeGraph(g);
  const n = g.numNodes;
  // Environment ids of training nodes only (−1 elsewhere), so no OOD node ever enters a penalty.
  const env = Int32Array.from(g.env, (e, i) => (g.trainMask[i] ? e : -1));
  const envIds = new Set(Array.from(env).filter((e) => e >= 0));
  if (needsEnv[o.method] && envIds.size < (o.method === 'cia' ? 2 : 1)) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `graph.env: method '${o.method}' needs environment ids on the training nodes (${o.method === 'cia' ? 'at least 2 environments' : 'at least 1'}), got ${envIds.size}; use 'cia-lra' or 'erm' without environment labels`,
    );
  }
  const classCounts = new Int32Array(g.numClasses);
  for (let i = 0; i < n; i++) if (g.trainMask[i]) classCounts[g.y[i]!]!++;
  const empty = Array.from(classCounts.keys()).filter((c) => classCounts[c] === 0);
  if (empty.length > 0) {
    throw new LabError(
      'EMPTY_INPUT',
      `graph.trainMask: expected every class in the training split, classes [${empty.join(', ')}] have 0 training nodes`,
    );
  }
  if (o.select === 'idVal' && !g.idValMask?.some((v) => v)) {
    throw new LabError('INVALID_ARGUMENT', "select: 'idVal' needs a non-empty graph.idValMask");
  }
  const pairs = o.method === 'cia-lra' ? (hooks.pairs ?? lraPairs(g, { ...o.lra, details: false })) : undefined;

  const model = new NodeGCN({
    inDim: g.featDim,
    hidden: o.hidden,
    layers: o.layers,
    classes: g.numClasses,
    dropout: o.dropout,
    seed: o.seed,
  });
  const optimizer = new Adam(model, { lr: o.lr });
  const x = tf.tensor2d(g.x, [n, g.featDim]);
  // Edge weights (if the graph has them) enter the GCN normalisation, as PyG's gcn_norm; CIA-LRA's hops and Q use the 0/1 adjacency.
  const edgeWeight = g.edgeWeight ? tf.tensor1d(g.edgeWeight) : undefined;
  const history = { loss: [] as number[], oodVal: [] as number[], oodTest: [] as number[] };
  let best = { score: -Infinity, epoch: -1, oodVal: NaN, oodTest: NaN, idVal: NaN };
  const fullBatch = fullBatchOf(g, env, pairs);
  const sampler = new Rng(o.seed).fork('sampler');
  /** One epoch's minibatches: the full batch `stepsPerEpoch` times, or fresh GraphSAINT-style roots per step. */
  const batches = (): Minibatch[] =>
    Array.from({ length: o.stepsPerEpoch }, () =>
      o.sampler === 'full' ? fullBatch : rootBatch(g, env, pairs, sampler, o.batchRoots),
    );

  /** The mean CE over the batch's training nodes and the unweighted penalty (null for ERM, GroupDRO and the warm-up). */
  const terms = (batch: Minibatch, epoch: number, training: boolean): { ce: tf.Scalar; penalty: tf.Scalar | null } => {
    const { logits, rep } = model.apply(x, g, training, edgeWeight);
    if (o.method === 'groupdro') return { ce: groupDroLossUnchecked(logits, g.y, batch.env, o.lambda), penalty: null };
    const weight = tf.tensor1d(batch.ceWeight);
    const ce = tf.sum(tf.mul(nodeCrossEntropyUnchecked(logits, g.y), weight)) as tf.Scalar; // mean CE over the batch's training nodes
    if (o.method === 'erm' || epoch < o.penaltyStartEpoch) return { ce, penalty: null };
    let penalty: tf.Scalar;
    if (o.method === 'irm') penalty = irmPenaltyUnchecked(logits, g.y, batch.env);
    else if (o.method === 'vrex') penalty = vrexPenaltyUnchecked(logits, g.y, batch.env);
    else if (o.method === 'coral') penalty = coralPenaltyUnchecked(rep, batch.env);
    else if (o.method === 'cia') penalty = ciaLossUnchecked(rep, g.y, batch.env);
    else penalty = ciaLraLossUnchecked(rep, batch.pairs!);
    return { ce, penalty };
  };
  /** The training objective of one step: mean CE (+ λ · penalty from penaltyStartEpoch). */
  const objective = (batch: Minibatch, epoch: number): tf.Scalar => {
    const { ce, penalty } = terms(batch, epoch, true);
    return penalty ? (tf.add(ce, tf.mul(penalty, o.lambda)) as tf.Scalar) : ce;
  };
  let gradientShare: GradientShare | undefined;
  /** Gradient norms of both terms on the full batch, eval mode (no dropout draw, no BatchNorm update). */
  const measureShare = (): GradientShare => {
    const params = model.parameters();
    const norm = (f: () => tf.Scalar) =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(f, params);
        const sq = Object.values(grads).reduce((acc, gr) => acc + (tf.sum(tf.square(gr)).dataSync()[0] ?? 0), 0);
        return Math.sqrt(sq);
      });
    const part = (which: 'ce' | 'penalty' | 'total') => () => {
      const { ce, penalty } = terms(fullBatch, o.penaltyStartEpoch, false);
      const weighted = tf.mul(penalty!, o.lambda) as tf.Scalar;
      return which === 'ce' ? ce : which === 'penalty' ? weighted : (tf.add(ce, weighted) as tf.Scalar);
    };
    const total = norm(part('total'));
    const penalty = norm(part('penalty'));
    return { ce: norm(part('ce')), penalty, share: total > 0 ? penalty / total : 0 };
  };
  const hasPenalty = o.method !== 'erm' && o.method !== 'groupdro' && o.epochs > o.penaltyStartEpoch;
  /** OOD validation, OOD test and ID validation accuracy of the eval-mode model. */
  const evaluate = () => {
    const pred = tf.tidy(() => tf.argMax(model.apply(x, g, false, edgeWeight).logits, 1).dataSync() as Int32Array);
    return {
      oodVal: accuracy(pred, g.y, g.valMask),
      oodTest: accuracy(pred, g.y, g.testMask),
      idVal: accuracy(pred, g.y, g.idValMask),
    };
  };

  try {
    // `stepsPerEpoch` steps (full batch or sampled roots), then the eval-mode accuracies of the epoch (core's fit runs the loop).
    await fit<Minibatch>({
      model,
      optimizer,
      epochs: o.epochs,
      stepsPerEpoch: o.stepsPerEpoch,
      data: batches,
      loss: (batch, { epoch }) => objective(batch, epoch),
      validate: evaluate,
      progress: 'none',
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
      label: `train ${o.method}`,
      callbacks: {
        onEpochEnd: ({ epoch, loss, metrics }) => {
          const { oodVal, oodTest, idVal } = metrics as { oodVal: number; oodTest: number; idVal: number };
          history.loss.push(loss);
          history.oodVal.push(oodVal);
          history.oodTest.push(oodTest);
          const score = o.select === 'oodVal' ? oodVal : idVal;
          if (score > best.score) best = { score, epoch, oodVal, oodTest, idVal };
          if (hasPenalty && epoch === Math.max(0, o.penaltyStartEpoch - 1)) gradientShare = measureShare();
          hooks.onEpoch?.(epoch, { loss, oodVal, oodTest });
        },
      },
    }).catch((err: unknown) => {
      if (err instanceof LabError && err.code === 'NON_FINITE')
        throw new LabError(
          'NON_FINITE',
          `training loss: ${err.message.replace(/^loss: /, '')} (method '${o.method}', λ = ${o.lambda})`,
        );
      throw err;
    });
    const { rep, pred } = tf.tidy(() => {
      const out = model.apply(x, g, false, edgeWeight);
      return { rep: out.rep.dataSync() as Float32Array, pred: tf.argMax(out.logits, 1).dataSync() as Int32Array };
    });
    const distance = crossEnvironmentDistance(rep, o.hidden, { ...g, env });
    return {
      oodTest: best.oodTest,
      oodVal: best.oodVal,
      idVal: best.idVal,
      bestEpoch: best.epoch,
      trainAcc: accuracy(pred, g.y, g.trainMask),
      ...(pairs ? { keptPairs: pairs.keptCount, candidatePairs: pairs.candidateCount } : {}),
      crossEnvDistance: distance.distance,
      crossEnvRatio: distance.ratio,
      ...(gradientShare ? { gradientShare } : {}),
      history,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    tf.dispose([x, ...(edgeWeight ? [edgeWeight] : [])]);
    optimizer.dispose();
    model.dispose();
  }
}
