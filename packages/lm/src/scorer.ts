import { LabError } from '@lab/core';
import type { CausalLM } from './causal-lm.js';
import { nextTokenNll, type TokenNllOptions } from './nll.js';

/**
 * Anything that scores a token sequence: `nextTokenNll(ids)[k] = −log p(ids[k+1] | ids[..k])`,
 * natural log, length `ids.length − 1`. Metrics (LongPPL, perplexity) take a Scorer, so they work
 * with our tfjs models, precomputed log-probs from elsewhere, or analytic models.
 */
export interface Scorer {
  nextTokenNll(ids: Int32Array): Promise<Float32Array>;
}

/** A {@link Scorer} over a @lab/core {@link CausalLM} (query-chunked attention, blocked log-softmax). */
export function tfjsScorer(model: CausalLM, options: TokenNllOptions = {}): Scorer {
  return {
    async nextTokenNll(ids: Int32Array): Promise<Float32Array> {
      return nextTokenNll(model, ids, options);
    },
  };
}

/** The lookup key of a token sequence in a {@link precomputedScorer} table: ids joined by commas. */
export function scorerKey(ids: ArrayLike<number>): string {
  return Array.prototype.join.call(ids, ',');
}

/**
 * A {@link Scorer} that serves precomputed losses, keyed by {@link scorerKey}`(ids)`. Each entry must
 * hold `ids.length − 1` losses. Throws {@link LabError} `NOT_FOUND` for a sequence not in the table.
 */
export function precomputedScorer(table: Map<string, Float32Array | ArrayLike<number>>): Scorer {
  return {
    async nextTokenNll(ids: Int32Array): Promise<Float32Array> {
      const key = scorerKey(ids);
      const hit = table.get(key);
      if (!hit) {
        const preview = key.length > 60 ? `${key.slice(0, 60)}…` : key;
        throw new LabError(
          'NOT_FOUND',
          `precomputedScorer: no losses for the ${ids.length}-token sequence [${preview}]`,
        );
      }
      if (hit.length !== ids.length - 1) {
        throw new LabError(
          'SHAPE_MISMATCH',
          `precomputedScorer: entry for a ${ids.length}-token sequence should hold ${ids.length - 1} losses, got ${hit.length}`,
        );
      }
      return Float32Array.from(hit);
    },
  };
}
