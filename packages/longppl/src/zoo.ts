import { LabError, Rng, assertInRange, strictOptions, type OptionChecks } from '@lab/core';
import { type OffsetTokenizer, type Scorer } from '@lab/lm';

/**
 * The synthetic key–value corpus of the miniature replication (spec §5, tier 1): filler from a
 * second-order Markov chain, key→value definitions early in the document, and queries that repeat a
 * key near the end, so predicting the queried value needs context from 70–480 tokens back.
 */
export interface CorpusOptions {
  /** Tokens per document n. */
  length: number;
  /** Number of key symbols (ids 0..nKeys−1). */
  nKeys: number;
  /** Number of value symbols (ids after the keys). */
  nValues: number;
  /** Number of filler symbols (ids after the values). */
  nFiller: number;
  /** Successors per filler context in the Markov chain (probabilities ~ Dirichlet(1, …, 1)). */
  successors: number;
  /** Definitions (2-symbol key + 2-symbol value) per document. */
  nDefinitions: number;
  /** Queries (key, value, then `queryFiller` filler tokens) per document, each of a distinct definition. */
  nQueries: number;
  /** Filler tokens after each query. */
  queryFiller: number;
  /** Definitions start in [8, definitionEnd·n). */
  definitionEnd: number;
  /** Queries start at ⌈queryStart·n⌉. */
  queryStart: number;
}

/** Spec §5 tier 1: n = 512, 16 keys, 16 values, 24 filler, 3 successors, 8 definitions and 8 queries. */
export const defaultCorpusOptions: CorpusOptions = Object.freeze({
  length: 512,
  nKeys: 16,
  nValues: 16,
  nFiller: 24,
  successors: 3,
  nDefinitions: 8,
  nQueries: 8,
  queryFiller: 4,
  definitionEnd: 0.7,
  queryStart: 0.8,
});

const count = { min: 1, integer: true } as const;
const corpusChecks: OptionChecks<CorpusOptions> = {
  length: count,
  nKeys: count,
  nValues: count,
  nFiller: count,
  successors: count,
  nDefinitions: count,
  nQueries: count,
  queryFiller: { min: 0, integer: true },
  definitionEnd: { min: 0, max: 1 },
  queryStart: { min: 0, max: 1 },
};

/** One generated document, in symbol ids. */
export interface KeyValueDocument {
  ids: Int32Array;
  /** Positions of the queried value tokens (2 per query): the tokens that need long context. */
  queryValuePositions: Int32Array;
}

/** The filler chain: for each context (a, b) of filler indices, `successors` filler indices and their probabilities. */
export interface FillerChain {
  nFiller: number;
  next: Int32Array;
  probs: Float64Array;
  successors: number;
}

/** A corpus and the chain that generated its filler (the analytic models know the true chain). */
export interface KeyValueCorpus {
  docs: KeyValueDocument[];
  chain: FillerChain;
  options: CorpusOptions;
  vocabSize: number;
}

function drawChain(rng: Rng, nFiller: number, successors: number): FillerChain {
  const contexts = nFiller * nFiller;
  const next = new Int32Array(contexts * successors);
  const probs = new Float64Array(contexts * successors);
  for (let c = 0; c < contexts; c++) {
    const picks = rng.sampleWithoutReplacement(nFiller, successors);
    // Dirichlet(1, …, 1) = normalised Exp(1) draws.
    const g = Array.from({ length: successors }, () => -Math.log(1 - rng.next()));
    const total = g.reduce((a, b) => a + b, 0);
    for (let k = 0; k < successors; k++) {
      next[c * successors + k] = picks[k]!;
      probs[c * successors + k] = g[k]! / total;
    }
  }
  return { nFiller, next, probs, successors };
}

