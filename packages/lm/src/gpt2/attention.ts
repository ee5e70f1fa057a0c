import { type Linear, Module, tf } from '@lab/core';
import { mergeHeads, splitHeads } from '../attention.js';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import { type Weights, linear } from '../weights.js';

/**
 * GPT-2 self-attention (Radford et al. 2019): one fused projection `c_attn` to q, k, v (HF Conv1D,
 * already `[in, out]`), causal multi-head attention over the KV cache, output projection `c_proj`.
 * C = hidden size, H heads, D = C / H.
 */
export class GPT2Attention extends Module {
  readonly c_attn: Linear;
  readonly c_proj: Linear;

  constructor(
    private readonly config: CausalLMConfig,
    /** Index of the decoder layer (its slot in the KV cache). */
    private readonly layerIdx: number,
    w: Weights,
  ) {
    super();
    const C = config.hiddenSize;
    this.c_attn = this.addModule('c_attn', linear(w.at('c_attn'), C, 3 * C, true));
    this.c_proj = this.addModule('c_proj', linear(w.at('c_proj'), C, C, true));
  }

  forward(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    const qkv = ctx.linear(this.c_attn, x); // [B, T, 3C]
    const [q, k, v] = tf.split(qkv, 3, 2).map((t) => splitHeads(t as tf.Tensor3D, this.config.numHeads)); // [B, H, T, D] each
    const { scaleAttnWeights, scaleAttnByInverseLayerIdx, headDim } = this.config;
    // HF GPT2Attention: scores / √D (scale_attn_weights), then / (layer + 1) (scale_attn_by_inverse_layer_idx).
    const scale =
      (scaleAttnWeights ? 1 / Math.sqrt(headDim) : 1) / (scaleAttnByInverseLayerIdx ? this.layerIdx + 1 : 1);
    const y = ctx.attend(this.layerIdx, q!, k!, v!, scale); // [B, H, T, D]
    return ctx.linear(this.c_proj, mergeHeads(y)); // [B, T, C]
  }
}
