import { type Linear, Module, type tf } from '@lab/core';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import { type HfActivation, hfActivation } from '../functional.js';
import { type Weights, linear } from '../weights.js';

/** GPT-2 feed-forward: c_proj(act(c_fc(x))), act = `activation_function` (gelu_new), width I = intermediate size (4C by default). */
export class GPT2MLP extends Module {
  readonly c_fc: Linear;
  readonly c_proj: Linear;
  private readonly act: HfActivation;

  constructor(config: CausalLMConfig, w: Weights) {
    super();
    const { hiddenSize: C, intermediateSize: I } = config;
    this.c_fc = this.addModule('c_fc', linear(w.at('c_fc'), C, I, true));
    this.c_proj = this.addModule('c_proj', linear(w.at('c_proj'), I, C, true));
    this.act = config.hiddenAct;
  }

  forward(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    const h = hfActivation(this.act, ctx.linear(this.c_fc, x)); // [B, T, I]
    return ctx.linear(this.c_proj, h); // [B, T, C]
  }
}
