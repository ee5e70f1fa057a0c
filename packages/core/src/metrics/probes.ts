import * as tf from '@tensorflow/tfjs';
import { LabError, assertFinite, assertInRange, assertOneOf } from '../errors.js';
import { Adam } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import { Rng } from '../random.js';
import { accuracy } from './classification.js';
import { type Labels, assert2D, assertFiniteTensor, labelArray } from './validate.js';

// Representation probes shared by the contrastive packages, on frozen features: kNN and a linear probe.

// ── kNN ───────────────────────────────────────────────────────────────────────────────────

export interface KnnOptions {
  /** Number of neighbours. Default 20 (symnce and difficult-examples miniatures). */
  k?: number;
  /**
   * How neighbours vote. `'uniform'` (default): one vote each (majority; ties go to the tied class with
   * the larger summed similarity, then the smaller id). `'similarity'`: votes weighted by cosine
   * similarity. `'exponential'`: weights exp(s/T) (Wu et al. 2018 InstDisc, solo-learn's kNN).
   */
  weighting?: 'uniform' | 'similarity' | 'exponential';
  /** Temperature T of the exponential weighting. Default 0.07. */
  temperature?: number;
  /** Number of classes; default max label + 1. */
  numClasses?: number;
  /** Test rows per similarity block (bounds memory at block·N_train floats). Default 1024. */
  chunkSize?: number;
}

/** kNN defaults: k = 20 (symnce §5 and difficult-examples §5 miniatures), majority vote, T = 0.07 (InstDisc) for `'exponential'`. */
export const defaultKnnOptions: Readonly<Required<Omit<KnnOptions, 'numClasses'>>> = {
  k: 20,
  weighting: 'uniform',
  temperature: 0.07,
  chunkSize: 1024,
};

/**
 * k-nearest-neighbour classification by cosine similarity: each query row takes the labels of its k
 * most similar training rows (features L2-normalised with eps 1e-12). Returns the predicted classes.
 */
export function knnClassify(
  trainFeatures: tf.Tensor,
  trainLabels: Labels,
  queryFeatures: tf.Tensor,
  options: KnnOptions = {},
): Int32Array {
  const { k, weighting, temperature, chunkSize } = {
    ...defaultKnnOptions,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<KnnOptions>;
  assert2D(trainFeatures, 'trainFeatures');
  assert2D(queryFeatures, 'queryFeatures');
  if (trainFeatures.shape[1] !== queryFeatures.shape[1]) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `queryFeatures: expected ${trainFeatures.shape[1]} columns (as trainFeatures), got ${queryFeatures.shape[1]}`,
    );
  }
  const y = labelArray(trainLabels, 'trainLabels');
  const nTrain = trainFeatures.shape[0];
  if (y.length !== nTrain)
    throw new LabError(
      'SHAPE_MISMATCH',
      `trainLabels: expected ${nTrain} labels (one per row of trainFeatures), got ${y.length}`,
    );
  assertInRange(k, 'k', { min: 1, max: nTrain, integer: true });
  assertOneOf(weighting, ['uniform', 'similarity', 'exponential'], 'weighting');
  assertInRange(temperature, 'temperature', { min: 0, minExclusive: true });
  assertInRange(chunkSize, 'chunkSize', { min: 1, integer: true });
  assertFiniteTensor(trainFeatures, 'trainFeatures');
  assertFiniteTensor(queryFeatures, 'queryFeatures');
  let numClasses = options.numClasses ?? 0;
  if (options.numClasses === undefined) for (const v of y) numClasses = Math.max(numClasses, v + 1);
  else {
    assertInRange(numClasses, 'numClasses', { min: 1, integer: true });
    for (let i = 0; i < y.length; i++)
      if (y[i]! >= numClasses)
        throw new LabError(
          'OUT_OF_RANGE',
          `trainLabels: expected ids < numClasses = ${numClasses}, got ${y[i]} at index ${i}`,
        );
  }

  const nQuery = queryFeatures.shape[0];
  const pred = new Int32Array(nQuery);
  const normalize = (x: tf.Tensor2D) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12));
  // Transposed once up front: a plain matMul was several times faster on WASM than one with transposeB.
  const trainNT = tf.tidy(() => tf.transpose(normalize(trainFeatures))); // [D, N]
  try {
    const votes = new Float64Array(numClasses),
      sims = new Float64Array(numClasses);
    for (let start = 0; start < nQuery; start += chunkSize) {
      const size = Math.min(chunkSize, nQuery - start);
      const [values, indices] = tf.tidy(() => {
        const q = normalize(tf.slice(queryFeatures, [start, 0], [size, -1])); // [b, D]
        const s = tf.matMul(q, trainNT as tf.Tensor2D); // [b, N] cosine similarities
        const top = tf.topk(s, k, true);
        return [top.values.dataSync().slice(), top.indices.dataSync().slice()];
      });
      for (let r = 0; r < size; r++) {
        votes.fill(0);
        sims.fill(0);
        for (let j = 0; j < k; j++) {
          const s = values[r * k + j]!,
            c = y[indices[r * k + j]!]!;
          votes[c] =
            votes[c]! + (weighting === 'uniform' ? 1 : weighting === 'similarity' ? s : Math.exp(s / temperature));
          sims[c] = sims[c]! + s;
        }
        let best = 0;
        for (let c = 1; c < numClasses; c++) {
          if (votes[c]! > votes[best]! || (votes[c] === votes[best] && sims[c]! > sims[best]!)) best = c;
        }
        pred[start + r] = best;
      }
    }
  } finally {
    trainNT.dispose();
  }
  return pred;
}

