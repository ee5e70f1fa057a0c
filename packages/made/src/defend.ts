import { Adam, LabError, Rng, SGD, batchIndices, fit, strictOptions, tf, type Optimizer } from '@lab/core';
import { batchGraphs, type Graph, type GraphBatch } from '@lab/graph';
import {
  ablChecks,
  defaultAblOptions,
  defaultMaskObjectiveOptions,
  defaultMadeOptions,
  defaultTrainOptions,
  madeChecks,
  trainChecks,
  type AblOptions,
  type EpochCallback,
  type MadeOptions,
  type MaskObjectiveOptions,
  type TrainOptions,
  type TrainingProgress,
} from './config.js';
import {
  ablLoss,
  attackSuccessRate,
  cleanAccuracy,
  cleanEdgeMask,
  cleanNodesFromMask,
  crossEntropyPerSample,
  graphHomophily,
  maskObjective,
  maskObjectiveTerms,
  maskedUnlearningLoss,
  nodeHomophily,
} from './made.js';
import { EdgeMaskGenerator, type GraphClassifier } from './models.js';

/*
 * Training loops: the victim, the isolation warm-up, MADE's masked unlearning and the baselines.
 * The plain epoch loops (victim, warm-up, ABL joint, ABL ascent) run on core's `fit`; MADE's unlearning
 * alternates two optimisers per step and keeps its own loop. Every loop keeps tf.memory().numTensors
 * flat (optimisers are disposed; every step runs in tidy).
 */

export type { EpochCallback } from './config.js';

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function labelsOf(graphs: readonly Graph[], idx: readonly number[]): Int32Array {
  return Int32Array.from(idx, (i) => {
    const y = graphs[i]!.label;
    if (y === undefined)
      throw new LabError('INVALID_ARGUMENT', `graphs[${i}].label: every training graph needs a label`);
    return y;
  });
}

function pick(graphs: readonly Graph[], idx: readonly number[]): GraphBatch {
  return batchGraphs(idx.map((i) => graphs[i]!));
}

function shuffledBatches(indices: readonly number[], batchSize: number, rng: Rng): number[][] {
  return batchIndices(indices, batchSize, { shuffle: true, rng }).map((batch) => Array.from(batch));
}

function checkData(graphs: readonly Graph[], name = 'graphs'): void {
  if (graphs.length === 0) throw new LabError('EMPTY_INPUT', `${name}: expected a non-empty dataset`);
}

const progressDefaults: TrainingProgress = { onEpoch: undefined, onProgress: undefined };

/** What one plain epoch loop runs: which graphs, in which batches, with which optimiser, reported how. */
interface EpochLoop {
  model: GraphClassifier;
  /** Disposed when the loop ends. */
  optimizer: Optimizer;
  stage: string;
  epochs: number;
  /** The graphs of an epoch, reshuffled into `batchSize` batches each epoch with `rng`. */
  indices: readonly number[];
  batchSize: number;
  rng: Rng;
  progress: TrainingProgress;
}

/**
 * One plain epoch loop on core's `fit`: `epochs` passes over `indices` in shuffled batches (drawn at the start of
 * each epoch, so a stateful Rng is consumed exactly as a hand-written loop would), `loss` per batch, one
 * optimiser step per batch. Progress goes to `onEpoch` / `onProgress` only (no printing). Returns the mean
 * loss per epoch.
 */
async function epochLoop(loop: EpochLoop, loss: (idx: number[]) => tf.Scalar): Promise<number[]> {
  const { epochs, stage, progress } = loop;
  try {
    if (epochs === 0) return [];
    const result = await fit({
      model: loop.model,
      optimizer: loop.optimizer,
      epochs,
      stepsPerEpoch: Math.ceil(loop.indices.length / loop.batchSize),
      data: () => shuffledBatches(loop.indices, loop.batchSize, loop.rng),
      loss: (idx) => loss(idx),
      progress: 'none',
      label: stage,
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      callbacks: {
        onEpochEnd: async (record) => {
          progress.onEpoch?.({ stage, epoch: record.epoch, epochs, loss: record.loss });
          await yieldToEventLoop();
        },
      },
    });
    return result.history.map((h) => h.loss);
  } finally {
    loop.optimizer.dispose();
  }
}

