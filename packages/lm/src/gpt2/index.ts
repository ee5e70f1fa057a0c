import type { CausalLMConfig } from '../config.js';
import type { Family } from '../family.js';
import { gpt2FromHfConfig, gpt2ToHfConfig, validateGpt2Config } from './config.js';
import { GPT2Model } from './model.js';

/** Parameter names and shapes of a GPT-2 checkpoint (Conv1D weights are `[in, out]` already), in file order. */
function gpt2ParameterShapes(config: CausalLMConfig): [string, number[]][] {
  const { hiddenSize: C, intermediateSize: I, vocabSize: V, maxPositionEmbeddings: P } = config;
  const out: [string, number[]][] = V > 0 ? [['transformer.wte.weight', [V, C]]] : [];
  out.push(['transformer.wpe.weight', [P, C]]);
  for (let l = 0; l < config.numLayers; l++) {
    const pre = `transformer.h.${l}`;
    out.push([`${pre}.ln_1.weight`, [C]], [`${pre}.ln_1.bias`, [C]]);
    out.push([`${pre}.attn.c_attn.weight`, [C, 3 * C]], [`${pre}.attn.c_attn.bias`, [3 * C]]);
    out.push([`${pre}.attn.c_proj.weight`, [C, C]], [`${pre}.attn.c_proj.bias`, [C]]);
    out.push([`${pre}.ln_2.weight`, [C]], [`${pre}.ln_2.bias`, [C]]);
    out.push([`${pre}.mlp.c_fc.weight`, [C, I]], [`${pre}.mlp.c_fc.bias`, [I]]);
    out.push([`${pre}.mlp.c_proj.weight`, [I, C]], [`${pre}.mlp.c_proj.bias`, [C]]);
  }
  out.push(['transformer.ln_f.weight', [C]], ['transformer.ln_f.bias', [C]]);
  if (!config.tieWordEmbeddings && V > 0) out.push(['lm_head.weight', [C, V]]);
  return out;
}

/** GPT-2 (model_type gpt2). */
export const gpt2Family: Family = {
  architecture: 'gpt2',
  modelTypes: ['gpt2'],
  baseModelPrefix: 'transformer',
  validate: validateGpt2Config,
  fromHfConfig: gpt2FromHfConfig,
  toHfConfig: gpt2ToHfConfig,
  parameterShapes: gpt2ParameterShapes,
  // Conv1D weights are stored [in, out] like ours; only an untied nn.Linear head is [out, in].
  transposedInCheckpoint: (name) => name === 'lm_head.weight',
  // Hub files often omit the `transformer.` prefix.
  canonicalName: (name) =>
    name.startsWith('transformer.') || name === 'lm_head.weight' ? name : `transformer.${name}`,
  initialValue: (name, config, initStd) => {
    if (/ln_(\d+|f)\.weight$/.test(name)) return { fill: 1 };
    if (name.endsWith('.bias')) return { fill: 0 };
    // GPT-2 paper: residual projections scaled by 1/√(2L) at initialisation.
    return { std: /c_proj\.weight$/.test(name) ? initStd / Math.sqrt(2 * config.numLayers) : initStd };
  },
  create: (config, weights) => new GPT2Model(config, weights),
};
