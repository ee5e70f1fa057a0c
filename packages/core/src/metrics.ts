import * as tf from '@tensorflow/tfjs';
import { LabError, assertFinite, assertInRange, assertOneOf } from './errors.js';
import { Rng } from './random.js';

// Evaluation metrics: accuracy, quantiles, correlations, ROC-AUC (plain float64 host code), and the
// representation probes shared by the contrastive packages (linear probe and kNN on frozen features).

type Labels = ArrayLike<number> | tf.Tensor;

function labelArray(labels: Labels, name: string): Int32Array {
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1)
      throw new LabError(
        'SHAPE_MISMATCH',
        `${name}: expected a 1-D tensor of class ids, got shape [${labels.shape.join(', ')}]`,
      );
    labels = labels.dataSync() as ArrayLike<number>;
  }
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0)
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}: expected non-negative integer class ids, got ${y} at index ${i}`,
      );
    out[i] = y;
  }
  return out;
}

function numberArray(values: ArrayLike<number>, name: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new LabError('NON_FINITE', `${name}: expected finite numbers, got ${v} at index ${i}`);
    out[i] = v;
  }
  return out;
}

function assert2D(x: tf.Tensor, name: string): asserts x is tf.Tensor2D {
  if (!(x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor2D, got ${typeof x}`);
  if (x.rank !== 2)
    throw new LabError('SHAPE_MISMATCH', `${name}: expected a 2-D tensor [N, D], got shape [${x.shape.join(', ')}]`);
  if (x.shape[0] === 0)
    throw new LabError('EMPTY_INPUT', `${name}: expected at least 1 row, got shape [${x.shape.join(', ')}]`);
}

function assertFiniteTensor(x: tf.Tensor, name: string): void {
  const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(x))).dataSync()[0]);
  if (bad) throw new LabError('NON_FINITE', `${name}: expected finite values, found NaN or Inf`);
}

/**
 * Fraction of correct predictions, in [0, 1]. `predictions` are class ids, or a 2-D tensor of
 * logits/scores [N, C] whose row-wise argmax is taken.
 * @example accuracy([0, 1, 1], [0, 1, 0]) // 0.666…
 */
export function accuracy(predictions: Labels, labels: Labels): number {
  let pred: Int32Array;
  if (predictions instanceof tf.Tensor && predictions.rank === 2) {
    const p = predictions;
    pred = tf.tidy(() => tf.argMax(p, 1).dataSync() as Int32Array).slice();
  } else pred = labelArray(predictions, 'predictions');
  const y = labelArray(labels, 'labels');
  if (pred.length !== y.length)
    throw new LabError(
      'SHAPE_MISMATCH',
      `predictions: expected ${y.length} entries (one per label), got ${pred.length}`,
    );
  if (y.length === 0) throw new LabError('EMPTY_INPUT', 'labels: expected at least 1 label, got 0');
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) correct++;
  return correct / y.length;
}

/**
 * The q-quantile with linear interpolation between order statistics, as `numpy.quantile` (default
 * method) and `torch.quantile` compute it: sort ascending, position q·(n−1). `q` may be an array.
 * @example quantile([1, 2, 3, 4], 0.5) // 2.5
 */
export function quantile(values: ArrayLike<number>, q: number): number;
export function quantile(values: ArrayLike<number>, q: readonly number[]): number[];
export function quantile(values: ArrayLike<number>, q: number | readonly number[]): number | number[] {
  if (values.length === 0) throw new LabError('EMPTY_INPUT', 'values: expected at least 1 value, got 0');
  const sorted = numberArray(values, 'values').sort();
  const one = (p: number) => {
    assertInRange(p, 'q', { min: 0, max: 1 });
    const pos = p * (sorted.length - 1);
    const lo = Math.floor(pos),
      hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  };
  return typeof q === 'number' ? one(q) : q.map(one);
}

/** Ranks 1..n with ties given their average rank (`scipy.stats.rankdata(method='average')`). */
export function rankData(values: ArrayLike<number>): Float64Array {
  const v = numberArray(values, 'values');
  const order = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b);
  const ranks = new Float64Array(v.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && v[order[end]!] === v[order[start]!]) end++;
    const avg = (start + 1 + end) / 2; // mean of ranks start+1 … end
    for (let k = start; k < end; k++) ranks[order[k]!] = avg;
    start = end;
  }
  return ranks;
}

function pairedArrays(a: ArrayLike<number>, b: ArrayLike<number>): [Float64Array, Float64Array] {
  const x = numberArray(a, 'a'),
    y = numberArray(b, 'b');
  if (x.length !== y.length)
    throw new LabError('SHAPE_MISMATCH', `b: expected ${x.length} values (the length of a), got ${y.length}`);
  if (x.length < 2) throw new LabError('EMPTY_INPUT', `a: expected at least 2 paired values, got ${x.length}`);
  return [x, y];
}

