import { LabError, assertInRange, strictOptions, tf } from '@lab/core';
import type { CausalLM, CausalLMForwardInput } from './causal-lm.js';
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
    const hidden = finalHidden(model, { ids: ids2d }, queryChunk, attentionWindow); // [B, T, H]
    const H = model.config.hiddenSize;
    const rows = tf.reshape(tf.slice(hidden, [0, 0, 0], [B, T - 1, H]), [B * (T - 1), H]) as tf.Tensor2D; // [N, H]
    const targets = tf.reshape(tf.slice(ids2d, [0, 1], [B, T - 1]), [B * (T - 1)]) as tf.Tensor1D; // [N]
    return tf.reshape(blockedNll(model, rows, targets, maxLogits), [B, T - 1]) as tf.Tensor2D; // [B, T − 1]
  });
}

/** The final hidden states `[B, T, H]` of a forward pass without logits. */
function finalHidden(
  model: CausalLM,
  input: Pick<CausalLMForwardInput, 'ids' | 'inputEmbeds'>,
  queryChunk: number,
  attentionWindow: number | null | undefined,
): tf.Tensor3D {
  const forwardInput: CausalLMForwardInput = { ...input, logits: false, queryChunk };
  if (attentionWindow !== undefined) forwardInput.attentionWindow = attentionWindow;
  return model.forward(forwardInput).hidden;
}

/** NLL of hidden-state rows `[N, H]` against targets `[N]`, the `[·, V]` logits made ⌊maxLogits / V⌋ rows at a time → `[N]`. */
function blockedNll(model: CausalLM, rows: tf.Tensor2D, targets: tf.Tensor1D, maxLogits: number): tf.Tensor1D {
  const [N, H] = rows.shape;
  const block = Math.max(1, Math.floor(maxLogits / model.config.vocabSize));
  const parts: tf.Tensor1D[] = [];
  for (let r0 = 0; r0 < N; r0 += block) {
    const r = Math.min(block, N - r0);
    const logits = model.head(tf.slice(rows, [r0, 0], [r, H]) as tf.Tensor2D); // [r, V]
    parts.push(targetNll(logits, tf.slice(targets, [r0], [r]) as tf.Tensor1D)); // [r]
  }
  return parts.length === 1 ? parts[0]! : (tf.concat(parts) as tf.Tensor1D); // [N]
}

/** Input of {@link maskedNll}: token ids, or input embeddings with their target ids, and the loss mask. */
export interface MaskedNllInput {
  /** Token ids `[T]` or `[B, T]`; also the targets. Exactly one of `ids` / `inputEmbeds`. */
  ids?: Int32Array | number[] | tf.Tensor1D | tf.Tensor2D;
  /** Input embeddings `[B, T, hidden]` (e.g. one-hot · embedding matrix for GCG); needs `targets`. */
  inputEmbeds?: tf.Tensor3D;
  /** Target ids `[T]` or `[B, T]` aligned with the inputs (default `ids`): position t is predicted from positions < t. */
  targets?: Int32Array | number[] | tf.Tensor1D | tf.Tensor2D;
  /**
   * Which targets count, `[T]` or `[B, T]` (1 = scored, 0 = not; HF `labels = −100` where 0): e.g. 1 on the
   * response tokens only. Position 0 has no prediction and is ignored, as in HF's shifted loss.
   */
  lossMask: tf.Tensor1D | tf.Tensor2D | ArrayLike<number> | readonly ArrayLike<number>[];
}

/** Options of {@link maskedNll}. */
export interface MaskedNllOptions extends TokenNllOptions {
  /** `mean` over the scored tokens (default, HF's loss), `sum`, or `none`: `[B, T − 1]` with 0 where unscored. */
  reduction?: 'mean' | 'sum' | 'none';
}

/** A loss mask as B rows of T numbers (host side: it only picks rows). */
function maskRows(mask: MaskedNllInput['lossMask'], B: number, T: number): Float32Array[] {
  let flat: ArrayLike<number>;
  let shape: number[];
  if (mask instanceof tf.Tensor) {
    flat = mask.dataSync();
    shape = mask.rank === 1 ? [1, mask.shape[0]] : mask.shape;
  } else if (mask.length > 0 && typeof (mask as ArrayLike<unknown>)[0] === 'object') {
    const rows = mask as readonly ArrayLike<number>[];
    shape = [rows.length, rows[0]!.length];
    flat = Float32Array.from(rows.flatMap((r) => (r.length === shape[1] ? Array.from(r) : [NaN])));
  } else {
    flat = mask as ArrayLike<number>;
    shape = [1, flat.length];
  }
  if (shape.length !== 2 || shape[0] !== B || shape[1] !== T || flat.length !== B * T)
    throw new LabError(
      'SHAPE_MISMATCH',
      `lossMask: expected [${B}, ${T}] (or [${T}] for one row), got [${shape.join(', ')}]`,
    );
  return Array.from({ length: B }, (_, b) => Float32Array.from({ length: T }, (_, t) => Number(flat[b * T + t])));
}

