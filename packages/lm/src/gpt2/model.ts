import { type Embedding, LabError, LayerNorm, Module, ModuleList, tf } from '@lab/core';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import type { DecoderModel } from '../family.js';
import { type Weights, embedding, loaded } from '../weights.js';
import { GPT2Block } from './block.js';

/**
 * The GPT-2 decoder (HF `GPT2Model`): token embeddings plus a learned position table `wpe`, L
 * pre-LayerNorm blocks, a final LayerNorm `ln_f`.
 */
export class GPT2Model extends Module implements DecoderModel {
  readonly wte: Embedding | null;
  readonly wpe: Embedding;
  readonly h: ModuleList<GPT2Block>;
  readonly ln_f: LayerNorm;

  constructor(
    private readonly config: CausalLMConfig,
    w: Weights,
  ) {
    super();
    const { vocabSize: V, hiddenSize: C, numLayers: L, maxPositionEmbeddings: P, normEps: eps } = config;
    this.wte = V > 0 ? this.addModule('wte', embedding(w.at('wte'), V, C)) : null;
    this.wpe = this.addModule('wpe', embedding(w.at('wpe'), P, C));
    this.h = this.addModule(
      'h',
      new ModuleList(Array.from({ length: L }, (_, l) => new GPT2Block(config, l, w.at('h').at(l)))),
    );
    this.ln_f = this.addModule('ln_f', loaded(new LayerNorm(C, { eps }), w.at('ln_f')));
  }

  get tokenEmbedding(): Embedding | null {
    return this.wte;
  }

  get blocks(): ModuleList<GPT2Block> {
    return this.h;
  }

  forward(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    const [, T, C] = x.shape;
    const P = this.config.maxPositionEmbeddings;
    if (ctx.past + T > P) throw new LabError('OUT_OF_RANGE', `forward: GPT-2 has ${P} positions, got ${ctx.past + T}`);
    // slice (not gather) of the position table: it has a gradient on every backend.
    x = tf.add(x, tf.slice(this.wpe.weight, [ctx.past, 0], [T, C])); // [B, T, C]
    for (let l = 0; l < this.h.length; l++) {
      x = ctx.layer(l, () => this.h.at(l).forward(x, ctx)); // [B, T, C]
    }
    return this.ln_f.forward(x) as tf.Tensor3D; // [B, T, C]
  }
}