/** Generates `nDocs` documents (seeded). */
export function keyValueCorpus(
  rng: Rng,
  nDocs: number,
  options: Partial<CorpusOptions> = {},
  chain?: FillerChain,
): KeyValueCorpus {
  const o = strictOptions(options, defaultCorpusOptions, 'keyValueCorpus options', corpusChecks);
  assertInRange(nDocs, 'nDocs', { min: 1, integer: true });
  if (o.successors > o.nFiller)
    throw new LabError('OUT_OF_RANGE', `successors: expected at most nFiller = ${o.nFiller}, got ${o.successors}`);
  if (o.nQueries > o.nDefinitions)
    throw new LabError(
      'OUT_OF_RANGE',
      `nQueries: expected at most nDefinitions = ${o.nDefinitions}, got ${o.nQueries}`,
    );
  const n = o.length;
  const defEnd = Math.floor(o.definitionEnd * n);
  const q0 = Math.ceil(o.queryStart * n);
  if (q0 + o.nQueries * (4 + o.queryFiller) > n) {
    throw new LabError(
      'OUT_OF_RANGE',
      `options: ${o.nQueries} queries of ${4 + o.queryFiller} tokens do not fit after position ${q0} of ${n}`,
    );
  }
  if (defEnd - 8 < o.nDefinitions * 6)
    throw new LabError('OUT_OF_RANGE', `options: ${o.nDefinitions} definitions do not fit in [8, ${defEnd})`);
  const valueBase = o.nKeys;
  const fillerBase = o.nKeys + o.nValues;
  const vocabSize = fillerBase + o.nFiller;
  if (chain && (chain.nFiller !== o.nFiller || chain.successors !== o.successors)) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `chain: expected ${o.nFiller} filler symbols with ${o.successors} successors, got ${chain.nFiller} and ${chain.successors}`,
    );
  }
  chain ??= drawChain(rng.fork('chain'), o.nFiller, o.successors);
  const docs: KeyValueDocument[] = [];
  for (let d = 0; d < nDocs; d++) {
    const r = rng.fork(`doc-${d}`);
    const filler = chain;
    // Definitions: distinct key bigrams and distinct (second key, first value) bigrams, so copying is unambiguous.
    const defs: [number, number, number, number][] = [];
    const seen = new Set<string>();
    while (defs.length < o.nDefinitions) {
      const k1 = r.int(o.nKeys),
        k2 = r.int(o.nKeys),
        v1 = valueBase + r.int(o.nValues),
        v2 = valueBase + r.int(o.nValues);
      const a = `k${k1},${k2}`,
        b = `v${k2},${v1}`,
        c = `w${v1},${v2}`;
      if (seen.has(a) || seen.has(b) || seen.has(c)) continue;
      seen.add(a).add(b).add(c);
      defs.push([k1, k2, v1, v2]);
    }
    const fixed = new Int32Array(n).fill(-1);
    const starts: number[] = [];
    let rejected = 0;
    while (starts.length < o.nDefinitions) {
      const s = 8 + r.int(defEnd - 8 - 4 + 1);
      if (starts.some((t) => Math.abs(t - s) < 6)) {
        // keep definitions apart (≥ 2 filler between); a dead end (no free slot left) starts the placement over
        if (++rejected > 1000) ((starts.length = 0), (rejected = 0));
        continue;
      }
      starts.push(s);
    }
    starts.sort((x, y) => x - y);
    starts.forEach((s, i) => defs[i]!.forEach((sym, k) => (fixed[s + k] = sym)));
    const order = r.permutation(o.nDefinitions).slice(0, o.nQueries);
    const queryValuePositions: number[] = [];
    order.forEach((defIndex, qi) => {
      const s = q0 + qi * (4 + o.queryFiller);
      defs[defIndex]!.forEach((sym, k) => (fixed[s + k] = sym));
      queryValuePositions.push(s + 2, s + 3);
    });
    const ids = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      if (fixed[t]! >= 0) ids[t] = fixed[t]!;
      else if (t >= 2 && ids[t - 1]! >= fillerBase && ids[t - 2]! >= fillerBase) {
        const ctx = (ids[t - 2]! - fillerBase) * o.nFiller + (ids[t - 1]! - fillerBase);
        const k = r.categorical(filler.probs.subarray(ctx * o.successors, (ctx + 1) * o.successors));
        ids[t] = fillerBase + filler.next[ctx * o.successors + k]!;
      } else ids[t] = fillerBase + r.int(o.nFiller);
    }
    docs.push({ ids, queryValuePositions: Int32Array.from(queryValuePositions) });
  }
  return { docs, chain, options: o, vocabSize };
}

/** One member of the analytic zoo (spec §5): a Markov model mixed with a windowed copy (induction) head. */
export interface ZooModelOptions {
  /** Copy window W: the copied occurrence must lie within the last W tokens (Infinity = unlimited). */
  window: number;
  /** Uniform mixing λ. */
  lambda: number;
  /** Weight ρ of the copy head when it fires (spec: 0.9). */
  rho: number;
  /** One-hot smoothing ε of the copy head (spec: 0.01). */
  epsilon: number;
  /** Weight of the true chain inside p_markov (spec: 0.98, the rest uniform). */
  chainWeight: number;
}

const unit = { min: 0, max: 1 } as const;
/** Spec §5: an unlimited window, λ = 0.01, ρ = 0.9, ε = 0.01, chain weight 0.98; ids are symbols (offset 0). */
const defaultZooModelOptions: ZooModelOptions & { idOffset: number } = {
  window: Infinity,
  lambda: 0.01,
  rho: 0.9,
  epsilon: 0.01,
  chainWeight: 0.98,
  idOffset: 0,
};

