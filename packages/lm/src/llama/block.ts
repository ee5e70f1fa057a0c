import { Module, RMSNorm, tf } from '@lab/core';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import { type Weights, loaded } from '../weights.js';
import { LlamaAttention, type RopeTables } from './attention.js';
import { LlamaMLP } from './mlp.js';

/** One pre-norm decoder layer (HF `LlamaDecoderLayer`): x + attn(norm(x)), then x + mlp(norm(x)). */
export class LlamaBlock extends Module {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: LlamaAttention;
  readonly post_attention_layernorm: RMSNorm;
  readonly mlp: LlamaMLP;

  constructor(config: CausalLMConfig, layerIdx: number, w: Weights) {
    super();
    const norm = (name: string) => loaded(new RMSNorm(config.hiddenSize, { eps: config.normEps }), w.at(name));
    this.input_layernorm = this.addModule('input_layernorm', norm('input_layernorm'));
    this.self_attn = this.addModule('self_attn', new LlamaAttention(config, layerIdx, w.at('self_attn')));
    this.post_attention_layernorm = this.addModule('post_attention_layernorm', norm('post_attention_layernorm'));
    this.mlp = this.addModule('mlp', new LlamaMLP(config, w.at('mlp')));
  }

  forward(x: tf.Tensor3D, rope: RopeTables, ctx: ForwardContext): tf.Tensor3D {
    const a = this.self_attn.forward(this.input_layernorm.forward(x) as tf.Tensor3D, rope, ctx); // [B, T, C]
    x = tf.add(x, a); // [B, T, C]
    const m = this.mlp.forward(this.post_attention_layernorm.forward(x) as tf.Tensor3D, ctx); // [B, T, C]
    return tf.add(x, m); // [B, T, C]
  }
}
