import { LabError, Rng, strictOptions } from '@lab/core';
import { graphClassificationDataset, inDegree, type Graph } from '@lab/graph';
import { injectSubgraphTrigger, triggerTestSet, type PoisonedSet } from './attack.js';
import { defaultBackdoorTaskOptions, type BackdoorTaskOptions, type FeatureTrigger } from './config.js';

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
