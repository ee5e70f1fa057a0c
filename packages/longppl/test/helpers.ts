import type { OffsetTokenizer, Scorer } from '@lab/lm';
import golden from './fixtures/longppl-golden.json';
import { defaultTier2Options } from '../src/index.js';

/** The position-free toy LM of longppl_golden.py::toy_logits, as a Scorer (float64 inside). */
export function toyScorer(cfg: { beta_big: number; gamma: number; lookback: number | null }): Scorer {
  const V = 16;
  const FILLER = [12, 13, 14, 15];
  const succ = (u: number) => (FILLER.includes(u) ? FILLER[(FILLER.indexOf(u) + 1) % 4]! : (u + 1) % V);
  return {
    async nextTokenNll(ids: Int32Array): Promise<Float32Array> {
      const out = new Float32Array(ids.length - 1);
      for (let t = 0; t < ids.length - 1; t++) {
        const u = ids[t]!;
        const lg = Array.from({ length: V }, (_, v) => 0.5 * Math.sin(0.9 * u + 0.4 * v + 0.3));
        lg[succ(u)]! += cfg.beta_big;
        for (let j = t - 1; j >= 0; j--) {
          if (cfg.lookback !== null && t - j > cfg.lookback) break;
          if (ids[j] === u) {
            lg[ids[j + 1]!]! += cfg.gamma;
            break;
          }
        }
        const m = Math.max(...lg);
        const lse = m + Math.log(lg.reduce((a, x) => a + Math.exp(x - m), 0));
        out[t] = lse - lg[ids[t + 1]!]!;
      }
      return out;
    },
  };
}

/** One char per token, char = chr(ord('a') + id), offsets [i, i + 1], no BOS (the golden tokenizer). */
export const charTokenizer: OffsetTokenizer = {
  vocabSize: 16,
  bosTokenId: null,
  eosTokenId: null,
  encode: (text) => Int32Array.from(text, (c) => c.charCodeAt(0) - 97),
  decode: (ids) => Array.from(ids, (i) => String.fromCharCode(97 + i)).join(''),
  encodeWithOffsets: (text) => ({
    ids: Int32Array.from(text, (c) => c.charCodeAt(0) - 97),
    offsets: Array.from(text, (_, i) => [i, i + 1] as [number, number]),
  }),
};

/** Largest |a − b| / max(|b|, floor). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return e;
}

export { golden };

/** A tier 2 small enough for CI: 1 layer, d = 8, 2 base steps, 2 fine-tuning steps per arm. */
export const tinyTier2 = {
  ...defaultTier2Options,
  corpus: { length: 48, nDefinitions: 2, nQueries: 2, definitionEnd: 0.5, queryStart: 0.55 },
  hidden: 8,
  heads: 2,
  layers: 1,
  intermediate: 8,
  batchSize: 2,
  baseSteps: 2,
  fineTuneSteps: 2,
  evalEvery: 1,
  evalDocs: 2,
  truncLen: 16,
  slidingWindow: 16,
};