/**
 * kNN accuracy (in [0, 1]) of query rows against a labelled training set, cosine similarity, k = 20 by
 * default — the representation metric of the symnce and difficult-examples miniatures.
 *
 * @example const acc = knnAccuracy(hTrain, noisyLabels, hTest, testLabels, { k: 20 });
 */
export function knnAccuracy(
  trainFeatures: tf.Tensor,
  trainLabels: Labels,
  testFeatures: tf.Tensor,
  testLabels: Labels,
  options: KnnOptions = {},
): number {
  assert2D(testFeatures, 'testFeatures');
  const yTest = labelArray(testLabels, 'testLabels');
  if (yTest.length !== testFeatures.shape[0]) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `testLabels: expected ${testFeatures.shape[0]} labels (one per row of testFeatures), got ${yTest.length}`,
    );
  }
  return accuracy(knnClassify(trainFeatures, trainLabels, testFeatures, options), yTest);
}

// ── linear probe ──────────────────────────────────────────────────────────────────────────

/**
 * Named probe recipes (monosemantic spec §5):
 * - `'standardizedAdam'` (default): features standardised with the TRAIN mean/std, Adam lr 1e-2,
 *   300 full-batch epochs, weight decay 1e-4 (the essl miniature's probe);
 * - `'rawSgd'`: raw features, minibatch (256) SGD with momentum 0.9, lr 0.1, 100 epochs, no weight
 *   decay (closest to the solo-learn linear evaluation);
 * - `'l2Adam'`: rows L2-normalised, then as `'standardizedAdam'` without standardisation.
 */
export type ProbeProtocol = 'standardizedAdam' | 'rawSgd' | 'l2Adam';

export interface LinearProbeOptions {
  protocol?: ProbeProtocol;
  /** Feature preprocessing; overrides the protocol's. */
  preprocess?: 'none' | 'standardize' | 'l2';
  optimizer?: 'adam' | 'sgd';
  lr?: number;
  /** SGD momentum (ignored by Adam). */
  momentum?: number;
  /** Coupled L2 weight decay on W and b, as PyTorch's `weight_decay` (adds wd·θ to the gradient). */
  weightDecay?: number;
  epochs?: number;
  /** Minibatch size; `null` = full batch. */
  batchSize?: number | null;
  /** Seeds the initialisation (PyTorch nn.Linear: U(±1/√D)) and the minibatch order. Default 0. */
  seed?: number;
  /** Default: max label over train and test + 1. */
  numClasses?: number;
  /**
   * Start from these parameters instead of the seeded PyTorch-style initialisation: `weights` [D, C]
   * row-major and `bias` [C] (e.g. to share one initialisation across methods).
   */
  init?: { weights: ArrayLike<number>; bias: ArrayLike<number> };
}