/**
 * p(next) = (1 − λ)·[(1 − ρ)·p_markov + ρ·p_copy,W] + λ/V (the ρ term is dropped when no copy
 * target exists within W). Position-free: a truncated window changes it only by removing context.
 * Returns a {@link Scorer} over symbol ids (or over byte ids when `idOffset` maps text characters to
 * symbols) and a function giving the whole next-token distribution at a position.
 */
export function analyticZooModel(
  corpus: Pick<KeyValueCorpus, 'chain' | 'vocabSize' | 'options'>,
  options: Partial<ZooModelOptions> & { idOffset?: number } = {},
): Scorer & { distribution(ids: Int32Array, t: number): Float64Array } {
  const { idOffset: offset, ...o } = strictOptions(options, defaultZooModelOptions, 'analyticZooModel options', {
    window: { min: 1 },
    lambda: unit,
    rho: unit,
    epsilon: unit,
    chainWeight: unit,
    idOffset: { min: 0, integer: true },
  });
  const V = corpus.vocabSize;
  const fillerBase = corpus.options.nKeys + corpus.options.nValues;
  const { chain } = corpus;
  const toSymbols = (ids: Int32Array) =>
    Int32Array.from(ids, (id, i) => {
      const s = id - offset;
      if (s < 0 || s >= V)
        throw new LabError('OUT_OF_RANGE', `ids: token ${id} at ${i} is not a symbol of the zoo vocabulary`);
      return s;
    });

  /** Walks the sequence once; calls `visit(t, copyTarget | −1)` for every position t (predicting t + 1). */
  const walk = (sym: Int32Array, upTo: number, visit: (t: number, copy: number) => void) => {
    const lastEnd = new Map<number, number>(); // bigram → latest end position j (< t)
    for (let t = 0; t < upTo; t++) {
      let copy = -1;
      if (t >= 1) {
        const key = sym[t - 1]! * V + sym[t]!;
        const j = lastEnd.get(key);
        if (j !== undefined && j - 1 >= t - o.window + 1) copy = sym[j + 1]!;
        visit(t, copy);
        lastEnd.set(key, t);
      } else visit(t, copy);
    }
  };
  const probability = (sym: Int32Array, t: number, copy: number, v: number): number => {
    let markov = 1 / V;
    if (t >= 1 && sym[t]! >= fillerBase && sym[t - 1]! >= fillerBase) {
      const ctx = (sym[t - 1]! - fillerBase) * chain.nFiller + (sym[t]! - fillerBase);
      let pc = 0;
      for (let k = 0; k < chain.successors; k++)
        if (fillerBase + chain.next[ctx * chain.successors + k]! === v) pc += chain.probs[ctx * chain.successors + k]!;
      markov = o.chainWeight * pc + (1 - o.chainWeight) / V;
    }
    const inner =
      copy < 0 ? markov : (1 - o.rho) * markov + o.rho * ((1 - o.epsilon) * (v === copy ? 1 : 0) + o.epsilon / V);
    return (1 - o.lambda) * inner + o.lambda / V;
  };
  return {
    async nextTokenNll(ids: Int32Array): Promise<Float32Array> {
      const sym = toSymbols(ids);
      const out = new Float32Array(Math.max(0, sym.length - 1));
      walk(sym, sym.length - 1, (t, copy) => {
        out[t] = -Math.log(probability(sym, t, copy, sym[t + 1]!));
      });
      return out;
    },
    distribution(ids: Int32Array, t: number): Float64Array {
      const sym = toSymbols(ids);
      let copyAtT = -1;
      walk(sym, t + 1, (s, copy) => {
        if (s === t) copyAtT = copy;
      });
      return Float64Array.from({ length: V }, (_, v) => probability(sym, t, copyAtT, v));
    },
  };
}

/** One character per symbol (char code SYMBOL_BASE + s), exact offsets, no special tokens: the tokenizer of the tier-2 model. */
export function symbolTokenizer(vocabSize: number, base = 48): OffsetTokenizer {
  const encode = (text: string) =>
    Int32Array.from(text, (c, i) => {
      const s = c.charCodeAt(0) - base;
      if (s < 0 || s >= vocabSize)
        throw new LabError(
          'OUT_OF_RANGE',
          `text: character ${JSON.stringify(c)} at ${i} is not one of the ${vocabSize} symbols`,
        );
      return s;
    });
  return {
    vocabSize,
    bosTokenId: null,
    eosTokenId: null,
    encode,
    decode: (ids) => String.fromCharCode(...Array.from(ids, (s) => base + s)),
    encodeWithOffsets: (text) => ({
      ids: encode(text),
      offsets: Array.from(text, (_, i) => [i, i + 1] as [number, number]),
    }),
  };
}
