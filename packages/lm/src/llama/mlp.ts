import { type Linear, Module, activation, tf } from '@lab/core';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import { type Weights, linear } from '../weights.js';

/** SwiGLU feed-forward (Shazeer 2020): down(silu(gate(x)) ⊙ up(x)), width I = intermediate size. */
export class LlamaMLP extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;

  constructor(config: CausalLMConfig, w: Weights) {
    super();
    const { hiddenSize: C, intermediateSize: I } = config;
    this.gate_proj = this.addModule('gate_proj', linear(w.at('gate_proj'), C, I, false));
    this.up_proj = this.addModule('up_proj', linear(w.at('up_proj'), C, I, false));
    this.down_proj = this.addModule('down_proj', linear(w.at('down_proj'), I, C, false));
  }

  forward(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    const gate = ctx.linear(this.gate_proj, x); // [B, T, I]
    const up = ctx.linear(this.up_proj, x); // [B, T, I]
    return ctx.linear(this.down_proj, tf.mul(activation('silu', gate), up)); // [B, T, C]
  }
}