/** Mean cross-entropy of the classifier on graphs `idx` — a scalar. */
const meanCE = (model: GraphClassifier, graphs: readonly Graph[], idx: readonly number[]): tf.Scalar =>
  tf.mean(crossEntropyPerSample(model.apply(pick(graphs, idx)).logits, labelsOf(graphs, idx))) as tf.Scalar;

interface PredictOptions {
  chunk: number;
  maskWith?: EdgeMaskGenerator;
}
const predictDefaults: PredictOptions = { chunk: 256, maskWith: undefined };

/**
 * Predictions (and per-graph CE when every graph is labelled) of a classifier, in chunks of `chunk` graphs.
 * `maskWith` applies a mask generator's edge mask at inference (the spec's open `maskAtInference` point).
 */
export function predict(
  model: GraphClassifier,
  graphs: readonly Graph[],
  options: { chunk?: number; maskWith?: EdgeMaskGenerator } = {},
): { predictions: Int32Array; ce?: Float32Array } {
  const { chunk, maskWith } = strictOptions<PredictOptions>(options, predictDefaults, 'predict options', {
    chunk: { min: 1, integer: true },
  });
  const predictions = new Int32Array(graphs.length);
  const labelled = graphs.every((g) => g.label !== undefined);
  const ce = labelled ? new Float32Array(graphs.length) : undefined;
  for (let start = 0; start < graphs.length; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, graphs.length - start) }, (_, k) => start + k);
    const b = pick(graphs, idx);
    tf.tidy(() => {
      const w = maskWith ? maskWith.apply(model.apply(b).firstH, b) : undefined;
      const logits = model.apply(b, w).logits;
      predictions.set(tf.argMax(logits, 1).dataSync() as Int32Array, start);
      if (ce) ce.set(crossEntropyPerSample(logits, labelsOf(graphs, idx)).dataSync() as Float32Array, start);
    });
  }
  return ce ? { predictions, ce } : { predictions };
}

/**
 * Clean accuracy on untouched test graphs and ASR on triggered test graphs of non-target classes. The plain
 * model is evaluated (all edge weights 1) unless `maskWith` gives a generator whose masks are applied at inference.
 */
export function evaluateBackdoor(
  model: GraphClassifier,
  cleanTest: readonly Graph[],
  triggeredTest: readonly Graph[],
  target: number,
  options: { maskWith?: EdgeMaskGenerator } = {},
): { acc: number; asr: number } {
  strictOptions<{ maskWith?: EdgeMaskGenerator }>(options, { maskWith: undefined }, 'evaluateBackdoor options');
  if (!Number.isInteger(target) || target < 0)
    throw new LabError('OUT_OF_RANGE', `target: expected a class index (an integer >= 0), got ${target}`);
  checkData(cleanTest, 'cleanTest');
  checkData(triggeredTest, 'triggeredTest');
  const acc = cleanAccuracy(
    predict(model, cleanTest, options).predictions,
    labelsOf(
      cleanTest,
      cleanTest.map((_, i) => i),
    ),
  );
  const asr = attackSuccessRate(predict(model, triggeredTest, options).predictions, target);
  return { acc, asr };
}

type TrainClassifierOptions = TrainOptions & { indices?: readonly number[] } & TrainingProgress;
const trainDefaults: TrainClassifierOptions = { ...defaultTrainOptions, indices: undefined, ...progressDefaults };

