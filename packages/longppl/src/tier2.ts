import { Rng, type ReplicationRow, tf } from '@lab/core';
import { CausalLM, type Scorer, gpt2Config, tokenNll } from '@lab/lm';
import { computeLongPPL, corpusAggregate, findKeySpans, type ScoredModel } from './longppl.js';
import { safePearson, symbolsToText } from './tier1.js';
import type { Tier2Options } from './config.js';
import { keyValueCorpus, symbolTokenizer } from './zoo.js';

export interface Tier2SeedResult {
  seed: number;
  rows: ReplicationRow[];
  summary: {
    steps: number;
    finalTrainLoss: number;
    evaluatorAccuracy: number;
    rLongPPL: number;
    rPPL: number;
    rLogLongPPL: number;
    keyTokenPrecision: number;
    keyTokensPerDoc: number;
  };
}

/** A zoo member: the trained model restricted to an attention window W, its output mixed with uniform at λ. */
function windowedMember(
  model: CausalLM,
  window: number,
  lambda: number,
): Scorer & { predictions(ids: Int32Array): Int32Array } {
  const V = model.config.vocabSize;
  const logProbs = (ids: Int32Array): Float32Array =>
    tf.tidy(() => {
      const { logits } = model.forward({ ids, attentionWindow: window });
      return tf.logSoftmax(logits!).dataSync() as Float32Array;
    });
  return {
    async nextTokenNll(ids: Int32Array): Promise<Float32Array> {
      const lp = logProbs(ids);
      const out = new Float32Array(ids.length - 1);
      for (let t = 0; t < out.length; t++) {
        const p = Math.exp(lp[t * V + ids[t + 1]!]!);
        out[t] = -Math.log((1 - lambda) * p + lambda / V);
      }
      return out;
    },
    predictions(ids: Int32Array): Int32Array {
      const lp = logProbs(ids);
      return Int32Array.from({ length: ids.length }, (_, t) => {
        let best = 0;
        for (let v = 1; v < V; v++) if (lp[t * V + v]! > lp[t * V + best]!) best = v;
        return best;
      });
    },
  };
}

/** Trains the tiny GPT-2 for one seed, builds the windowed zoo and measures LongPPL, PPL and accuracy. */
export async function runTier2Seed(
  seed: number,
  o: Tier2Options,
  progress?: (stage: string) => void,
): Promise<Tier2SeedResult> {
  const rng = new Rng(seed).fork('tier2');
  const evalCorpus = keyValueCorpus(rng.fork('eval'), o.evalDocs, o.corpus);
  const n = evalCorpus.options.length;
  const V = evalCorpus.vocabSize;
  const config = gpt2Config({
    vocabSize: V,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    numHeads: o.heads,
    maxPositionEmbeddings: n,
  });
  const model = CausalLM.random(config, { seed: rng.fork('init').tfSeed() });
  const optimizer = tf.train.adam(o.learningRate);
  const started = Date.now();
  let steps = 0;
  let finalTrainLoss = NaN;
  try {
    while (steps < o.maxSteps && (Date.now() - started) / 1000 < o.trainSeconds) {
      // Fresh documents every step, from the same filler chain as the evaluation documents.
      const batch = keyValueCorpus(rng.fork(`train-${steps}`), o.batchSize, o.corpus, evalCorpus.chain);
      const ids = tf.tensor2d(Int32Array.from(batch.docs.flatMap((d) => Array.from(d.ids))), [o.batchSize, n], 'int32');
      const loss = optimizer.minimize(() => tokenNll(model, ids).mean() as tf.Scalar, true, model.trainableVariables());
      if (steps % 25 === 0) {
        finalTrainLoss = loss!.dataSync()[0]!;
        progress?.(`step ${steps}, loss ${finalTrainLoss.toFixed(3)}`);
      }
      tf.dispose([ids, loss!]);
      steps++;
    }
    progress?.('evaluating the zoo');
    const tokenizer = symbolTokenizer(V);
    const texts = evalCorpus.docs.map((d) => symbolsToText(d.ids));
    const full = Math.max(...o.windows);
    const evaluator: ScoredModel = { scorer: windowedMember(model, full, 0), tokenizer };
    const lp = { truncLen: o.truncLen, slidingWindow: o.slidingWindow, alpha: o.alpha, beta: o.beta };
    const spans = [];
    let keyTotal = 0;
    let keyHits = 0;
    for (let d = 0; d < texts.length; d++) {
      const found = await findKeySpans(texts[d]!, evaluator, lp);
      spans.push(found.spans);
      const qv = new Set(evalCorpus.docs[d]!.queryValuePositions);
      keyTotal += found.keyPositions.length;
      for (const p of found.keyPositions) if (qv.has(p)) keyHits++;
    }
    const rows: ReplicationRow[] = [];
    const acc: number[] = [];
    const longppl: number[] = [];
    const ppl: number[] = [];
    let evaluatorAccuracy = NaN;
    for (const window of o.windows) {
      for (const lambda of o.lambdas) {
        const member = windowedMember(model, window, lambda);
        let correct = 0;
        let count = 0;
        for (const d of evalCorpus.docs) {
          const pred = member.predictions(d.ids);
          for (const p of d.queryValuePositions) {
            if (pred[p - 1] === d.ids[p]) correct++;
            count++;
          }
        }
        const accuracy = correct / count;
        const docs = [];
        for (let d = 0; d < texts.length; d++)
          docs.push(await computeLongPPL(texts[d]!, { scorer: member, tokenizer }, spans[d]!, lp));
        const agg = corpusAggregate(docs);
        if (window === full && lambda === 0) evaluatorAccuracy = accuracy;
        acc.push(accuracy);
        longppl.push(agg.longppl ?? NaN);
        ppl.push(agg.ppl);
        const metrics: Record<string, number> = { accuracy, ppl: agg.ppl };
        if (agg.longppl !== null) metrics.longppl = agg.longppl;
        rows.push({ method: `W=${window},λ=${lambda}`, setting: 'tier2', seed, metrics });
      }
    }
    return {
      seed,
      rows,
      summary: {
        steps,
        finalTrainLoss,
        evaluatorAccuracy,
        rLongPPL: safePearson(longppl, acc),
        rPPL: safePearson(ppl, acc),
        rLogLongPPL: safePearson(longppl.map(Math.log), acc),
        keyTokenPrecision: keyTotal > 0 ? keyHits / keyTotal : 0,
        keyTokensPerDoc: keyTotal / texts.length,
      },
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
