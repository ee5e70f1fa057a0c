import type { CausalLMConfig } from '../config.js';
import type { Family } from '../family.js';
import { llamaFromHfConfig, llamaToHfConfig, validateLlamaConfig } from './config.js';
import { LlamaModel } from './model.js';

/** Parameter names and shapes of a LLaMA-family checkpoint (linear weights `[in, out]`), in file order. */
function llamaParameterShapes(config: CausalLMConfig): [string, number[]][] {
  const { hiddenSize: C, numHeads: H, numKvHeads: Hkv, headDim: D, intermediateSize: I, vocabSize: V } = config;
  const out: [string, number[]][] = V > 0 ? [['model.embed_tokens.weight', [V, C]]] : [];
  for (let l = 0; l < config.numLayers; l++) {
    const pre = `model.layers.${l}`;
    out.push([`${pre}.input_layernorm.weight`, [C]]);
    out.push([`${pre}.self_attn.q_proj.weight`, [C, H * D]]);
    out.push([`${pre}.self_attn.k_proj.weight`, [C, Hkv * D]]);
    out.push([`${pre}.self_attn.v_proj.weight`, [C, Hkv * D]]);
    if (config.attentionBias) {
      out.push([`${pre}.self_attn.q_proj.bias`, [H * D]]);
      out.push([`${pre}.self_attn.k_proj.bias`, [Hkv * D]]);
      out.push([`${pre}.self_attn.v_proj.bias`, [Hkv * D]]);
    }
    out.push([`${pre}.self_attn.o_proj.weight`, [H * D, C]]);
    if (config.attentionOutputBias) out.push([`${pre}.self_attn.o_proj.bias`, [C]]);
    out.push([`${pre}.post_attention_layernorm.weight`, [C]]);
    out.push([`${pre}.mlp.gate_proj.weight`, [C, I]]);
    out.push([`${pre}.mlp.up_proj.weight`, [C, I]]);
    out.push([`${pre}.mlp.down_proj.weight`, [I, C]]);
    if (config.mlpBias) {
      out.push([`${pre}.mlp.gate_proj.bias`, [I]]);
      out.push([`${pre}.mlp.up_proj.bias`, [I]]);
      out.push([`${pre}.mlp.down_proj.bias`, [C]]);
    }
  }
  out.push(['model.norm.weight', [C]]);
  if (!config.tieWordEmbeddings && V > 0) out.push(['lm_head.weight', [C, V]]);
  return out;
}

/** The LLaMA family: LLaMA, Mistral (sliding window) and Qwen2 (q/k/v bias) checkpoints. */
export const llamaFamily: Family = {
  architecture: 'llama',
  modelTypes: ['llama', 'mistral', 'qwen2'],
  baseModelPrefix: 'model',
  validate: validateLlamaConfig,
  fromHfConfig: llamaFromHfConfig,
  toHfConfig: llamaToHfConfig,
  parameterShapes: llamaParameterShapes,
  // nn.Linear stores [out, in].
  transposedInCheckpoint: (name) => name === 'lm_head.weight' || /_proj\.weight$/.test(name),
  canonicalName: (name) => name,
  initialValue: (name, _config, initStd) =>
    /norm\.weight$/.test(name) ? { fill: 1 } : name.endsWith('.bias') ? { fill: 0 } : { std: initStd },
  create: (config, weights) => new LlamaModel(config, weights),
};