/**
 * Pearson correlation coefficient of two paired samples (two-pass, float64). Returns NaN when either
 * sample is constant (the correlation is undefined), as numpy and scipy do.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [x, y] = pairedArrays(a, b);
  const n = x.length;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx,
      dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman rank correlation: Pearson on average ranks, so ties are handled as `scipy.stats.spearmanr` does. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [x, y] = pairedArrays(a, b);
  return pearson(rankData(x), rankData(y));
}

/**
 * Area under the ROC curve for binary labels (1 = positive) and real-valued scores, via the
 * Mann–Whitney statistic with average ranks, so tied scores count one half (`sklearn.metrics.roc_auc_score`).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const s = numberArray(scores, 'scores');
  if (labels.length !== s.length)
    throw new LabError('SHAPE_MISMATCH', `scores: expected ${labels.length} values (one per label), got ${s.length}`);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1)
      throw new LabError('INVALID_ARGUMENT', `labels: expected binary labels 0/1, got ${y} at index ${i}`);
    pos += y;
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0)
    throw new LabError(
      'INVALID_ARGUMENT',
      `labels: ROC-AUC needs both classes, got ${pos} positive and ${neg} negative`,
    );
  const ranks = rankData(s);
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) rankSum += ranks[i]!;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

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

const PROTOCOLS: Record<
  ProbeProtocol,
  Required<Omit<LinearProbeOptions, 'protocol' | 'seed' | 'numClasses' | 'init'>>
> = {
  standardizedAdam: {
    preprocess: 'standardize',
    optimizer: 'adam',
    lr: 1e-2,
    momentum: 0,
    weightDecay: 1e-4,
    epochs: 300,
    batchSize: null,
  },
  rawSgd: { preprocess: 'none', optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0, epochs: 100, batchSize: 256 },
  l2Adam: {
    preprocess: 'l2',
    optimizer: 'adam',
    lr: 1e-2,
    momentum: 0,
    weightDecay: 1e-4,
    epochs: 300,
    batchSize: null,
  },
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
  let W: tf.Tensor = tf.tensor2d(w0, [dim, numClasses]); // [D, C]
  let b: tf.Tensor = tf.tensor1d(b0); // [C]
  // Optimiser state: Adam's first/second moments, or SGD's momentum buffers (PyTorch semantics).
  let state: tf.Tensor[] = tf.tidy(() =>
    (cfg.optimizer === 'adam' ? [W, W, b, b] : [W, b]).map((p) => tf.zerosLike(p)),
  );
  let t = 0;
  const [beta1, beta2, adamEps] = [0.9, 0.999, 1e-8];
  /**
   * One optimiser step on a batch, with the closed-form gradient of mean softmax cross-entropy plus
   * the coupled L2 term: G = (softmax(xW + b) − Y)/n, ∇W = xᵀG + wd·W, ∇b = Σ_rows G + wd·b. It takes
   * about half the kernel launches of autograd + tf.train, which dominate at probe sizes.
   */
  // xT is xᵀ [D, n], passed explicitly: a plain matMul on it was ~4× faster on WASM than matMul(x, G, transposeA).
  const step = (x: tf.Tensor2D, xT: tf.Tensor2D, y1h: tf.Tensor) => {
    t++;
    const next = tf.tidy(() => {
      const logits = tf.add(tf.matMul(x, W as tf.Tensor2D), b); // [n, C]
      const G = tf.div(tf.sub(tf.softmax(logits), y1h), x.shape[0]) as tf.Tensor2D; // [n, C]
      let gW: tf.Tensor = tf.matMul(xT, G),
        gb: tf.Tensor = tf.sum(G, 0); // [D, C], [C]
      if (cfg.weightDecay > 0) {
        gW = tf.add(gW, tf.mul(W, cfg.weightDecay));
        gb = tf.add(gb, tf.mul(b, cfg.weightDecay));
      }
      if (cfg.optimizer === 'sgd') {
        const [bufW, bufB] = [tf.add(tf.mul(state[0]!, cfg.momentum), gW), tf.add(tf.mul(state[1]!, cfg.momentum), gb)];
        return [tf.sub(W, tf.mul(bufW, cfg.lr)), tf.sub(b, tf.mul(bufB, cfg.lr)), bufW, bufB];
      }
      const lrT = (cfg.lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      const epsT = adamEps * Math.sqrt(1 - beta2 ** t);
      const adamUpdate = (p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor) => {
        const m2 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        // p − lr·m̂/(√v̂ + ε), rewritten with the bias corrections folded into lrT and epsT
        return [tf.sub(p, tf.mul(tf.div(m2, tf.add(tf.sqrt(v2), epsT)), lrT)), m2, v2];
      };
      const [W2, mW, vW] = adamUpdate(W, gW, state[0]!, state[1]!);
      const [b2, mb, vb] = adamUpdate(b, gb, state[2]!, state[3]!);
      return [W2!, b2!, mW!, vW!, mb!, vb!];
    });
    tf.dispose([W, b, ...state]);
    [W, b, ...state] = next as [tf.Tensor, tf.Tensor, ...tf.Tensor[]];
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
    tf.dispose([W, b, ...state, xTrain, yTrainT, yOneHot, ...(mean ? [mean] : []), ...(std ? [std] : [])]);
  }
}
