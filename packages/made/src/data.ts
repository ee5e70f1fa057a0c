import { LabError, Rng, strictOptions } from '@lab/core';
import {
  barabasiAlbertEdges,
  graphClassificationDataset,
  graphFromPairs,
  inDegree,
  wattsStrogatzEdges,
  type EdgePairs,
  type Graph,
} from '@lab/graph';
import { injectSubgraphTrigger, triggerTestSet, type PoisonedSet } from './attack.js';
import {
  defaultBackdoorTaskOptions,
  defaultTypedTaskOptions,
  typedTaskChecks,
  type BackdoorTaskOptions,
  type FeatureTrigger,
  type TypedTaskOptions,
} from './config.js';

/*
 * The miniature task of spec §5, "BA-2motif + planted trigger": BA graphs (n ∈ [12, 20], m = 1) with a
 * class motif (house → class 0, 5-cycle → class 1) and F = 10 node features:
 * one-hot degree capped at 6 (7 dims) ‖ a constant 1 ‖ 2·(cos θ_G, sin θ_G) with θ_G ~ U(0, 1.2) per graph.
 */

/** Width of the miniature's node features. */
export const TASK_FEATURES = 10;
const SMOOTH_DIMS = [8, 9];

/** Recomputes the one-hot degree block of the miniature's features, keeping the constant and smooth dims. */
export function taskFeaturize(g: Graph): Float32Array {
  const x = g.x.slice();
  const deg = inDegree(g);
  for (let i = 0; i < g.numNodes; i++) {
    x.fill(0, i * TASK_FEATURES, i * TASK_FEATURES + 7);
    x[i * TASK_FEATURES + Math.min(6, deg[i]!)] = 1;
  }
  return x;
}

/** The generated task: poisoned training set, clean test set, triggered test set (labels ≠ target). */
export interface BackdoorTask extends PoisonedSet {
  cleanTest: Graph[];
  triggeredTest: Graph[];
  target: number;
  numClasses: number;
  featureTrigger?: FeatureTrigger;
}

/** Generates the miniature's data for one seed (data and trigger placement both follow `seed`). */
export function backdoorTask(options: Partial<BackdoorTaskOptions> = {}): BackdoorTask {
  const o = strictOptions(options, defaultBackdoorTaskOptions, 'backdoorTask options', {
    numTrain: { min: 2, integer: true },
    numTest: { min: 2, integer: true },
    minNodes: { min: 1, integer: true },
    maxNodes: { min: 1, integer: true },
    rate: { min: 0, max: 1 },
    setting: ['structure', 'feature'],
    triggerKind: ['fixed', 'ER'],
    triggerSize: { min: 2, integer: true },
  });
  if (o.target !== 0 && o.target !== 1)
    throw new LabError('OUT_OF_RANGE', `target: expected a class of the 2-class task (0 or 1), got ${o.target}`);
  if (o.maxNodes < o.minNodes)
    throw new LabError('OUT_OF_RANGE', `maxNodes: expected >= minNodes (${o.minNodes}), got ${o.maxNodes}`);
  const rng = new Rng(o.seed);
  const base = graphClassificationDataset({
    numGraphs: o.numTrain + o.numTest,
    families: ['ba-house', 'ba-cycle'],
    minNodes: o.minNodes,
    maxNodes: o.maxNodes,
    baM: 1,
    seed: rng.fork('graphs').tfSeed(),
  });
  const angles = rng.fork('angles');
  const graphs: Graph[] = base.map(({ motifNodes: _m, ...g }) => {
    const theta = angles.uniform(0, 1.2);
    const x = new Float32Array(g.numNodes * TASK_FEATURES);
    for (let i = 0; i < g.numNodes; i++) {
      x[i * TASK_FEATURES + 7] = 1;
      x[i * TASK_FEATURES + SMOOTH_DIMS[0]!] = 2 * Math.cos(theta);
      x[i * TASK_FEATURES + SMOOTH_DIMS[1]!] = 2 * Math.sin(theta);
    }
    const out: Graph = { ...g, featDim: TASK_FEATURES, x };
    out.x = taskFeaturize(out);
    return out;
  });
  const train = graphs.slice(0, o.numTrain);
  const test = graphs.slice(o.numTrain);
  const featureTrigger = o.setting === 'feature' ? { dims: SMOOTH_DIMS, values: [-2, -2] } : undefined;
  const poisoned = injectSubgraphTrigger(train, {
    kind: o.triggerKind,
    size: o.triggerSize,
    p: 0.8,
    rate: o.rate,
    target: o.target,
    sourceClasses: [1 - o.target],
    featureTrigger,
    featurize: taskFeaturize,
    seed: rng.fork('attack').tfSeed(),
  });
  const triggeredTest = triggerTestSet(test, poisoned.trigger, o.target, rng.fork('test-trigger').tfSeed(), {
    featureTrigger,
    featurize: taskFeaturize,
    size: o.triggerSize,
  });
  const task: BackdoorTask = { ...poisoned, cleanTest: test, triggeredTest, target: o.target, numClasses: 2 };
  if (featureTrigger) task.featureTrigger = featureTrigger;
  return task;
}