type ProbeRecipe = Required<Omit<LinearProbeOptions, 'protocol' | 'seed' | 'numClasses' | 'init'>>;

const STANDARDIZED_ADAM: ProbeRecipe = {
  preprocess: 'standardize',
  optimizer: 'adam',
  lr: 1e-2,
  momentum: 0,
  weightDecay: 1e-4,
  epochs: 300,
  batchSize: null,
};

const PROTOCOLS: Record<ProbeProtocol, ProbeRecipe> = {
  standardizedAdam: STANDARDIZED_ADAM,
  rawSgd: { preprocess: 'none', optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0, epochs: 100, batchSize: 256 },
  l2Adam: { ...STANDARDIZED_ADAM, preprocess: 'l2' },
};

/** The default probe recipe (`'standardizedAdam'`), resolved. */
export const defaultLinearProbeOptions: Readonly<Required<Omit<LinearProbeOptions, 'numClasses' | 'init'>>> = {
  protocol: 'standardizedAdam',
  seed: 0,
  ...PROTOCOLS.standardizedAdam,
};

export interface LinearProbeResult {
  /** Test accuracy in [0, 1]. */
  accuracy: number;
  /** Accuracy on the (possibly noisy) training labels. */
  trainAccuracy: number;
  /** Mean training cross-entropy after the last epoch (without the weight-decay term). */
  trainLoss: number;
  /** [N_test] predicted classes. */
  testPredictions: Int32Array;
  /** The fitted classifier on the preprocessed features: W [D, C] and b [C] row-major, plus the train statistics used. */
  weights: Float32Array;
  bias: Float32Array;
  featureMean: Float32Array | null;
  featureStd: Float32Array | null;
}

/**
 * Linear probe: multinomial logistic regression trained with tfjs on frozen features, then evaluated on
 * held-out features. Leak-free by construction: standardisation statistics come from the training rows
 * only, the test rows never touch training, and every tensor made here is disposed (`tf.memory()` is
 * unchanged afterwards). Deterministic for a given seed and backend.
 *
 * @example
 * const { accuracy } = await linearProbe(hTrain, yTrain, hTest, yTest); // standardised + Adam, 300 epochs
 * const sgd = await linearProbe(hTrain, yNoisy, hTest, yTest, { protocol: 'rawSgd', seed: 1 });
 */
