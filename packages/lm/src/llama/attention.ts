import { type Linear, Module, tf } from '@lab/core';
import { mergeHeads, splitHeads } from '../attention.js';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import { applyRope } from '../rope.js';
import { type Weights, linear } from '../weights.js';

/** RoPE tables of the current positions, shared by every layer: cos, sin `[T, D]`. */
export interface RopeTables {
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
}

/**
 * LLaMA self-attention (Touvron et al. 2023): q/k/v projections (with bias in Qwen2 and LLaMA
 * `attention_bias`, which also biases o_proj), rotary
 * positions on q and k (Su et al. 2021), causal grouped-query attention (Ainslie et al. 2023) over
 * the KV cache, output projection. C = hidden size, H query heads, Hkv key/value heads, D head width.
 */
export class LlamaAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;

  constructor(
    private readonly config: CausalLMConfig,
    /** Index of the decoder layer (its slot in the KV cache). */
    private readonly layerIdx: number,
    w: Weights,
  ) {
    super();
    const { hiddenSize: C, numHeads: H, numKvHeads: Hkv, headDim: D, attentionBias, attentionOutputBias } = config;
    this.q_proj = this.addModule('q_proj', linear(w.at('q_proj'), C, H * D, attentionBias));
    this.k_proj = this.addModule('k_proj', linear(w.at('k_proj'), C, Hkv * D, attentionBias));
    this.v_proj = this.addModule('v_proj', linear(w.at('v_proj'), C, Hkv * D, attentionBias));
    this.o_proj = this.addModule('o_proj', linear(w.at('o_proj'), H * D, C, attentionOutputBias));
  }

  forward(x: tf.Tensor3D, rope: RopeTables, ctx: ForwardContext): tf.Tensor3D {
    const { numHeads: H, numKvHeads: Hkv } = this.config;
    let q = splitHeads(ctx.linear(this.q_proj, x), H); // [B, H, T, D]
    let k = splitHeads(ctx.linear(this.k_proj, x), Hkv); // [B, Hkv, T, D]
    const v = splitHeads(ctx.linear(this.v_proj, x), Hkv); // [B, Hkv, T, D]
    q = applyRope(q, rope.cos, rope.sin); // [B, H, T, D]
    k = applyRope(k, rope.cos, rope.sin); // [B, Hkv, T, D]: cached rotated
    const y = ctx.attend(this.layerIdx, q, k, v); // [B, H, T, D]
    return ctx.linear(this.o_proj, mergeHeads(y)); // [B, T, C]
  }
}
