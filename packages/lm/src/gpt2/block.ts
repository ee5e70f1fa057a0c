import { LayerNorm, Module, tf } from '@lab/core';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import { type Weights, loaded } from '../weights.js';
import { GPT2Attention } from './attention.js';
import { GPT2MLP } from './mlp.js';

/** One pre-LayerNorm GPT-2 block (HF `GPT2Block`): x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
export class GPT2Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln_2: LayerNorm;
  readonly mlp: GPT2MLP;

  constructor(config: CausalLMConfig, layerIdx: number, w: Weights) {
    super();
    const norm = (name: string) => loaded(new LayerNorm(config.hiddenSize, { eps: config.normEps }), w.at(name));
    this.ln_1 = this.addModule('ln_1', norm('ln_1'));
    this.attn = this.addModule('attn', new GPT2Attention(config, layerIdx, w.at('attn')));
    this.ln_2 = this.addModule('ln_2', norm('ln_2'));
    this.mlp = this.addModule('mlp', new GPT2MLP(config, w.at('mlp')));
  }

  forward(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    x = tf.add(x, this.attn.forward(this.ln_1.forward(x) as tf.Tensor3D, ctx)); // [B, T, C]
    return tf.add(x, this.mlp.forward(this.ln_2.forward(x) as tf.Tensor3D, ctx)); // [B, T, C]
  }
}
