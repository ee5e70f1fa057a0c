import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, tf } from '@lab/core';
import {
  EdgeMaskGenerator,
  GIN,
  GraphClassifier,
  TASK_FEATURES,
  ablDefend,
  ablLoss,
  attackSuccessRate,
  backdoorTask,
  cleanAccuracy,
  cleanEdgeMask,
  cleanNodesFromMask,
  crossEntropyPerSample,
  edgeCosine,
  evaluateBackdoor,
  graphHomophily,
  injectSubgraphTrigger,
  isolate,
  isolationQuality,
  madeDefend,
  makeTrigger,
  maskObjective,
  maskedUnlearningLoss,
  nodeHomophily,
  plantTrigger,
  predict,
  replicate,
  symmetricEdgeMask,
  trainClassifier,
  triggerTestSet,
  type IsolationResult,
  rocAuc,
  typedTask,
  maskGradientShares,
} from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const task = backdoorTask({ numTrain: 40, numTest: 10, seed: 1 });
const g = task.graphs[0]!;
const model = () => new GIN({ inDim: TASK_FEATURES, hidden: 4, layers: 1, classes: 2, seed: 0 });
const logits = () => tf.zeros([2, 2]) as tf.Tensor2D;
const y2 = Int32Array.from([0, 1]);
const isolation = (isolated: number[]): IsolationResult => ({
  isolated: Int32Array.from(isolated),
  scores: new Float32Array(0),
  ce: new Float32Array(0),
  homophily: new Float32Array(0),
  byCriterion: { loss: new Int32Array(0), homophily: new Int32Array(0), both: new Int32Array(0) },
});
/** Runs `f` with a fresh model, disposing it whatever happens. */
const withModel = (f: (m: GIN) => unknown) => async () => {
  const m = model();
  try {
    return await f(m);
  } finally {
    m.dispose();
  }
};

