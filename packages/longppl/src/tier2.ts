// Tier 2 (issue 17 item 6): LongCE fine-tuning against plain CE on a tiny LLaMA that has learned key–value
// retrieval. The base model is trained once (positive control: retrieval well above chance at the long
// context); every paired seed fine-tunes two copies of it on the same batches, one per objective.
import { Rng, type ReplicationRow, tf } from '@lab/core';
import { CausalLM, llamaConfig } from '@lab/lm';
import { computeLongPPL, corpusAggregate, findKeySpans, scoredModel, type ScoredModel, type Span } from './longppl.js';
import { trainStep } from './longce.js';
import { symbolsToText } from './tier1.js';
import type { Tier2Options } from './config.js';
import { type FillerChain, type KeyValueCorpus, analyticZooModel, keyValueCorpus, symbolTokenizer } from './zoo.js';

/** The two fine-tuning objectives compared (row `method` names). */
export const TIER2_ARMS = [
  { method: 'CE', objective: 'ce' },
  { method: 'LongCE', objective: 'longce' },
] as const;

/** The trained base model and its positive-control measurement. */
export interface Tier2Base {
  model: CausalLM;
  chain: FillerChain;
  steps: number;
  finalTrainLoss: number;
  /** Query-value accuracy at the long context on held-out documents of the base stream. */
  accuracy: number;
  /** Chance level of that accuracy: 1 / number of value symbols. */
  chance: number;
  seconds: number;
}

/** What one paired seed measured: per arm the accuracy curve, and LongPPL / PPL at the end. */
export interface Tier2SeedResult {
  seed: number;
  rows: ReplicationRow[];
  /** Per arm: accuracy at each checkpoint (`steps[i]`), final LongPPL and PPL, the first step's LongCE weights. */
  arms: Record<
    (typeof TIER2_ARMS)[number]['method'],
    { accuracy: number[]; longppl: number; ppl: number; upweightedShare: number; meanWeight: number }
  >;
  steps: number[];
  keyTokenPrecision: number;
}

function batchIds(corpus: KeyValueCorpus): Int32Array {
  return Int32Array.from(corpus.docs.flatMap((d) => Array.from(d.ids)));
}

/** Top-1 accuracy on the query-value tokens of the documents (one batched forward pass, no gradient). */
export function queryValueAccuracy(model: CausalLM, corpus: KeyValueCorpus): number {
  const n = corpus.options.length;
  const pred = tf.tidy(() => {
    const { logits } = model.forward({ ids: tf.tensor2d(batchIds(corpus), [corpus.docs.length, n], 'int32') });
    return tf.argMax(logits!, -1).dataSync() as Int32Array; // [D·n]
  });
  let correct = 0;
  let count = 0;
  corpus.docs.forEach((d, i) => {
    for (const p of d.queryValuePositions) {
      if (pred[i * n + p - 1] === d.ids[p]) correct++;
      count++;
    }
  });
  return correct / count;
}

function cloneModel(model: CausalLM): CausalLM {
  return new CausalLM(model.config, new Map([...model.params].map(([name, v]) => [name, v.clone()])));
}

/**
 * Trains the base model with CE on fresh long documents (`baseSteps` steps of the `baseSeed` stream) and measures
 * its long-context query-value accuracy on held-out documents of the same stream (the positive control).
 */
