import { Rng, pearson, type ReplicationRow } from '@lab/core';
import { ByteTokenizer } from '@lab/lm';
import { computeLongPPL, corpusAggregate, findKeySpans, type ScoredModel, type Span } from './longppl.js';
import type { Tier1Options } from './config.js';
import { analyticZooModel, keyValueCorpus } from './zoo.js';

/** Symbol s is written as the character code SYMBOL_BASE + s (printable ASCII), one byte per symbol. */
export const SYMBOL_BASE = 48;

/** What one seed of tier 1 measured. */
export interface Tier1SeedResult {
  seed: number;
  rows: ReplicationRow[];
  summary: {
    rLongPPL: number;
    rPPL: number;
    rLogLongPPL: number;
    keyTokenPrecision: number;
    keyTokensPerDoc: number;
    selfEvalUndefinedShare: number;
    rSelf: number;
    rLongPPLByAlpha: Record<string, number>;
  };
}

/** Pearson r, or NaN when a value is missing (undefined LongPPL) or a sample is constant. */
export function safePearson(a: readonly number[], b: readonly number[]): number {
  if (a.length < 2 || !a.every(Number.isFinite) || !b.every(Number.isFinite)) return NaN;
  return pearson(a, b);
}

export function symbolsToText(ids: Int32Array): string {
  return String.fromCharCode(...Array.from(ids, (s) => SYMBOL_BASE + s));
}

/** Top-1 accuracy of a zoo model on the query-value tokens of a document. */
function queryAccuracy(model: ReturnType<typeof analyticZooModel>, ids: Int32Array, positions: Int32Array): number {
  const bytes = Int32Array.from(ids, (s) => s + SYMBOL_BASE); // the model reads the byte ids of the text
  let correct = 0;
  for (const p of positions) {
    const dist = model.distribution(bytes, p - 1);
    let best = 0;
    for (let v = 1; v < dist.length; v++) if (dist[v]! > dist[best]!) best = v;
    if (best === ids[p]) correct++;
  }
  return correct / positions.length;
}

/** Runs tier 1 for one seed: the analytic zoo on the synthetic key–value corpus. */
export async function runTier1Seed(seed: number, o: Tier1Options): Promise<Tier1SeedResult> {
  const corpus = keyValueCorpus(new Rng(seed).fork('tier1'), o.docsPerSeed, o.corpus);
  const tokenizer = new ByteTokenizer();
  const texts = corpus.docs.map((d) => symbolsToText(d.ids));
  const zoo = (window: number, lambda: number) => analyticZooModel(corpus, { window, lambda, idOffset: SYMBOL_BASE });
  const evaluatorModel = zoo(Infinity, 0.01);
  const evaluator: ScoredModel = { scorer: evaluatorModel, tokenizer };
  const lpOptions = { truncLen: o.truncLen, slidingWindow: o.slidingWindow, alpha: o.alpha, beta: o.beta };

  // Key spans of every document for each α of the sweep (the main α is one of them).
  const alphas = [...new Set([o.alpha, ...o.alphaSweep])];
  const spansByAlpha = new Map<number, Span[][]>();
  let keyTotal = 0;
  let keyHits = 0;
  for (const alpha of alphas) {
    const perDoc: Span[][] = [];
    for (let d = 0; d < texts.length; d++) {
      const found = await findKeySpans(texts[d]!, evaluator, { ...lpOptions, alpha });
      perDoc.push(found.spans);
      if (alpha === o.alpha) {
        const qv = new Set(corpus.docs[d]!.queryValuePositions);
        keyTotal += found.keyPositions.length;
        for (const p of found.keyPositions) if (qv.has(p)) keyHits++;
      }
    }
    spansByAlpha.set(alpha, perDoc);
  }

  const rows: ReplicationRow[] = [];
  const acc: number[] = [];
  const longppl: number[] = [];
  const ppl: number[] = [];
  const selfLongppl: (number | null)[] = [];
  const byAlpha = new Map<number, number[]>(alphas.map((a) => [a, []]));
  for (const window of o.windows) {
    for (const lambda of o.lambdas) {
      const m = zoo(window, lambda);
      const model: ScoredModel = { scorer: m, tokenizer };
      const accuracy =
        corpus.docs.reduce((s, d) => s + queryAccuracy(m, d.ids, d.queryValuePositions), 0) / corpus.docs.length;
      for (const alpha of alphas) {
        const docs = [];
        for (let d = 0; d < texts.length; d++)
          docs.push(await computeLongPPL(texts[d]!, model, spansByAlpha.get(alpha)![d]!, lpOptions));
        const agg = corpusAggregate(docs);
        byAlpha.get(alpha)!.push(agg.longppl ?? NaN);
        if (alpha === o.alpha) {
          longppl.push(agg.longppl ?? NaN);
          ppl.push(agg.ppl);
        }
      }
      // Self-evaluation: the model finds its own key tokens.
      const selfDocs = [];
      for (const text of texts) selfDocs.push(await computeLongPPL(text, model, model, lpOptions));
      const self = corpusAggregate(selfDocs).longppl;
      selfLongppl.push(self);
      acc.push(accuracy);
      const metrics: Record<string, number> = {
        accuracy,
        longppl: longppl[longppl.length - 1]!,
        ppl: ppl[ppl.length - 1]!,
      };
      if (self !== null) metrics.selfLongppl = self;
      rows.push({ method: `W=${window},λ=${lambda}`, setting: 'tier1', seed, metrics });
    }
  }
  const defined = selfLongppl.map((v, i) => [v, acc[i]!] as const).filter(([v]) => v !== null) as [number, number][];
  const rSelf =
    defined.length >= 3
      ? safePearson(
          defined.map(([v]) => v),
          defined.map(([, a]) => a),
        )
      : NaN;
  const summary = {
    rLongPPL: safePearson(longppl, acc),
    rPPL: safePearson(ppl, acc),
    rLogLongPPL: safePearson(longppl.map(Math.log), acc),
    keyTokenPrecision: keyTotal > 0 ? keyHits / keyTotal : 0,
    keyTokensPerDoc: keyTotal / texts.length,
    selfEvalUndefinedShare: selfLongppl.filter((v) => v === null).length / selfLongppl.length,
    rSelf,
    rLongPPLByAlpha: Object.fromEntries(alphas.map((a) => [String(a), safePearson(byAlpha.get(a)!, acc)])),
  };
  return { seed, rows, summary };
}