/** Each public entry point with bad input → the LabError code and a fragment of its message. */
const cases: [string, () => unknown, string, RegExp][] = [
  // the maths (made.ts)
  [
    'edgeCosine: features of the wrong size',
    () => edgeCosine({ ...g, x: new Float32Array(3) }),
    'SHAPE_MISMATCH',
    /x: expected numNodes × featDim/,
  ],
  [
    'graphHomophily: an edge to a missing node',
    () => graphHomophily({ ...g, dst: Int32Array.from(g.dst, () => 99) }),
    'OUT_OF_RANGE',
    /names a node outside/,
  ],
  [
    'nodeHomophily: src and dst differ in length',
    () => nodeHomophily({ ...g, dst: g.dst.slice(1) }),
    'SHAPE_MISMATCH',
    /dst: expected/,
  ],
  [
    'ablLoss: unknown option',
    () => tf.tidy(() => ablLoss(tf.zeros([2]) as tf.Tensor1D, { gama: 1 } as never)),
    'INVALID_ARGUMENT',
    /ablLoss options: unknown option 'gama' \(did you mean 'gamma'\?\)/,
  ],
  [
    'ablLoss: unknown kind',
    () => tf.tidy(() => ablLoss(tf.zeros([2]) as tf.Tensor1D, { kind: 'x' as never })),
    'INVALID_ARGUMENT',
    /kind: expected one of 'lga', 'flooding', got 'x'/,
  ],
  [
    'ablLoss: negative gamma',
    () => tf.tidy(() => ablLoss(tf.zeros([2]) as tf.Tensor1D, { gamma: -1 })),
    'OUT_OF_RANGE',
    /gamma: expected a number >= 0, got -1/,
  ],
  [
    'symmetricEdgeMask: odd edge count',
    () => tf.tidy(() => symmetricEdgeMask(tf.zeros([3]) as tf.Tensor1D)),
    'INVALID_ARGUMENT',
    /even number/,
  ],
  [
    'symmetricEdgeMask: temperature 0',
    () => tf.tidy(() => symmetricEdgeMask(tf.zeros([2]) as tf.Tensor1D, 0)),
    'OUT_OF_RANGE',
    /temperature/,
  ],
  [
    'cleanNodesFromMask: mask length',
    () => cleanNodesFromMask(g, [0.1]),
    'SHAPE_MISMATCH',
    /mask: expected \d+ values/,
  ],
  ['cleanEdgeMask: flags length', () => cleanEdgeMask(g, new Uint8Array(1)), 'SHAPE_MISMATCH', /cleanNodes: expected/],
  [
    'crossEntropyPerSample: label out of range',
    () => tf.tidy(() => crossEntropyPerSample(logits(), Int32Array.from([0, 5]))),
    'OUT_OF_RANGE',
    /labels\[1\]: expected a class in \[0, 2\)/,
  ],
  [
    'crossEntropyPerSample: label count',
    () => tf.tidy(() => crossEntropyPerSample(logits(), Int32Array.from([0]))),
    'SHAPE_MISMATCH',
    /labels: expected 2 labels/,
  ],
  [
    'maskObjective: unknown option',
    () => tf.tidy(() => maskObjective(logits(), y2, tf.zeros([2]) as tf.Tensor1D, { beta: 1 } as never)),
    'INVALID_ARGUMENT',
    /maskObjective options: unknown option 'beta'/,
  ],
  [
    'maskObjective: unknown sizePenalty',
    () => tf.tidy(() => maskObjective(logits(), y2, tf.zeros([2]) as tf.Tensor1D, { sizePenalty: 'max' as never })),
    'INVALID_ARGUMENT',
    /sizePenalty: expected one of 'sum', 'mean', got 'max'/,
  ],
  [
    'rocAuc: labels of another length',
    () => rocAuc([0.1, 0.2], [1]),
    'SHAPE_MISMATCH',
    /labels: expected 2 \(one per score\), got 1/,
  ],
  [
    'typedTask: target outside the 3 classes',
    () => typedTask({ target: 3 }),
    'OUT_OF_RANGE',
    /target: expected an integer <= 2, got 3|target: expected .*2.*got 3/,
  ],
  [
    'typedTask: maxNodes below minNodes',
    () => typedTask({ minNodes: 20, maxNodes: 16 }),
    'OUT_OF_RANGE',
    /maxNodes: expected >= minNodes \(20\), got 16/,
  ],
  [
    'typedTask: trigger larger than the smallest graph',
    () => typedTask({ minNodes: 8, maxNodes: 10, triggerSize: 9 }),
    'OUT_OF_RANGE',
    /triggerSize: expected <= minNodes \(8\), got 9/,
  ],
  [
    'typedTask: unknown option',
    () => typedTask({ classes: 4 } as never),
    'INVALID_ARGUMENT',
    /typedTask options: unknown option 'classes'/,
  ],
  [
    'maskGradientShares: no isolated graph',
    withModel((m) => maskGradientShares(m, task.graphs, [])),
    'EMPTY_INPUT',
    /idx: expected at least one isolated graph/,
  ],
  [
    'maskObjective: negative betaSize',
    () => tf.tidy(() => maskObjective(logits(), y2, tf.zeros([2]) as tf.Tensor1D, { betaSize: -1 })),
    'OUT_OF_RANGE',
    /betaSize: expected a number >= 0/,
  ],
  [
    'maskedUnlearningLoss: unknown option',
    () => tf.tidy(() => maskedUnlearningLoss(logits(), y2, logits(), y2, { lamdaU: 1 } as never)),
    'INVALID_ARGUMENT',
    /unknown option 'lamdaU' \(did you mean 'lambdaU'\?\)/,
  ],
  [
    'maskedUnlearningLoss: clip 0',
    () => tf.tidy(() => maskedUnlearningLoss(logits(), y2, logits(), y2, { clip: 0 })),
    'OUT_OF_RANGE',
    /clip: expected a number > 0, got 0/,
  ],
  [
    'maskedUnlearningLoss: lambdaC without clean',
    () => tf.tidy(() => maskedUnlearningLoss(logits(), y2, logits(), y2, { lambdaC: 1 })),
    'INVALID_ARGUMENT',
    /clean: required when lambdaC > 0/,
  ],
  ['cleanAccuracy: lengths differ', () => cleanAccuracy([0, 1], [0]), 'SHAPE_MISMATCH', /predictions: expected 1/],
  ['cleanAccuracy: no labels', () => cleanAccuracy([], []), 'EMPTY_INPUT', /labels/],
  ['attackSuccessRate: no graphs', () => attackSuccessRate([], 0), 'EMPTY_INPUT', /predictionsOnTriggered/],
  [
    'isolationQuality: 0/1 flags instead of indices',
    () => isolationQuality([0, 1, 1, 0], [2]),
    'INVALID_ARGUMENT',
    /isolated\[2\]: index 1 appears twice; expected distinct graph indices/,
  ],
  [
    'isolationQuality: index beyond the dataset',
    () => isolationQuality([3, 12], [3], { numGraphs: 10 }),
    'OUT_OF_RANGE',
    /isolated\[1\]: expected a graph index in \[0, 10\), got 12/,
  ],
  [
    'isolationQuality: negative index',
    () => isolationQuality([1], [-1]),
    'OUT_OF_RANGE',
    /poisoned\[0\]: expected a graph index/,
  ],
  [
    'isolationQuality: unknown option',
    () => isolationQuality([1], [1], { n: 3 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'n'/,
  ],
  // models
  [
    'GraphClassifier: missing inDim',
    () => new GraphClassifier({ arch: 'gin', hidden: 2, layers: 1, classes: 2, seed: 0 } as never),
    'INVALID_ARGUMENT',
    /inDim: required/,
  ],
  [
    'GraphClassifier: unknown key',
    () => new GIN({ inDim: 2, hiden: 2, hidden: 2, layers: 1, classes: 2, seed: 0 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'hiden' \(did you mean 'hidden'\?\)/,
  ],
  [
    'GraphClassifier: one class',
    () => new GIN({ inDim: 2, hidden: 2, layers: 1, classes: 1, seed: 0 }),
    'OUT_OF_RANGE',
    /classes: expected an integer >= 2, got 1/,
  ],
  [
    'GraphClassifier: unknown pooling',
    () => new GIN({ inDim: 2, hidden: 2, layers: 1, classes: 2, seed: 0, pooling: 'avg' as never }),
    'INVALID_ARGUMENT',
    /pooling: expected one of 'sum', 'mean', 'max'/,
  ],
  [
    'EdgeMaskGenerator: temperature 0',
    () => new EdgeMaskGenerator({ embDim: 4, seed: 0, temperature: 0 }),
    'OUT_OF_RANGE',
    /temperature: expected a number > 0/,
  ],
  // the attack
  [
    'makeTrigger: unknown family',
    () => makeTrigger({ kind: 'star' as never }),
    'INVALID_ARGUMENT',
    /kind: expected one of 'ER', 'SW', 'BA', 'fixed', got 'star'/,
  ],
  ['makeTrigger: p above 1', () => makeTrigger({ p: 2 }), 'OUT_OF_RANGE', /p: expected a number >= 0 and <= 1, got 2/],
  [
    'makeTrigger: fixed edge outside the trigger',
    () => makeTrigger({ kind: 'fixed', size: 3, edges: [[0, 5]] }),
    'OUT_OF_RANGE',
    /edges: trigger edge \(0, 5\)/,
  ],
  [
    'plantTrigger: repeated nodes',
    () => plantTrigger(g, [1, 1, 2], [[0, 1]]),
    'INVALID_ARGUMENT',
    /nodes: expected distinct nodes/,
  ],
  [
    'plantTrigger: unknown option',
    () => plantTrigger(g, [1, 2], [[0, 1]], { featurise: () => g.x } as never),
    'INVALID_ARGUMENT',
    /unknown option 'featurise' \(did you mean 'featurize'\?\)/,
  ],
  [
    'injectSubgraphTrigger: target 7 of 2 classes',
    () => injectSubgraphTrigger(task.graphs, { target: 7 }),
    'OUT_OF_RANGE',
    /target: expected one of the classes \{0, 1\}, got 7/,
  ],
  [
    'injectSubgraphTrigger: rate above 1',
    () => injectSubgraphTrigger(task.graphs, { rate: 1.5 }),
    'OUT_OF_RANGE',
    /rate: expected a number >= 0 and <= 1, got 1.5/,
  ],
  [
    'injectSubgraphTrigger: trigger of one node',
    () => injectSubgraphTrigger(task.graphs, { size: 1 }),
    'OUT_OF_RANGE',
    /size: expected an integer >= 2, got 1/,
  ],
  ['injectSubgraphTrigger: no graphs', () => injectSubgraphTrigger([]), 'EMPTY_INPUT', /non-empty/],
  [
    'triggerTestSet: size 1',
    () => triggerTestSet(task.cleanTest, task.trigger, 0, 0, { size: 1 }),
    'OUT_OF_RANGE',
    /size: expected an integer >= 2/,
  ],
  [
    'triggerTestSet: negative target',
    () => triggerTestSet(task.cleanTest, task.trigger, -1, 0),
    'OUT_OF_RANGE',
    /target: expected a class index/,
  ],
  // the miniature's data
  [
    "backdoorTask: setting 'bogus'",
    () => backdoorTask({ setting: 'bogus' as never }),
    'INVALID_ARGUMENT',
    /setting: expected one of 'structure', 'feature', got 'bogus'/,
  ],
  [
    'backdoorTask: target class 7 of 2',
    () => backdoorTask({ target: 7 }),
    'OUT_OF_RANGE',
    /target: expected a class of the 2-class task \(0 or 1\), got 7/,
  ],
  [
    'backdoorTask: one training graph',
    () => backdoorTask({ numTrain: 1 }),
    'OUT_OF_RANGE',
    /numTrain: expected an integer >= 2, got 1/,
  ],
  [
    'backdoorTask: maxNodes below minNodes',
    () => backdoorTask({ minNodes: 12, maxNodes: 8 }),
    'OUT_OF_RANGE',
    /maxNodes: expected >= minNodes \(12\), got 8/,
  ],
  [
    'backdoorTask: unknown option',
    () => backdoorTask({ numTrian: 10 } as never),
    'INVALID_ARGUMENT',
    /backdoorTask options: unknown option 'numTrian' \(did you mean 'numTrain'\?\)/,
  ],
  [
    'backdoorTask: string for a number',
    () => backdoorTask({ numTrain: '40' as never }),
    'INVALID_ARGUMENT',
    /numTrain: expected number, got string/,
  ],
  // training and the defenses
  [
    'predict: chunk 0',
    withModel((m) => predict(m, task.graphs, { chunk: 0 })),
    'OUT_OF_RANGE',
    /chunk: expected an integer >= 1, got 0/,
  ],
  [
    'evaluateBackdoor: no clean test graphs',
    withModel((m) => evaluateBackdoor(m, [], task.triggeredTest, 0)),
    'EMPTY_INPUT',
    /cleanTest/,
  ],
  [
    'evaluateBackdoor: unknown option',
    withModel((m) => evaluateBackdoor(m, task.cleanTest, task.triggeredTest, 0, { mask: 1 } as never)),
    'INVALID_ARGUMENT',
    /unknown option 'mask'/,
  ],
  [
    'trainClassifier: negative epochs',
    withModel((m) => trainClassifier(m, task.graphs, { epochs: -1 })),
    'OUT_OF_RANGE',
    /epochs: expected an integer >= 1, got -1/,
  ],
  [
    'trainClassifier: zero epochs',
    withModel((m) => trainClassifier(m, task.graphs, { epochs: 0 })),
    'OUT_OF_RANGE',
    /epochs: expected an integer >= 1, got 0/,
  ],
  [
    'trainClassifier: empty epochs',
    withModel((m) => trainClassifier(m, task.graphs, { epochs: '' as never })),
    'INVALID_ARGUMENT',
    /epochs: expected number, got string/,
  ],
  [
    'trainClassifier: unknown option',
    withModel((m) => trainClassifier(m, task.graphs, { epoch: 3 } as never)),
    'INVALID_ARGUMENT',
    /trainClassifier options: unknown option 'epoch' \(did you mean 'epochs'\?\)/,
  ],
  [
    'trainClassifier: no indices',
    withModel((m) => trainClassifier(m, task.graphs, { indices: [] })),
    'EMPTY_INPUT',
    /indices/,
  ],
  [
    'trainClassifier: learning rate 0',
    withModel((m) => trainClassifier(m, task.graphs, { lr: 0 })),
    'OUT_OF_RANGE',
    /lr: expected a number > 0/,
  ],
  [
    'isolate: ratio above 1',
    withModel((m) => isolate(m, task.graphs, { ratio: 2 })),
    'OUT_OF_RANGE',
    /ratio: expected a number >= 0 and <= 1, got 2/,
  ],
  [
    'isolate: negative warm-up epochs',
    withModel((m) => isolate(m, task.graphs, { isoEpochs: -1 })),
    'OUT_OF_RANGE',
    /isoEpochs: expected an integer >= 0, got -1/,
  ],
  [
    'isolate: unknown criterion',
    withModel((m) => isolate(m, task.graphs, { criterion: 'vibes' as never })),
    'INVALID_ARGUMENT',
    /criterion: expected one of 'loss', 'homophily', 'both'/,
  ],
  [
    'isolate: a MADE-only option',
    withModel((m) => isolate(m, task.graphs, { clip: 2 } as never)),
    'INVALID_ARGUMENT',
    /isolate options: unknown option 'clip'/,
  ],
  ['isolate: no graphs', withModel((m) => isolate(m, [])), 'EMPTY_INPUT', /non-empty/],
  [
    'madeDefend: clip 0',
    withModel((m) => madeDefend(m, task.graphs, { clip: 0 })),
    'OUT_OF_RANGE',
    /clip: expected a number > 0, got 0/,
  ],
  [
    'madeDefend: negative unlearning epochs',
    withModel((m) => madeDefend(m, task.graphs, { unlearnEpochs: -2 })),
    'OUT_OF_RANGE',
    /unlearnEpochs: expected an integer >= 0, got -2/,
  ],
  [
    'madeDefend: unknown mask objective',
    withModel((m) => madeDefend(m, task.graphs, { maskObjective: 'nope' as never })),
    'INVALID_ARGUMENT',
    /maskObjective: expected one of/,
  ],
  [
    'madeDefend: random drop rate above 1',
    withModel((m) => madeDefend(m, task.graphs, { randomDropRate: 2 })),
    'OUT_OF_RANGE',
    /randomDropRate: expected a number >= 0 and <= 1/,
  ],
  [
    'madeDefend: isolation of another dataset',
    withModel((m) => madeDefend(m, task.graphs, { isolation: isolation([0, 400]) })),
    'OUT_OF_RANGE',
    /isolation.isolated: graph index 400 outside \[0, 40\)/,
  ],
  [
    'madeDefend: unknown option',
    withModel((m) => madeDefend(m, task.graphs, { lambdaUu: 1 } as never)),
    'INVALID_ARGUMENT',
    /madeDefend options: unknown option 'lambdaUu' \(did you mean 'lambdaU'\?\)/,
  ],
  [
    'ablDefend: unknown schedule',
    withModel((m) => ablDefend(m, task.graphs, { schedule: 'later' as never })),
    'INVALID_ARGUMENT',
    /schedule: expected one of 'joint', 'sequential', got 'later'/,
  ],
  [
    'ablDefend: negative epochs',
    withModel((m) => ablDefend(m, task.graphs, { epochs: -3 })),
    'OUT_OF_RANGE',
    /epochs: expected an integer >= 0, got -3/,
  ],
  ['ablDefend: no graphs', withModel((m) => ablDefend(m, [])), 'EMPTY_INPUT', /poisoned/],
  // the replication
  [
    'replicate: unknown preset',
    () => replicate({ preset: 'huge' as never }),
    'INVALID_ARGUMENT',
    /preset: expected one of 'quick', 'standard', 'full', got 'huge'/,
  ],
  [
    'replicate: unknown setting',
    () => replicate({ settings: ['colour' as never] }),
    'INVALID_ARGUMENT',
    /settings: expected items of typed, feature, structure, got 'colour'/,
  ],
  [
    'replicate: unknown arm',
    () => replicate({ arms: ['made', 'magic' as never] }),
    'INVALID_ARGUMENT',
    /arms: expected items of none, abl, made/,
  ],
  [
    'replicate: one training graph',
    () => replicate({ numTrain: 1 }),
    'OUT_OF_RANGE',
    /numTrain: expected an integer >= 2, got 1/,
  ],
  [
    'replicate: negative epochs',
    () => replicate({ epochs: -1 }),
    'OUT_OF_RANGE',
    /epochs: expected an integer >= 1, got -1/,
  ],
  [
    'replicate: unknown option',
    () => replicate({ seed: 1 } as never),
    'INVALID_ARGUMENT',
    /replicate options: unknown option 'seed' \(did you mean 'seeds'\?\)/,
  ],
  ['replicate: zero seeds', () => replicate({ seeds: 0 }), 'OUT_OF_RANGE', /seeds: expected a positive integer/],
];

describe('bad input', () => {
  it.each(cases)('%s', async (_name, call, code, message) => {
    const before = tf.memory().numTensors;
    const err = await (async () => call())().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, 'expected a LabError').toBeInstanceOf(LabError);
    expect((err as LabError).message).toMatch(message);
    expect((err as LabError).code).toBe(code);
    expect(tf.memory().numTensors).toBe(before);
  });
});
