import { LabError, assertInRange, tf } from '@lab/core';

/** Options of {@link causalAttention}. */
export interface CausalAttentionOptions {
  /** Queries per block: the score matrix held at once is `[B, H, queryChunk, S]`, not `[B, H, T, S]`. Default 256. */
  queryChunk?: number;
  /** Causal sliding window: each query sees itself and the `window − 1` previous tokens. null = all previous tokens. */
  window?: number | null;
  /** Also return the post-softmax probabilities `[B, H, T, S]` (zeros where masked). */
  returnProbs?: boolean;
  /** Score scale; default 1/√headDim. */
  scale?: number;
}

/** Output of {@link causalAttention}. */
export interface CausalAttentionOutput {
  /** `[B, H, T, D]` */
  output: tf.Tensor4D;
  /** `[B, H, T, S]` when requested. */
  probs?: tf.Tensor4D;
}

/** Masking value: exp(−1e9 − max) is exactly 0 in float32 and, unlike −∞, never yields NaN. */
const MASKED = -1e9;

/**
 * Causal scaled dot-product attention with grouped-query heads, computed in query blocks
 * (Vaswani et al. 2017 eq. 1; GQA: Ainslie et al. 2023).
 *
 * `q` is `[B, H, T, D]`; `k` and `v` are `[B, Hkv, S, D]` with `S ≥ T`: the last T keys belong to the
 * queries, the first `S − T` are a KV cache. Query head h uses key/value head ⌊h / (H / Hkv)⌋ (HF
 * `repeat_kv`). Each block only multiplies against the keys it can see (causal and window limits),
 * so a long sequence costs `T·S/2` scores in `queryChunk`-row pieces instead of one `T × S` matrix.
 * Differentiable (every op used has a tfjs gradient).
 */
export function causalAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  options: CausalAttentionOptions = {},
): CausalAttentionOutput {
  const { queryChunk = 256, window = null, returnProbs = false } = options;
  const [B, H, T, D] = q.shape;
  const [Bk, Hkv, S, Dk] = k.shape;
  if (k.rank !== 4 || v.rank !== 4 || Bk !== B || Dk !== D || v.shape.join() !== k.shape.join()) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `causalAttention: expected q [B, H, T, D] and k, v [B, Hkv, S, D], got q [${q.shape}], k [${k.shape}], v [${v.shape}]`,
    );
  }
  if (H % Hkv !== 0)
    throw new LabError(
      'SHAPE_MISMATCH',
      `causalAttention: query heads ${H} must be a multiple of key/value heads ${Hkv}`,
    );
  if (S < T)
    throw new LabError('SHAPE_MISMATCH', `causalAttention: expected at least as many keys (${S}) as queries (${T})`);
  assertInRange(queryChunk, 'queryChunk', { min: 1, integer: true });
  if (window !== null) assertInRange(window, 'window', { min: 1, integer: true });
  const scale = options.scale ?? 1 / Math.sqrt(D);
  const past = S - T;
  const rep = H / Hkv;

  return tf.tidy(() => {
    // GQA without copying keys: the `rep` query heads of one key/value head are stacked along the row
    // axis ([B, Hkv, rep·r, D]), so one batched product serves them all (tfjs Tile is slow on WASM).
    const kT = tf.transpose(k, [0, 1, 3, 2]); // [B, Hkv, D, S]: transposed once, sliced per block
    const outputs: tf.Tensor4D[] = [];
    const probsBlocks: tf.Tensor4D[] = [];
    for (let c0 = 0; c0 < T; c0 += queryChunk) {
      const c1 = Math.min(T, c0 + queryChunk);
      const rows = c1 - c0;
      // Visible keys of this block: [kLo, kHi) in absolute key positions.
      const kHi = past + c1;
      const kLo = window === null ? 0 : Math.max(0, past + c0 - window + 1);
      const cols = kHi - kLo;
      const qBlock = tf.reshape(tf.slice(q, [0, 0, c0, 0], [B, H, rows, D]), [B, Hkv, rep * rows, D]); // [B, Hkv, rep·r, D]
      const kBlock = tf.slice(kT, [0, 0, 0, kLo], [B, Hkv, D, cols]); // [B, Hkv, D, c]
      const vBlock = tf.slice(v, [0, 0, kLo, 0], [B, Hkv, cols, D]); // [B, Hkv, c, D]
      const bias = new Float32Array(rep * rows * cols);
      let anyMasked = false;
      for (let i = 0; i < rows; i++) {
        const pos = past + c0 + i; // absolute position of query i
        for (let j = 0; j < cols; j++) {
          const key = kLo + j;
          if (key > pos || (window !== null && key <= pos - window)) {
            for (let r = 0; r < rep; r++) bias[(r * rows + i) * cols + j] = MASKED;
            anyMasked = true;
          }
        }
      }
      let scores = tf.mul(tf.matMul(qBlock, kBlock), scale); // [B, Hkv, rep·r, c]
      if (anyMasked) scores = tf.add(scores, tf.tensor2d(bias, [rep * rows, cols]));
      const p = tf.softmax(scores); // [B, Hkv, rep·r, c]
      outputs.push(tf.reshape(tf.matMul(p, vBlock), [B, H, rows, D]) as tf.Tensor4D); // [B, H, r, D]
      if (returnProbs) {
        const p4 = tf.reshape(p, [B, H, rows, cols]) as tf.Tensor4D;
        probsBlocks.push(
          cols === S
            ? p4
            : (tf.pad(p4, [
                [0, 0],
                [0, 0],
                [0, 0],
                [kLo, S - kHi],
              ]) as tf.Tensor4D),
        );
      }
    }
    const output = (outputs.length === 1 ? outputs[0]! : tf.concat(outputs, 2)) as tf.Tensor4D;
    if (!returnProbs) return { output };
    const probs = (probsBlocks.length === 1 ? probsBlocks[0]! : tf.concat(probsBlocks, 2)) as tf.Tensor4D;
    return { output, probs };
  });
}

/** A projection `[B, T, n·D]` → n heads `[B, n, T, D]`. */
export function splitHeads(x: tf.Tensor3D, n: number): tf.Tensor4D {
  const [B, T, width] = x.shape;
  return tf.transpose(tf.reshape(x, [B, T, n, width / n]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, n, T, D]
}

/** Heads `[B, n, T, D]` → `[B, T, n·D]` for the output projection. */
export function mergeHeads(y: tf.Tensor4D): tf.Tensor3D {
  const [B, n, T, D] = y.shape;
  return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, n * D]) as tf.Tensor3D; // [B, T, n·D]
}