/** Plain cross-entropy training with Adam (the no-defense victim and the clean oracle), on core's `fit`. Returns the mean loss per epoch. */
export async function trainClassifier(
  model: GraphClassifier,
  graphs: readonly Graph[],
  options: Partial<TrainOptions> & { indices?: readonly number[] } & TrainingProgress = {},
): Promise<number[]> {
  const o = strictOptions<TrainClassifierOptions>(options, trainDefaults, 'trainClassifier options', trainChecks);
  checkData(graphs);
  const indices = o.indices ?? graphs.map((_, i) => i);
  if (indices.length === 0) throw new LabError('EMPTY_INPUT', 'indices: expected at least one training graph');
  const rng = new Rng(o.seed).fork('train');
  const loop = { model, optimizer: new Adam(model, { lr: o.lr }), stage: 'train', rng, progress: o };
  return epochLoop({ ...loop, epochs: o.epochs, indices, batchSize: o.batchSize }, (idx) => meanCE(model, graphs, idx));
}

/** Result of {@link isolate}. */
export interface IsolationResult {
  /** Indices of the isolated (suspected poisoned) graphs, most suspicious first. */
  isolated: Int32Array;
  /** Isolation score of every graph (lower = more suspicious). */
  scores: Float32Array;
  /** Per-graph CE after the warm-up. */
  ce: Float32Array;
  /** Per-graph feature homophily. */
  homophily: Float32Array;
  /** What each criterion would isolate at the same count (diagnostics). */
  byCriterion: Record<'loss' | 'homophily' | 'both', Int32Array>;
}

function ranks(values: ArrayLike<number>): Float32Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const r = new Float32Array(values.length);
  order.forEach((i, k) => (r[i] = k));
  return r;
}

function lowest(scores: ArrayLike<number>, count: number): Int32Array {
  return Int32Array.from(
    Array.from({ length: scores.length }, (_, i) => i)
      .sort((a, b) => scores[a]! - scores[b]! || a - b)
      .slice(0, count),
  );
}

const ISOLATE_KEYS = ['isoEpochs', 'isoLoss', 'gamma', 'ratio', 'criterion', 'lr', 'batchSize', 'seed'] as const;
/** What {@link isolate} takes from {@link MadeOptions}. */
type IsolateOptions = Pick<MadeOptions, (typeof ISOLATE_KEYS)[number]>;
const isolateDefaults: IsolateOptions & TrainingProgress = {
  ...(Object.fromEntries(ISOLATE_KEYS.map((k) => [k, defaultMadeOptions[k]])) as IsolateOptions),
  ...progressDefaults,
};
const isolateOptionsOf = (o: IsolateOptions & TrainingProgress): IsolateOptions & TrainingProgress => ({
  ...(Object.fromEntries(ISOLATE_KEYS.map((k) => [k, o[k]])) as IsolateOptions),
  onEpoch: o.onEpoch,
  onProgress: o.onProgress,
});

/**
 * Stage 1 — isolation [P: loss- and homophily-based; R: the rule]: warm up `isoEpochs` with the ABL
 * loss (flooding or LGA), then score `s(G) = rank↑(CE_G) + rank↑(homo(G))` (or one of the two) and isolate
 * the `ratio·|D|` lowest. Trains `model` in place.
 */
export async function isolate(
  model: GraphClassifier,
  data: readonly Graph[],
  options: Partial<IsolateOptions> & TrainingProgress = {},
): Promise<IsolationResult> {
  const o = strictOptions<IsolateOptions & TrainingProgress>(options, isolateDefaults, 'isolate options', madeChecks);
  checkData(data);
  const rng = new Rng(o.seed).fork('isolation');
  const all = data.map((_, i) => i);
  const loop = { model, optimizer: new Adam(model, { lr: o.lr }), stage: 'isolation warm-up', rng, progress: o };
  await epochLoop({ ...loop, epochs: o.isoEpochs, indices: all, batchSize: o.batchSize }, (idx) => {
    const ce = crossEntropyPerSample(model.apply(pick(data, idx)).logits, labelsOf(data, idx));
    return tf.mean(ablLoss(ce, { kind: o.isoLoss, gamma: o.gamma })) as tf.Scalar;
  });
  const ce = predict(model, data).ce!;
  const homophily = Float32Array.from(data, (g) => graphHomophily(g)[0]!);
  const rc = ranks(ce);
  const rh = ranks(homophily);
  const both = Float32Array.from(rc, (r, i) => r + rh[i]!);
  const count = Math.round(o.ratio * data.length);
  const byCriterion = { loss: lowest(rc, count), homophily: lowest(rh, count), both: lowest(both, count) };
  const scores = o.criterion === 'loss' ? rc : o.criterion === 'homophily' ? rh : both;
  return { isolated: byCriterion[o.criterion], scores, ce, homophily, byCriterion };
}

