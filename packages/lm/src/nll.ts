import { LabError, assertInRange, tf } from '@lab/core';
import type { CausalLM } from './causal-lm.js';
import { toIds2d } from './ids.js';

/** Options of {@link tokenNll} and {@link nextTokenNll}. */
export interface TokenNllOptions {
  /** Query block of the attention (memory ∝ queryChunk · T per head). Default 256. */
  queryChunk?: number;
  /** Attention window override (sliding-window zoo); default the model's. */
  attentionWindow?: number | null;
  /** Upper bound on the logits held at once, in floats; rows are processed in blocks of ⌊maxLogits / V⌋. Default 2^22. */
  maxLogits?: number;
}

/**
 * Next-token negative log-likelihood from logits and targets, without a full log-softmax:
 * nll = logsumexp(logits) − logits[target]. `logits` `[N, V]`, `targets` int32 `[N]` → `[N]`. Differentiable.
 */
export function targetNll(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [, V] = logits.shape;
    const lse = tf.logSumExp(logits, 1); // [N]
    const picked = tf.sum(tf.mul(logits, tf.oneHot(targets, V)), 1); // [N]: the target logit (oneHot has no gather gradient problem)
    return tf.sub(lse, picked) as tf.Tensor1D;
  });
}

/**
 * Differentiable next-token NLL of a causal LM: `nll[b, k] = −log p(ids[b, k+1] | ids[b, ..k])`,
 * natural log, shape `[B, T − 1]`. The `[·, V]` logits are produced in row blocks, so the full
 * `[B·T, V]` log-prob matrix never exists at once.
 */
export function tokenNll(
  model: CausalLM,
  ids: Int32Array | number[] | tf.Tensor1D | tf.Tensor2D,
  options: TokenNllOptions = {},
): tf.Tensor2D {
  const { queryChunk = 256, attentionWindow, maxLogits = 2 ** 22 } = options;
  assertInRange(maxLogits, 'maxLogits', { min: 1, integer: true });
  return tf.tidy(() => {
    const ids2d = toIds2d(ids, model.config.vocabSize);
    const [B, T] = ids2d.shape;
    if (T < 2) throw new LabError('EMPTY_INPUT', `ids: expected at least 2 tokens to score, got ${T}`);
    const forwardInput: Parameters<CausalLM['forward']>[0] = { ids: ids2d, logits: false, queryChunk };
    if (attentionWindow !== undefined) forwardInput.attentionWindow = attentionWindow;
    const { hidden } = model.forward(forwardInput);
    const H = model.config.hiddenSize;
    const V = model.config.vocabSize;
    const rows = tf.reshape(tf.slice(hidden, [0, 0, 0], [B, T - 1, H]), [B * (T - 1), H]) as tf.Tensor2D; // [N, H]
    const targets = tf.reshape(tf.slice(ids2d, [0, 1], [B, T - 1]), [B * (T - 1)]) as tf.Tensor1D; // [N]
    const N = B * (T - 1);
    const block = Math.max(1, Math.floor(maxLogits / V));
    const parts: tf.Tensor1D[] = [];
    for (let r0 = 0; r0 < N; r0 += block) {
      const r = Math.min(block, N - r0);
      const logits = model.head(tf.slice(rows, [r0, 0], [r, H]) as tf.Tensor2D); // [r, V]
      parts.push(targetNll(logits, tf.slice(targets, [r0], [r]) as tf.Tensor1D));
    }
    const flat = parts.length === 1 ? parts[0]! : tf.concat(parts);
    return tf.reshape(flat, [B, T - 1]) as tf.Tensor2D;
  });
}

/**
 * Next-token NLL of one sequence as a plain array (length T − 1, natural log): the scoring path of
 * LongPPL and perplexity. No gradient; every tensor is freed.
 */
export function nextTokenNll(model: CausalLM, ids: Int32Array | number[], options: TokenNllOptions = {}): Float32Array {
  return tf.tidy(() => tokenNll(model, ids, options).dataSync() as Float32Array).slice();
}
