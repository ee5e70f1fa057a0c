import { type Linear, Module, tf } from '@lab/core';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import { type HfActivation, hfActivation } from '../functional.js';
import { type Weights, linear } from '../weights.js';

/**
 * Gated feed-forward (SwiGLU, Shazeer 2020): down(act(gate(x)) ⊙ up(x)), act = `hidden_act` (silu),
 * width I = intermediate size; gate/up/down carry biases with `mlp_bias`.
 */
export class LlamaMLP extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  private readonly act: HfActivation;

  constructor(config: CausalLMConfig, w: Weights) {
    super();
    const { hiddenSize: C, intermediateSize: I, mlpBias } = config;
    this.gate_proj = this.addModule('gate_proj', linear(w.at('gate_proj'), C, I, mlpBias));
    this.up_proj = this.addModule('up_proj', linear(w.at('up_proj'), C, I, mlpBias));
    this.down_proj = this.addModule('down_proj', linear(w.at('down_proj'), I, C, mlpBias));
    this.act = config.hiddenAct;
  }

  forward(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    const gate = ctx.linear(this.gate_proj, x); // [B, T, I]
    const up = ctx.linear(this.up_proj, x); // [B, T, I]
    return ctx.linear(this.down_proj, tf.mul(hfActivation(this.act, gate), up)); // [B, T, C]
  }
}