export async function linearProbe(
  trainFeatures: tf.Tensor,
  trainLabels: Labels,
  testFeatures: tf.Tensor,
  testLabels: Labels,
  options: LinearProbeOptions = {},
): Promise<LinearProbeResult> {
  const protocol = options.protocol ?? 'standardizedAdam';
  assertOneOf(protocol, ['standardizedAdam', 'rawSgd', 'l2Adam'], 'protocol');
  const cfg = {
    ...PROTOCOLS[protocol],
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<Omit<LinearProbeOptions, 'numClasses' | 'init'>> & {
    numClasses?: number;
    init?: LinearProbeOptions['init'];
  };
  assertOneOf(cfg.preprocess, ['none', 'standardize', 'l2'], 'preprocess');
  assertOneOf(cfg.optimizer, ['adam', 'sgd'], 'optimizer');
  assertInRange(cfg.lr, 'lr', { min: 0, minExclusive: true });
  assertInRange(cfg.momentum, 'momentum', { min: 0, max: 1, maxExclusive: true });
  assertInRange(cfg.weightDecay, 'weightDecay', { min: 0 });
  assertInRange(cfg.epochs, 'epochs', { min: 0, integer: true });
  if (cfg.batchSize !== null) assertInRange(cfg.batchSize, 'batchSize', { min: 1, integer: true });
  assertInRange(cfg.seed ?? 0, 'seed', { min: 0 });

  assert2D(trainFeatures, 'trainFeatures');
  assert2D(testFeatures, 'testFeatures');
  const [nTrain, dim] = trainFeatures.shape;
  if (testFeatures.shape[1] !== dim)
    throw new LabError(
      'SHAPE_MISMATCH',
      `testFeatures: expected ${dim} columns (as trainFeatures), got ${testFeatures.shape[1]}`,
    );
  const yTrain = labelArray(trainLabels, 'trainLabels');
  const yTest = labelArray(testLabels, 'testLabels');
  if (yTrain.length !== nTrain)
    throw new LabError(
      'SHAPE_MISMATCH',
      `trainLabels: expected ${nTrain} labels (one per row of trainFeatures), got ${yTrain.length}`,
    );
  if (yTest.length !== testFeatures.shape[0])
    throw new LabError(
      'SHAPE_MISMATCH',
      `testLabels: expected ${testFeatures.shape[0]} labels (one per row of testFeatures), got ${yTest.length}`,
    );
  assertFiniteTensor(trainFeatures, 'trainFeatures');
  assertFiniteTensor(testFeatures, 'testFeatures');
  let numClasses = 0;
  for (const v of yTrain) numClasses = Math.max(numClasses, v + 1);
  for (const v of yTest) numClasses = Math.max(numClasses, v + 1);
  if (cfg.numClasses !== undefined) {
    assertInRange(cfg.numClasses, 'numClasses', { min: numClasses, integer: true });
    numClasses = cfg.numClasses;
  } else {
    // Inferring the class count from the largest id must not turn one stray label (99 among ten classes)
    // into a 100-way probe: every id below the largest must occur among the training labels.
    const seen = new Set(yTrain);
    const missing = Array.from({ length: numClasses }, (_, c) => c).filter((c) => !seen.has(c));
    if (missing.length > 0)
      throw new LabError(
        'INVALID_ARGUMENT',
        `trainLabels: class ids 0 … ${numClasses - 1} inferred from the largest label, but ${missing.length} of them never occur in trainLabels (e.g. ${missing.slice(0, 5).join(', ')}); pass numClasses to probe with absent classes`,
      );
  }
  numClasses = Math.max(numClasses, 2);

  const rng = new Rng(cfg.seed ?? 0);
  const initRng = rng.fork('init'),
    orderRng = rng.fork('order');
  const bound = 1 / Math.sqrt(dim);
  let w0 = initRng.uniformArray(dim * numClasses, -bound, bound),
    b0 = initRng.uniformArray(numClasses, -bound, bound);
  if (cfg.init) {
    if (cfg.init.weights?.length !== dim * numClasses || cfg.init.bias?.length !== numClasses) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `init: expected weights of ${dim}·${numClasses} = ${dim * numClasses} and bias of ${numClasses} values, got ${cfg.init.weights?.length} and ${cfg.init.bias?.length}`,
      );
    }
    w0 = Float32Array.from(cfg.init.weights);
    b0 = Float32Array.from(cfg.init.bias);
    assertFinite(w0, 'init.weights');
    assertFinite(b0, 'init.bias');
  }
  const W = tf.tidy(() => tf.variable(tf.tensor2d(w0, [dim, numClasses]))); // [D, C]
  const b = tf.tidy(() => tf.variable(tf.tensor1d(b0))); // [C]
  // Core's optimisers, PyTorch semantics: Adam with (β1, β2) = (0.9, 0.999) and ε = 1e-8 added to √v̂, or
  // SGD with momentum; weight decay is the coupled L2 term (wd·θ added to the gradient) in both.
  const optimizer =
    cfg.optimizer === 'adam'
      ? new Adam({ W, b }, { lr: cfg.lr, weightDecay: cfg.weightDecay })
      : new SGD({ W, b }, { lr: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });
  /**
   * One optimiser step on a batch, with the closed-form gradient of mean softmax cross-entropy,
   * G = (softmax(xW + b) − Y)/n, ∇W = xᵀG, ∇b = Σ_rows G. It takes about half the kernel launches of
   * autograd, which dominate at probe sizes.
   */
  // xT is xᵀ [D, n], passed explicitly: a plain matMul on it was ~4× faster on WASM than matMul(x, G, transposeA).
  const step = (x: tf.Tensor2D, xT: tf.Tensor2D, y1h: tf.Tensor) => {
    const grads = tf.tidy(() => {
      const logits = tf.add(tf.matMul(x, W as tf.Tensor2D), b); // [n, C]
      const G = tf.div(tf.sub(tf.softmax(logits), y1h), x.shape[0]) as tf.Tensor2D; // [n, C]
      return { W: tf.matMul(xT, G), b: tf.sum(G, 0) }; // [D, C], [C]
    });
    optimizer.step(grads);
    tf.dispose([grads.W, grads.b]);
  };

  // Preprocessing uses TRAIN statistics only; the test set is transformed with them afterwards.
  let mean: tf.Tensor | null = null,
    std: tf.Tensor | null = null;
  const prep = (x: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      if (cfg.preprocess === 'standardize') return tf.div(tf.sub(x, mean!), std!) as tf.Tensor2D;
      if (cfg.preprocess === 'l2') return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
      return x.clone();
    });
  if (cfg.preprocess === 'standardize') {
    const stats = tf.tidy(() => {
      const m = tf.moments(trainFeatures, 0); // population std, as sklearn StandardScaler
      const s = tf.sqrt(m.variance);
      return [m.mean, tf.where(tf.less(s, 1e-8), tf.onesLike(s), s)];
    });
    mean = stats[0]!;
    std = stats[1]!;
  }
  const xTrain = prep(trainFeatures);
  const yTrainT = tf.tensor1d(yTrain, 'int32');
  const yOneHot = tf.tidy(() => tf.oneHot(yTrainT, numClasses).toFloat());
  let xTrainT: tf.Tensor2D | null = null;
  try {
    const fullBatch = cfg.batchSize === null || cfg.batchSize >= nTrain;
    if (fullBatch && cfg.epochs > 0) xTrainT = tf.transpose(xTrain) as tf.Tensor2D; // [D, N]
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      if (fullBatch) {
        step(xTrain, xTrainT!, yOneHot);
      } else {
        const perm = orderRng.permutation(nTrain);
        const batchSize = cfg.batchSize ?? nTrain;
        for (let start = 0; start < nTrain; start += batchSize) {
          const idx = perm.subarray(start, Math.min(nTrain, start + batchSize));
          const [xb, xbT, yb] = tf.tidy(() => {
            const ids = tf.tensor1d(idx, 'int32');
            const rows = tf.gather(xTrain, ids) as tf.Tensor2D;
            return [rows, tf.transpose(rows), tf.gather(yOneHot, ids)];
          });
          step(xb as tf.Tensor2D, xbT as tf.Tensor2D, yb!);
          tf.dispose([xb!, xbT!, yb!]);
        }
      }
    }
    const [trainLoss, trainPred] = tf.tidy(() => {
      const logits = tf.add(tf.matMul(xTrain, W as tf.Tensor2D), b);
      return [
        tf.losses.softmaxCrossEntropy(yOneHot, logits).dataSync()[0]!,
        tf.argMax(logits, 1).dataSync().slice() as Int32Array,
      ];
    });
    const testPredictions = tf.tidy(() => {
      const xTest = prep(testFeatures);
      return tf
        .argMax(tf.add(tf.matMul(xTest, W as tf.Tensor2D), b), 1)
        .dataSync()
        .slice() as Int32Array;
    });
    return {
      accuracy: accuracy(testPredictions, yTest),
      trainAccuracy: accuracy(trainPred, yTrain),
      trainLoss,
      testPredictions,
      weights: W.dataSync().slice() as Float32Array,
      bias: b.dataSync().slice() as Float32Array,
      featureMean: mean ? (mean.dataSync().slice() as Float32Array) : null,
      featureStd: std ? (std.dataSync().slice() as Float32Array) : null,
    };
  } finally {
    if (xTrainT) xTrainT.dispose();
    optimizer.dispose();
    tf.dispose([W, b, xTrain, yTrainT, yOneHot, ...(mean ? [mean] : []), ...(std ? [std] : [])]);
  }
}