function splitKeep(n: number, isolated: Int32Array): number[] {
  const iso = new Set(isolated);
  return Array.from({ length: n }, (_, i) => i).filter((i) => !iso.has(i));
}

/** One logged unlearning epoch. */
export interface UnlearnLogEntry {
  epoch: number;
  /** Mean classifier objective `L_θ`. */
  lossModel: number;
  /** Mean mask objective `L_φ` (NaN without a generator). */
  lossMask: number;
  /** Mean mask value on the isolated graphs. */
  maskMean: number;
}

/** Result of {@link madeDefend}. */
export interface MadeResult {
  isolation: IsolationResult;
  isolated: Int32Array;
  /** Final mask of every isolated graph (per directed edge). */
  masks: Map<number, Float32Array>;
  log: UnlearnLogEntry[];
  /** The generator when `maskObjective` uses one (caller disposes), else null. */
  generator: EdgeMaskGenerator | null;
}

/** Extra inputs of {@link madeDefend}: a precomputed isolation (the model must then be the warmed one), progress. */
export interface DefendExtras {
  isolation?: IsolationResult;
  onEpoch?: EpochCallback;
  /** Replace the learned mask by random 0/1 edge drops at this rate (the random-drop baseline). */
  randomDropRate?: number;
  /** Core progress events (per epoch of each stage), e.g. a CLI's `ctx.progress.onProgress`. */
  onProgress?: TrainingProgress['onProgress'];
}

const extrasDefaults: DefendExtras = { isolation: undefined, randomDropRate: undefined, ...progressDefaults };

/** Checks a precomputed isolation against the dataset it claims to isolate. */
function checkIsolation(isolation: IsolationResult, numGraphs: number): void {
  if (!(isolation?.isolated instanceof Int32Array))
    throw new LabError(
      'INVALID_ARGUMENT',
      'isolation.isolated: expected an Int32Array of graph indices (from isolate())',
    );
  for (const i of isolation.isolated)
    if (i < 0 || i >= numGraphs)
      throw new LabError('OUT_OF_RANGE', `isolation.isolated: graph index ${i} outside [0, ${numGraphs})`);
}

function suspiciousMask(g: Graph, threshold: number): Float32Array {
  // nodeHomophily objective: edges touching a low-homophily node carry the suspected trigger.
  const homo = nodeHomophily(g);
  const clean = Uint8Array.from(homo, (h) => (h >= threshold ? 1 : 0));
  const m = new Float32Array(g.src.length);
  for (let k = 0; k < m.length; k++) m[k] = clean[g.src[k]!] && clean[g.dst[k]!] ? 0 : 1;
  return m;
}

/**
 * MADE [P: isolate → adversarial edge masks → masked unlearning; R: objectives and schedule, spec §2.4–§2.6]:
 * isolates suspicious graphs, then for `unlearnEpochs` alternates per step one generator step on the mask
 * objective over `isoBatchSize` isolated graphs and one classifier step on
 * `CE(keep batch) − λ_u·mean min(CE(f(G_iso, w = m), ŷ), b_u)`, then `finetuneEpochs` of plain CE on the kept set.
 * Trains `model` in place. Inference afterwards uses the plain model (all edge weights 1).
 */
