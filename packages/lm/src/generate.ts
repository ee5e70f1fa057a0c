import { LabError, Rng, assertInRange, strictOptions, tf } from '@lab/core';
import type { CausalLM } from './causal-lm.js';
import { eosTokenIds } from './config.js';
import { KVCache } from './kv-cache.js';

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Tokens to append (the loop stops earlier at `eosTokenId`). */
  maxNewTokens: number;
  /** 0 (default) = greedy argmax; otherwise sample from softmax(logits / temperature). */
  temperature?: number;
  /** Sample only among the k most likely tokens (0 = all). */
  topK?: number;
  /** Nucleus sampling: the smallest set of tokens whose probability reaches topP (1 = all). */
  topP?: number;
  /** Seed or generator of the sampling draws. */
  rng?: Rng | number;
  /** Stop after emitting this token (or any of a list); default the model's `eosTokenId`, `null` to never stop. */
  eosTokenId?: number | readonly number[] | null;
  /** Attention window override; default the model's. */
  attentionWindow?: number | null;
}

/**
 * Autoregressive generation with a KV cache: one forward pass over the prompt, then one single-token
 * pass per new token. Returns only the new tokens. Greedy by default; temperature / top-k / top-p
 * sampling draws from the seeded core {@link Rng}. Leaves no tensors behind.
 */
export function generate(model: CausalLM, prompt: Int32Array | number[], options: GenerateOptions): Int32Array {
  const { maxNewTokens, temperature = 0, topK = 0, topP = 1 } = options;
  assertInRange(maxNewTokens, 'maxNewTokens', { min: 0, integer: true });
  assertInRange(temperature, 'temperature', { min: 0 });
  assertInRange(topK, 'topK', { min: 0, integer: true });
  assertInRange(topP, 'topP', { min: 0, max: 1, minExclusive: true });
  if (prompt.length === 0) throw new LabError('EMPTY_INPUT', 'prompt: expected at least one token, got 0');
  const eos = new Set(
    eosTokenIds({ eosTokenId: options.eosTokenId === undefined ? model.config.eosTokenId : options.eosTokenId }),
  );
  const rng = options.rng instanceof Rng ? options.rng : new Rng(options.rng ?? 0);
  const out: number[] = [];
  const cache = new KVCache(model.config.numLayers);
  try {
    let next: ArrayLike<number> = prompt;
    for (let step = 0; step < maxNewTokens; step++) {
      const lastLogits = tf.tidy(() => {
        const input: Parameters<CausalLM['forward']>[0] = { ids: Array.from(next), cache };
        if (options.attentionWindow !== undefined) input.attentionWindow = options.attentionWindow;
        const { logits } = model.forward(input);
        const T = logits!.shape[1];
        return tf.slice(logits!, [0, T - 1, 0], [1, 1, model.config.vocabSize]).dataSync() as Float32Array;
      });
      const token = temperature === 0 ? argmax(lastLogits) : sampleToken(lastLogits, temperature, topK, topP, rng);
      out.push(token);
      if (eos.has(token)) break;
      next = [token];
    }
  } finally {
    cache.dispose();
  }
  return Int32Array.from(out);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Draws a token from softmax(logits / T), restricted to the top-k and then to the top-p nucleus. */
export function sampleToken(
  logits: ArrayLike<number>,
  temperature: number,
  topK: number,
  topP: number,
  rng: Rng,
): number {
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]!);
  const keep = topK > 0 ? order.slice(0, topK) : order;
  const max = logits[keep[0]!]!;
  const weights = keep.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let cut = weights.length;
  if (topP < 1) {
    let mass = 0;
    for (let i = 0; i < weights.length; i++) {
      mass += weights[i]! / total;
      if (mass >= topP) {
        cut = i + 1;
        break;
      }
    }
  }
  return keep[rng.categorical(weights.slice(0, cut))]!;
}

/** Options of {@link generateGreedyBatch}. */
export interface GenerateGreedyBatchOptions {
  /** Tokens to append per prompt (a row stops earlier at its end-of-sequence token). */
  maxNewTokens: number;
  /** Stop a row after it emits this token (or any of a list); default the model's `eosTokenId`, `null` to never stop. */
  eosTokenId?: number | readonly number[] | null;
  /** Attention window override; default the model's. */
  attentionWindow?: number | null;
}

/**
 * Greedy decoding of several prompts of equal length at once, with one batched KV cache: one forward
 * pass over the `[B, T]` prompts, then one `[B, 1]` pass per step. Row b's result is exactly
 * `generate(model, prompts[b], { maxNewTokens, eosTokenId })` (greedy): the new tokens, up to and
 * including its end-of-sequence token; the loop ends when every row has stopped. Leaves no tensors behind.
 */
export function generateGreedyBatch(
  model: CausalLM,
  prompts: readonly (Int32Array | readonly number[])[],
  options: GenerateGreedyBatchOptions,
): Int32Array[] {
  if (options?.maxNewTokens === undefined)
    throw new LabError('INVALID_ARGUMENT', 'maxNewTokens: expected a number of tokens to generate, got none');
  const { maxNewTokens, eosTokenId, attentionWindow } = strictOptions<GenerateGreedyBatchOptions>(
    options,
    { maxNewTokens: 0, eosTokenId: undefined, attentionWindow: undefined },
    'generateGreedyBatch options',
    { maxNewTokens: { min: 0, integer: true } },
  );
  if (!Array.isArray(prompts) || prompts.length === 0)
    throw new LabError('EMPTY_INPUT', 'prompts: expected at least one prompt, got none');
  const T = prompts[0]!.length;
  if (T === 0) throw new LabError('EMPTY_INPUT', 'prompts: expected at least one token per prompt, got 0');
  prompts.forEach((p, b) => {
    if (p.length !== T)
      throw new LabError(
        'SHAPE_MISMATCH',
        `prompts[${b}]: expected ${T} tokens like prompts[0] (equal lengths), got ${p.length}`,
      );
  });
  const B = prompts.length;
  const V = model.config.vocabSize;
  const eos = new Set(eosTokenIds({ eosTokenId: eosTokenId === undefined ? model.config.eosTokenId : eosTokenId }));
  const out: number[][] = Array.from({ length: B }, () => []);
  const done = new Array<boolean>(B).fill(false);
  const cache = new KVCache(model.config.numLayers);
  try {
    let next: number[] = prompts.flatMap((p) => Array.from(p));
    let width = T;
    for (let step = 0; step < maxNewTokens && done.includes(false); step++) {
      const last = tf.tidy(() => {
        const ids = tf.tensor2d(Int32Array.from(next), [B, width], 'int32'); // [B, width]
        const input: Parameters<CausalLM['forward']>[0] = { ids, cache };
        if (attentionWindow !== undefined) input.attentionWindow = attentionWindow;
        const { logits } = model.forward(input); // [B, width, V]
        return tf.slice(logits!, [0, width - 1, 0], [B, 1, V]).dataSync() as Float32Array; // [B·V]
      });
      next = [];
      for (let b = 0; b < B; b++) {
        const token = argmax(last.subarray(b * V, (b + 1) * V));
        next.push(token);
        if (done[b]) continue;
        out[b]!.push(token);
        if (eos.has(token)) done[b] = true;
      }
      width = 1;
    }
  } finally {
    cache.dispose();
  }
  return out.map((o) => Int32Array.from(o));
}