/**
 * Masked (response-only) next-token NLL: `nll[b, t − 1] = −log p(targets[b, t] | inputs[b, < t])` for the
 * positions with `lossMask[b, t] = 1`, from `ids` or from `inputEmbeds` plus `targets` (so gradients reach
 * soft / one-hot token choices, as GCG needs). Only the hidden-state rows of scored positions reach the
 * head, in row blocks of ⌊maxLogits / V⌋, so `[B, T, V]` logits never exist. Differentiable; returns a
 * scalar (`mean`, `sum`) or `[B, T − 1]` (`none`, 0 where unscored).
 */
export function maskedNll(model: CausalLM, input: MaskedNllInput, options: MaskedNllOptions = {}): tf.Tensor {
  const o = strictOptions<MaskedNllOptions>(
    options,
    { queryChunk: 256, attentionWindow: undefined, maxLogits: 2 ** 22, reduction: 'mean' },
    'maskedNll options',
    { queryChunk: { min: 1, integer: true }, maxLogits: { min: 1, integer: true }, reduction: ['mean', 'sum', 'none'] },
  );
  const { queryChunk = 256, attentionWindow, maxLogits = 2 ** 22, reduction = 'mean' } = o;
  if ((input.ids === undefined) === (input.inputEmbeds === undefined))
    throw new LabError(
      'INVALID_ARGUMENT',
      'maskedNll: expected exactly one of ids or inputEmbeds, got both or neither',
    );
  const V = model.config.vocabSize;
  return tf.tidy(() => {
    const targetSource = input.targets ?? input.ids;
    if (targetSource === undefined)
      throw new LabError('INVALID_ARGUMENT', 'targets: expected target ids with inputEmbeds, got none');
    const targets = toIds2d(targetSource, V); // [B, T]
    const [B, T] = targets.shape;
    const inputShape = input.inputEmbeds ? input.inputEmbeds.shape.slice(0, 2) : toIds2d(input.ids!, V).shape;
    if (inputShape[0] !== B || inputShape[1] !== T)
      throw new LabError(
        'SHAPE_MISMATCH',
        `targets: expected [${inputShape.join(', ')}] like the inputs, got [${B}, ${T}]`,
      );
    const mask = maskRows(input.lossMask, B, T);
    const hidden = finalHidden(
      model,
      input.inputEmbeds ? { inputEmbeds: input.inputEmbeds } : { ids: input.ids! },
      queryChunk,
      attentionWindow,
    ); // [B, T, H]
    const H = model.config.hiddenSize;
    // Contiguous runs of scored targets [t0, t1) per row: their hidden rows are t0 − 1 .. t1 − 2 (slices have gradients everywhere).
    const runs: { b: number; t0: number; t1: number }[] = [];
    for (let b = 0; b < B; b++)
      for (let t = 1; t < T; t++)
        if (mask[b]![t]! !== 0) {
          const t0 = t;
          while (t < T && mask[b]![t]! !== 0) t++;
          runs.push({ b, t0, t1: t });
        }
    if (runs.length === 0) {
      if (reduction === 'none') return tf.zeros([B, Math.max(0, T - 1)]);
      throw new LabError('EMPTY_INPUT', 'lossMask: expected at least one scored target after position 0, got none');
    }
    const rowsOf = (r: (typeof runs)[number]) =>
      tf.reshape(tf.slice(hidden, [r.b, r.t0 - 1, 0], [1, r.t1 - r.t0, H]), [r.t1 - r.t0, H]); // [n, H]
    const targetsOf = (r: (typeof runs)[number]) =>
      tf.reshape(tf.slice(targets, [r.b, r.t0], [1, r.t1 - r.t0]), [r.t1 - r.t0]); // [n]
    const rows = tf.concat(runs.map(rowsOf)) as tf.Tensor2D; // [N, H]
    const nll = blockedNll(model, rows, tf.concat(runs.map(targetsOf)) as tf.Tensor1D, maxLogits); // [N]
    if (reduction === 'sum') return tf.sum(nll);
    if (reduction === 'mean') return tf.mean(nll);
    // Scatter back to [B, T − 1] with zeros, by concatenation (no scatter gradient needed).
    const pieces: tf.Tensor[][] = Array.from({ length: B }, () => []);
    const ends = new Array<number>(B).fill(1);
    let at = 0;
    for (const r of runs) {
      if (r.t0 > ends[r.b]!) pieces[r.b]!.push(tf.zeros([r.t0 - ends[r.b]!]));
      pieces[r.b]!.push(tf.slice(nll, [at], [r.t1 - r.t0]));
      at += r.t1 - r.t0;
      ends[r.b] = r.t1;
    }
    const full = pieces.map((p, b) => {
      if (ends[b]! < T) p.push(tf.zeros([T - ends[b]!]));
      return p.length === 1 ? p[0]! : tf.concat(p);
    }); // B × [T − 1]
    return tf.stack(full); // [B, T − 1]
  });
}

/**
 * Next-token NLL of one sequence as a plain array (length T − 1, natural log): the scoring path of
 * LongPPL and perplexity. No gradient; every tensor is freed.
 */
export function nextTokenNll(model: CausalLM, ids: Int32Array | number[], options: TokenNllOptions = {}): Float32Array {
  return tf.tidy(() => tokenNll(model, ids, options).dataSync() as Float32Array).slice();
}