export function trainTier2Base(o: Tier2Options, progress?: (stage: string) => void): Tier2Base {
  const started = Date.now();
  const rng = new Rng(o.baseSeed).fork('tier2-base');
  const held = keyValueCorpus(rng.fork('held-out'), o.evalDocs, o.corpus);
  const n = held.options.length;
  const config = llamaConfig({
    vocabSize: held.vocabSize,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    numHeads: o.heads,

    intermediateSize: o.intermediate,
    maxPositionEmbeddings: n,
  });
  const model = CausalLM.random(config, { seed: rng.fork('init').tfSeed() });
  const optimizer = tf.train.adam(o.learningRate);
  let finalTrainLoss = NaN;
  try {
    for (let step = 0; step < o.baseSteps; step++) {
      const batch = keyValueCorpus(rng.fork(`train-${step}`), o.batchSize, o.corpus, held.chain);
      finalTrainLoss = trainStep(model, optimizer, batchIds(batch), o.batchSize, n, 'ce').loss;
      if (step % 50 === 0) progress?.(`base step ${step}/${o.baseSteps}, loss ${finalTrainLoss.toFixed(3)}`);
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
  return {
    model,
    chain: held.chain,
    steps: o.baseSteps,
    finalTrainLoss,
    accuracy: queryValueAccuracy(model, held),
    chance: 1 / held.options.nValues,
    seconds: (Date.now() - started) / 1000,
  };
}

/** LongPPL (key spans from the external evaluator) and PPL of a model over the documents. */
async function longPPLOf(model: CausalLM, texts: string[], spans: Span[][], o: Tier2Options, V: number) {
  const scored: ScoredModel = scoredModel(model, symbolTokenizer(V));
  const lp = { truncLen: o.truncLen, slidingWindow: o.slidingWindow, alpha: o.alpha, beta: o.beta };
  const docs = [];
  for (let d = 0; d < texts.length; d++) docs.push(await computeLongPPL(texts[d]!, scored, spans[d]!, lp));
  return corpusAggregate(docs);
}

/**
 * One paired seed: two copies of the base fine-tuned on the same batches (the seed's stream), with CE and with
 * LongCE; accuracy on the seed's held-out documents every `evalEvery` steps; LongPPL and PPL at the end, on the
 * key tokens that the external analytic evaluator (tier 1's W = ∞ model, which knows the filler chain) finds.
 */
export async function runTier2Seed(
  seed: number,
  base: Tier2Base,
  o: Tier2Options,
  progress?: (stage: string) => void,
): Promise<Tier2SeedResult> {
  const rng = new Rng(seed).fork('tier2-finetune');
  const held = keyValueCorpus(rng.fork('held-out'), o.evalDocs, o.corpus, base.chain);
  const n = held.options.length;
  const V = held.vocabSize;
  const texts = held.docs.map((d) => symbolsToText(d.ids));
  const lp = { truncLen: o.truncLen, slidingWindow: o.slidingWindow, alpha: o.alpha, beta: o.beta };
  const evaluator: ScoredModel = { scorer: analyticZooModel(held), tokenizer: symbolTokenizer(V) };
  const spans: Span[][] = [];
  let keyTotal = 0;
  let keyHits = 0;
  for (let d = 0; d < texts.length; d++) {
    const found = await findKeySpans(texts[d]!, evaluator, lp);
    spans.push(found.spans);
    const qv = new Set(held.docs[d]!.queryValuePositions);
    keyTotal += found.keyPositions.length;
    for (const p of found.keyPositions) if (qv.has(p)) keyHits++;
  }
  const checkpoints: number[] = [];
  for (let s = o.evalEvery; s < o.fineTuneSteps; s += o.evalEvery) checkpoints.push(s);
  checkpoints.push(o.fineTuneSteps);
  const rows: ReplicationRow[] = [];
  const arms = {} as Tier2SeedResult['arms'];
  for (const arm of TIER2_ARMS) {
    const model = cloneModel(base.model);
    const optimizer = tf.train.adam(o.learningRate);
    try {
      const accuracy: number[] = [];
      let first = { upweightedShare: 0, meanWeight: 1 };
      for (let step = 1; step <= o.fineTuneSteps; step++) {
        // The same batches for both arms: the stream depends on the seed and the step only.
        const batch = keyValueCorpus(rng.fork(`train-${step}`), o.batchSize, o.corpus, base.chain);
        const r = trainStep(model, optimizer, batchIds(batch), o.batchSize, n, arm.objective, {
          truncLen: o.truncLen,
          slidingWindow: o.slidingWindow,
          cap: o.cap,
        });
        if (step === 1) first = { upweightedShare: r.upweightedShare, meanWeight: r.meanWeight };
        if (checkpoints.includes(step)) {
          accuracy.push(queryValueAccuracy(model, held));
          progress?.(`${arm.method} step ${step}/${o.fineTuneSteps}, accuracy ${accuracy.at(-1)!.toFixed(3)}`);
        }
      }
      const agg = await longPPLOf(model, texts, spans, o, V);
      arms[arm.method] = { accuracy, longppl: agg.longppl ?? NaN, ppl: agg.ppl, ...first };
      const metrics: Record<string, number> = { accuracy: accuracy.at(-1)!, ppl: agg.ppl };
      if (agg.longppl !== null) metrics.longppl = agg.longppl;
      checkpoints.forEach((s, i) => (metrics[`accuracy@${s}`] = accuracy[i]!));
      if (arm.objective === 'longce') {
        metrics.upweightedShare = first.upweightedShare;
        metrics.meanWeight = first.meanWeight;
      }
      rows.push({ method: arm.method, setting: 'tier2', seed, metrics });
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }
  return { seed, rows, arms, steps: checkpoints, keyTokenPrecision: keyTotal > 0 ? keyHits / keyTotal : 0 };
}
