import { LabError, tf } from '@lab/core';

/** Per-layer key/value cache for incremental decoding; owned by the caller (call `dispose()`). */
export class KVCache {
  /** `keys[l]`, `values[l]`: `[B, Hkv, S, D]`, already rotated (RoPE). */
  keys: (tf.Tensor4D | null)[];
  values: (tf.Tensor4D | null)[];
  /** Number of cached positions S. */
  length = 0;

  constructor(numLayers: number) {
    this.keys = new Array<tf.Tensor4D | null>(numLayers).fill(null);
    this.values = new Array<tf.Tensor4D | null>(numLayers).fill(null);
  }

  /** A copy that can be extended independently (e.g. one shared prompt prefix, many continuations). */
  clone(): KVCache {
    const c = new KVCache(this.keys.length);
    c.keys = this.keys.map((t) => (t ? tf.keep(t.clone()) : null));
    c.values = this.values.map((t) => (t ? tf.keep(t.clone()) : null));
    c.length = this.length;
    return c;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
    this.length = 0;
  }
}

/**
 * Layer l's cached keys/values `[B', Hkv, S, D]` followed by the new ones `[B, Hkv, T, D]` on the
 * position axis → `[B, Hkv, S + T, D]`. A batch-1 cache is tiled over B (one prefix, B continuations).
 */
export function withPast(
  cache: KVCache | undefined,
  l: number,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
): [tf.Tensor4D, tf.Tensor4D] {
  if (!cache || cache.length === 0) return [k, v];
  const B = k.shape[0];
  let ck = cache.keys[l]!; // [B', Hkv, S, D]
  let cv = cache.values[l]!;
  if (ck.shape[0] !== B) {
    if (ck.shape[0] !== 1)
      throw new LabError('SHAPE_MISMATCH', `cache: batch ${ck.shape[0]} does not match input batch ${B}`);
    ck = tf.tile(ck, [B, 1, 1, 1]); // [B, Hkv, S, D]
    cv = tf.tile(cv, [B, 1, 1, 1]);
  }
  return [tf.concat([ck, k], 2) as tf.Tensor4D, tf.concat([cv, v], 2) as tf.Tensor4D]; // [B, Hkv, S + T, D]
}