/*
 * The redesigned main task (issue 17, item 5): "typed community graphs". Every graph has two communities of
 * ⌊n/2⌋ and ⌈n/2⌉ nodes (n ∈ [16, 28]); all nodes of a community share one node type (two distinct types of
 * `numTypes`, one-hot features), so edges inside a community join equal features (cos 1) and the 1–3 bridges
 * between the communities join orthogonal ones (cos 0). The class lives in the communities' structure, not in
 * the features: class 0 = trees (BA, m = 1), class 1 = rings, class 2 = ring lattices with k = 4 and 10 %
 * rewiring (Watts–Strogatz). The trigger is structure only: one ER(6, 0.8) graph planted on 6 random nodes,
 * which joins nodes of both communities and lowers the graph's homophily (the signal MADE isolates on).
 */

/** Number of classes of {@link typedTask}. */
export const TYPED_CLASSES = 3;

function communityEdges(cls: number, n: number, rng: Rng): EdgePairs {
  if (cls === 0) return barabasiAlbertEdges(n, 1, rng);
  if (cls === 1) return wattsStrogatzEdges(n, 2, 0, rng);
  return wattsStrogatzEdges(n, 4, 0.1, rng);
}

function typedGraph(cls: number, o: TypedTaskOptions, rng: Rng): Graph {
  const n = o.minNodes + rng.int(o.maxNodes - o.minNodes + 1);
  const sizes = [Math.floor(n / 2), n - Math.floor(n / 2)];
  const types = Array.from(rng.sampleWithoutReplacement(o.numTypes, 2));
  const pairs: [number, number][] = [];
  const x = new Float32Array(n * o.numTypes);
  let offset = 0;
  for (let c = 0; c < 2; c++) {
    for (const [u, v] of communityEdges(cls, sizes[c]!, rng)) pairs.push([offset + u, offset + v]);
    for (let i = 0; i < sizes[c]!; i++) x[(offset + i) * o.numTypes + types[c]!] = 1;
    offset += sizes[c]!;
  }
  const bridges = 1 + rng.int(3);
  const seen = new Set(pairs.map(([u, v]) => Math.min(u, v) * n + Math.max(u, v)));
  for (let b = 0; b < bridges; b++) {
    const u = rng.int(sizes[0]!);
    const v = sizes[0]! + rng.int(sizes[1]!);
    if (!seen.has(u * n + v)) {
      seen.add(u * n + v);
      pairs.push([u, v]);
    }
  }
  const sorted = pairs
    .map(([u, v]) => [Math.min(u, v), Math.max(u, v)] as [number, number])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return graphFromPairs(n, sorted, x, o.numTypes, { label: cls });
}

/** Generates the typed-community task for one seed: balanced classes, 10 % of the training set poisoned (→ target). */
export function typedTask(options: Partial<TypedTaskOptions> = {}): BackdoorTask {
  const o = strictOptions(options, defaultTypedTaskOptions, 'typedTask options', typedTaskChecks);
  if (o.maxNodes < o.minNodes)
    throw new LabError('OUT_OF_RANGE', `maxNodes: expected >= minNodes (${o.minNodes}), got ${o.maxNodes}`);
  if (o.triggerSize > o.minNodes)
    throw new LabError('OUT_OF_RANGE', `triggerSize: expected <= minNodes (${o.minNodes}), got ${o.triggerSize}`);
  const rng = new Rng(o.seed);
  const gen = rng.fork('graphs');
  const graphs = Array.from({ length: o.numTrain + o.numTest }, (_, i) => typedGraph(i % TYPED_CLASSES, o, gen));
  const order = rng.fork('order').permutation(graphs.length);
  const shuffled = Array.from(order, (i) => graphs[i]!);
  const train = shuffled.slice(0, o.numTrain);
  const test = shuffled.slice(o.numTrain);
  const poisoned = injectSubgraphTrigger(train, {
    kind: 'ER',
    size: o.triggerSize,
    p: o.triggerP,
    rate: o.rate,
    target: o.target,
    seed: rng.fork('attack').tfSeed(),
  });
  const triggeredTest = triggerTestSet(test, poisoned.trigger, o.target, rng.fork('test-trigger').tfSeed(), {
    size: o.triggerSize,
  });
  return { ...poisoned, cleanTest: test, triggeredTest, target: o.target, numClasses: TYPED_CLASSES };
}
