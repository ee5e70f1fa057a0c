import { type Embedding, Module, ModuleList, RMSNorm, type tf } from '@lab/core';
import type { CausalLMConfig } from '../config.js';
import type { ForwardContext } from '../context.js';
import type { DecoderModel } from '../family.js';
import { ropeCosSin, ropeFrequencies } from '../rope.js';
import { type Weights, embedding, loaded } from '../weights.js';
import { LlamaBlock } from './block.js';

/**
 * The LLaMA decoder (HF `LlamaModel`; also Mistral and Qwen2): token embeddings, L pre-RMSNorm blocks
 * with rotary positions, a final RMSNorm. No position table: positions enter as RoPE inside attention.
 */
export class LlamaModel extends Module implements DecoderModel {
  readonly embed_tokens: Embedding | null;
  readonly layers: ModuleList<LlamaBlock>;
  readonly norm: RMSNorm;

  constructor(
    private readonly config: CausalLMConfig,
    w: Weights,
  ) {
    super();
    const { vocabSize: V, hiddenSize: C, numLayers: L, normEps: eps } = config;
    this.embed_tokens = V > 0 ? this.addModule('embed_tokens', embedding(w.at('embed_tokens'), V, C)) : null;
    const blocks = Array.from({ length: L }, (_, l) => new LlamaBlock(config, l, w.at('layers').at(l)));
    this.layers = this.addModule('layers', new ModuleList(blocks));
    this.norm = this.addModule('norm', loaded(new RMSNorm(C, { eps }), w.at('norm')));
  }

  get tokenEmbedding(): Embedding | null {
    return this.embed_tokens;
  }

  get blocks(): ModuleList<LlamaBlock> {
    return this.layers;
  }

  forward(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    const T = x.shape[1];
    const { headDim, ropeTheta, ropeScaling, maxPositionEmbeddings } = this.config;
    // Dynamic NTK scaling depends on the full length, cached positions included.
    const freqs = ropeFrequencies(headDim, ropeTheta, ropeScaling, ctx.past + T, maxPositionEmbeddings);
    const rope = ropeCosSin(
      Int32Array.from({ length: T }, (_, t) => ctx.past + t),
      freqs,
    ); // cos, sin [T, D]
    for (let l = 0; l < this.layers.length; l++) {
      x = ctx.layer(l, () => this.layers.at(l).forward(x, rope, ctx)); // [B, T, C]
    }
    return this.norm.forward(x) as tf.Tensor3D; // [B, T, C]
  }
}