export async function madeDefend(
  model: GraphClassifier,
  poisoned: readonly Graph[],
  options: Partial<MadeOptions> & DefendExtras = {},
): Promise<MadeResult> {
  const o = strictOptions<MadeOptions & DefendExtras>(
    options,
    { ...defaultMadeOptions, ...extrasDefaults },
    'madeDefend options',
    { ...madeChecks, randomDropRate: { min: 0, max: 1 } },
  );
  checkData(poisoned, 'poisoned');
  if (o.isolation) checkIsolation(o.isolation, poisoned.length);
  const isolation = o.isolation ?? (await isolate(model, poisoned, isolateOptionsOf(o)));
  const isolated = isolation.isolated;
  const keep = splitKeep(poisoned.length, isolated);
  const rng = new Rng(o.seed).fork('unlearning');
  const useGenerator = o.maskObjective !== 'nodeHomophily' && o.randomDropRate === undefined;
  const generator = useGenerator
    ? new EdgeMaskGenerator({
        embDim: model.config.hidden,
        hidden: o.generatorHidden,
        seed: rng.fork('generator').tfSeed(),
      })
    : null;
  const optTheta = new Adam(model, { lr: o.lr });
  const optPhi = generator ? new Adam(generator, { lr: o.lr }) : null;
  const log: UnlearnLogEntry[] = [];
  const fixedMask = (g: Graph): Float32Array => {
    if (o.randomDropRate !== undefined) {
      // drop each undirected edge (both directions together) with probability randomDropRate
      const m = new Float32Array(g.src.length);
      for (let k = 0; k < m.length; k += 2) m[k] = m[k + 1] = rng.next() < o.randomDropRate ? 0 : 1;
      return m;
    }
    return suspiciousMask(g, o.homophilyThreshold);
  };
  const maskFor = (b: GraphBatch, idx: readonly number[]): tf.Tensor1D =>
    tf.tidy(() => {
      if (generator) return generator.apply(model.apply(b).firstH, b);
      const buf = new Float32Array(b.src.length);
      idx.forEach((i, k) => buf.set(fixedMask(poisoned[i]!), b.edgePtr[k]!));
      return tf.tensor1d(buf);
    });
  try {
    if (isolated.length > 0 && keep.length > 0) {
      for (let epoch = 0; epoch < o.unlearnEpochs; epoch++) {
        let sumModel = 0;
        let sumMask = 0;
        let sumMean = 0;
        const batches = shuffledBatches(keep, o.batchSize, rng);
        for (const idx of batches) {
          const isoIdx = Array.from(
            rng.sampleWithoutReplacement(isolated.length, Math.min(o.isoBatchSize, isolated.length)),
            (j) => isolated[j]!,
          );
          const isoB = pick(poisoned, isoIdx);
          const yIso = labelsOf(poisoned, isoIdx);
          if (generator && optPhi) {
            // generator step: only φ is updated (the optimiser holds φ's variables)
            sumMask += optPhi.minimize(() => {
              const m = generator.apply(model.apply(isoB).firstH, isoB);
              const logits = model.apply(isoB, m).logits;
              if (o.maskObjective === 'smallestTrigger')
                return maskObjective(logits, yIso, m, {
                  betaSize: o.betaSize,
                  betaEnt: o.betaEnt,
                  sizePenalty: o.sizePenalty,
                });
              // adversarialBudget [R]: keep the edges whose presence hurts the classifier most, paying β_size per dropped edge
              return tf.add(
                tf.neg(tf.mean(tf.minimum(crossEntropyPerSample(logits, yIso), o.clip))),
                tf.mul(o.betaSize, tf.mean(tf.sub(1, m))),
              ) as tf.Scalar;
            });
          }
          const m = maskFor(isoB, isoIdx);
          sumMean += tf.tidy(() => tf.mean(m).dataSync()[0]!);
          const keepB = pick(poisoned, idx);
          const yKeep = labelsOf(poisoned, idx);
          const clean = o.lambdaC > 0 ? cleanEdgeMask(isoB, cleanNodesFromMask(isoB, m.dataSync())) : null;
          sumModel += optTheta.minimize(() => {
            const extra = clean
              ? {
                  logits: model.apply(isoB, clean).logits,
                  labels: tf.tidy(() => tf.argMax(model.apply(isoB, clean).logits, 1).dataSync() as Int32Array),
                }
              : undefined;
            return maskedUnlearningLoss(
              model.apply(keepB).logits,
              yKeep,
              model.apply(isoB, m).logits,
              yIso,
              { lambdaU: o.lambdaU, clip: o.clip, lambdaC: o.lambdaC },
              extra,
            );
          });
          m.dispose();
          clean?.dispose();
        }
        const entry = {
          epoch,
          lossModel: sumModel / batches.length,
          lossMask: generator ? sumMask / batches.length : NaN,
          maskMean: sumMean / batches.length,
        };
        log.push(entry);
        o.onEpoch?.({ stage: 'masked unlearning', epoch, epochs: o.unlearnEpochs, loss: entry.lossModel });
        o.onProgress?.({ stage: 'masked unlearning', done: epoch + 1, total: o.unlearnEpochs });
        await yieldToEventLoop();
      }
    }
  } finally {
    optTheta.dispose();
    optPhi?.dispose();
  }
  if (o.finetuneEpochs > 0 && keep.length > 0) {
    await trainClassifier(model, poisoned, {
      epochs: o.finetuneEpochs,
      lr: o.lr,
      batchSize: o.batchSize,
      seed: o.seed,
      indices: keep,
      onEpoch: o.onEpoch,
      onProgress: o.onProgress,
    });
  }
  const masks = new Map<number, Float32Array>();
  for (let start = 0; start < isolated.length; start += 64) {
    const idx = Array.from(isolated.slice(start, start + 64));
    const b = pick(poisoned, idx);
    const m = maskFor(b, idx);
    const values = m.dataSync() as Float32Array;
    idx.forEach((i, k) => masks.set(i, values.slice(b.edgePtr[k]!, b.edgePtr[k + 1]!)));
    m.dispose();
  }
  return { isolation, isolated, masks, log, generator };
}

