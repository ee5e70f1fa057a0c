import { type Linear, tf } from '@lab/core';
import { causalAttention } from './attention.js';
import { type KVCache, withPast } from './kv-cache.js';

/**
 * Replaces or augments a named linear layer (LoRA-style adapters): receives the layer input `[N, in]`
 * and the frozen layer's output `[N, out]`, returns the output to use `[N, out]`.
 */
export type LinearAdapter = (input: tf.Tensor2D, baseOutput: tf.Tensor2D, name: string) => tf.Tensor2D;

/** Settings of one forward pass, as {@link CausalLM.forward} resolved them. */
export interface ForwardSettings {
  cache: KVCache | undefined;
  updateCache: boolean;
  /** Sliding attention window of layer l, or null for full causal attention. */
  window: (layer: number) => number | null;
  queryChunk: number;
  /** Layers whose post-softmax attention is returned. */
  returnAttention: Set<number>;
  onLinearInput: ((name: string, input: tf.Tensor2D) => void) | undefined;
  /** Short name (`layers.0.self_attn.q_proj`) of every hooked linear layer. */
  linearNames: ReadonlyMap<Linear, string>;
  adapters: ReadonlyMap<string, LinearAdapter>;
}

/**
 * What the family modules see of one forward pass: the position offset, the hooked linear layers and
 * attention against the KV cache. It collects the new cache entries and the requested attention maps.
 */
export class ForwardContext {
  /** Positions already in the cache: the first new token sits at position `past`. */
  readonly past: number;
  /** Layer index → post-softmax attention `[B, H, T, S]`. */
  readonly attentions = new Map<number, tf.Tensor4D>();
  /** Layer index → keys / values `[B, Hkv, S + T, D]` for the cache (kept: they outlive every tidy scope). */
  readonly newKeys: tf.Tensor4D[] = [];
  readonly newValues: tf.Tensor4D[] = [];

  constructor(private readonly settings: ForwardSettings) {
    this.past = settings.cache?.length ?? 0;
  }

  /**
   * x·W + b of a linear layer, `[B, T, in]` → `[B, T, out]`. Hooks and adapters see rows: the input
   * `[B·T, in]` goes to `onLinearInput`, and the adapter maps (input, output `[B·T, out]`) to the output.
   */
  linear(layer: Linear, x: tf.Tensor3D): tf.Tensor3D {
    const [B, T, n] = x.shape;
    const name = this.settings.linearNames.get(layer)!;
    const rows = tf.reshape(x, [B * T, n]) as tf.Tensor2D; // [B·T, in]
    this.settings.onLinearInput?.(name, rows);
    let y = layer.forward(rows) as tf.Tensor2D; // [B·T, out]
    const adapter = this.settings.adapters.get(name);
    if (adapter) y = adapter(rows, y, name);
    return tf.reshape(y, [B, T, y.shape[1]]) as tf.Tensor3D; // [B, T, out]
  }

  /**
   * Causal attention of layer l: queries `[B, H, T, D]` against the cached and new keys / values
   * `[B, Hkv, T, D]` → `[B, H, T, D]`, scores scaled by `scale` (default 1/√D). Records the cache
   * entries and, when asked, the probabilities.
   */
  attend(l: number, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, scale?: number): tf.Tensor4D {
    const { cache, updateCache, window, queryChunk, returnAttention } = this.settings;
    const [kAll, vAll] = withPast(cache, l, k, v); // [B, Hkv, S, D]
    const att = causalAttention(q, kAll, vAll, {
      queryChunk,
      window: window(l),
      returnProbs: returnAttention.has(l),
      ...(scale === undefined ? {} : { scale }),
    });
    if (cache && updateCache) {
      this.newKeys[l] = tf.keep(kAll);
      this.newValues[l] = tf.keep(vAll);
    }
    if (att.probs) this.attentions.set(l, att.probs); // [B, H, T, S]
    return att.output; // [B, H, T, D]
  }

  /** Runs decoder layer l in its own tidy scope: only its output `[B, T, C]` and attention map survive. */
  layer(l: number, block: () => tf.Tensor3D): tf.Tensor3D {
    const [x] = tf.tidy(() => {
      const out = block();
      const probs = this.attentions.get(l);
      return probs ? [out, probs] : [out];
    });
    return x as tf.Tensor3D;
  }
}