/**
 * ABL baseline (spec §2.3/§5): LGA warm-up and isolation, then the joint schedule (natural CE on the kept
 * graphs minus the clipped CE of `isoBatchSize` whole isolated graphs per step) or the sequential one
 * (fine-tune on the kept set, then SGD gradient ascent on the isolated set). Trains `model` in place.
 */
export async function ablDefend(
  model: GraphClassifier,
  poisoned: readonly Graph[],
  options: Partial<AblOptions> & Pick<DefendExtras, 'isolation' | 'onEpoch' | 'onProgress'> = {},
): Promise<{ isolation: IsolationResult }> {
  const o = strictOptions<AblOptions & Pick<DefendExtras, 'isolation'> & TrainingProgress>(
    options,
    { ...defaultAblOptions, isolation: undefined, ...progressDefaults },
    'ablDefend options',
    ablChecks,
  );
  checkData(poisoned, 'poisoned');
  if (o.isolation) checkIsolation(o.isolation, poisoned.length);
  const isolation = o.isolation ?? (await isolate(model, poisoned, isolateOptionsOf(o)));
  const isolated = Array.from(isolation.isolated);
  const keep = splitKeep(poisoned.length, isolation.isolated);
  const rng = new Rng(o.seed).fork('abl');
  if (isolated.length === 0 || keep.length === 0) return { isolation };
  const sampleIsolated = () =>
    Array.from(
      rng.sampleWithoutReplacement(isolated.length, Math.min(o.isoBatchSize, isolated.length)),
      (j) => isolated[j]!,
    );
  const loop = { model, rng, batchSize: o.batchSize, progress: o };
  if (o.schedule === 'joint') {
    // the epoch's shuffle is drawn first, then one isolated sample per step, as the hand-written loop did
    const optimizer = new Adam(model, { lr: o.lr });
    await epochLoop({ ...loop, optimizer, stage: 'ABL joint unlearning', epochs: o.epochs, indices: keep }, (idx) => {
      const isoIdx = sampleIsolated();
      const keepLogits = model.apply(pick(poisoned, idx)).logits;
      const isoLogits = model.apply(pick(poisoned, isoIdx)).logits;
      const y = (i: readonly number[]) => labelsOf(poisoned, i);
      return maskedUnlearningLoss(keepLogits, y(idx), isoLogits, y(isoIdx), { lambdaU: o.lambdaU, clip: o.clip });
    });
  } else {
    await trainClassifier(model, poisoned, {
      epochs: o.epochs,
      lr: o.lr,
      batchSize: o.batchSize,
      seed: o.seed,
      indices: keep,
      onEpoch: o.onEpoch,
      onProgress: o.onProgress,
    });
    const optimizer = new SGD(model, { lr: o.ascentLr });
    const ascent = { ...loop, optimizer, stage: 'ABL gradient ascent', epochs: o.ascentEpochs, indices: isolated };
    await epochLoop({ ...ascent, progress: { onProgress: o.onProgress } }, (idx) =>
      tf.neg(meanCE(model, poisoned, idx)),
    );
  }
  return { isolation };
}

/** Gradient norms of the mask objective's terms and their shares of the summed norms. */
export interface MaskGradientShares {
  norms: { ce: number; size: number; entropy: number };
  /** `norm / (ce + size + entropy norms)` per term. */
  shares: { ce: number; size: number; entropy: number };
}

/**
 * Gradient share of every term of the mask objective (CE, size, entropy) with respect to a fresh generator's
 * parameters, on the isolated graphs `idx` and the model as given (call it right after the warm-up: the first
 * batch the generator sees). A term with a share < 5 % barely acts; the replication reports it.
 */
export function maskGradientShares(
  model: GraphClassifier,
  graphs: readonly Graph[],
  idx: readonly number[],
  options: Partial<MaskObjectiveOptions & { seed: number; generatorHidden: number }> = {},
): MaskGradientShares {
  const o = strictOptions(
    options,
    { ...defaultMaskObjectiveOptions, seed: 0, generatorHidden: defaultMadeOptions.generatorHidden },
    'maskGradientShares options',
    { ...madeChecks, sizePenalty: ['sum', 'mean'] } as never,
  );
  if (idx.length === 0) throw new LabError('EMPTY_INPUT', 'idx: expected at least one isolated graph');
  const generator = new EdgeMaskGenerator({
    embDim: model.config.hidden,
    hidden: o.generatorHidden,
    seed: new Rng(o.seed).fork('unlearning').fork('generator').tfSeed(),
  });
  try {
    const b = pick(graphs, idx);
    const y = labelsOf(graphs, idx);
    const norm = (term: 'ce' | 'size' | 'entropy'): number =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const m = generator.apply(model.apply(b).firstH, b);
          const t = maskObjectiveTerms(model.apply(b, m).logits, y, m, {
            betaSize: o.betaSize,
            betaEnt: o.betaEnt,
            sizePenalty: o.sizePenalty,
          });
          return t[term];
        }, generator.parameters());
        const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
        return Math.sqrt(tf.addN(sq).dataSync()[0]!);
      });
    const norms = { ce: norm('ce'), size: norm('size'), entropy: norm('entropy') };
    const total = norms.ce + norms.size + norms.entropy || 1;
    return {
      norms,
      shares: { ce: norms.ce / total, size: norms.size / total, entropy: norms.entropy / total },
    };
  } finally {
    generator.dispose();
  }
}
