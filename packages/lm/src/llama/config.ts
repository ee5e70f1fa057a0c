import { LabError } from '@lab/core';
import {
  type CausalLMConfig,
  type HfJson,
  type RopeScaling,
  checkCommonConfig,
  fillConfig,
  firstId,
  hfTokenIds,
  num,
} from '../config.js';

/** A LLaMA-style configuration with every field filled; `overrides` win. */
export function llamaConfig(overrides: Partial<CausalLMConfig> = {}): CausalLMConfig {
  return validateLlamaConfig(fillConfig({ architecture: 'llama' }, overrides));
}

/** The shared checks plus RoPE's even head width. */
export function validateLlamaConfig(config: CausalLMConfig): CausalLMConfig {
  checkCommonConfig(config);
  if (config.headDim % 2 !== 0) {
    throw new LabError('INVALID_ARGUMENT', `config.headDim: RoPE needs an even head width, got ${config.headDim}`);
  }
  return config;
}

function parseRopeScaling(raw: unknown, maxPos: number): RopeScaling | null {
  if (raw === undefined || raw === null) return null;
  const r = raw as HfJson;
  const type = String(r.rope_type ?? r.type ?? 'default');
  const factor = typeof r.factor === 'number' ? r.factor : 1;
  const original =
    typeof r.original_max_position_embeddings === 'number' ? r.original_max_position_embeddings : undefined;
  switch (type) {
    case 'default':
      return null;
    case 'linear':
      return { type: 'linear', factor };
    case 'dynamic':
      return { type: 'dynamic', factor, originalMaxPositionEmbeddings: original ?? maxPos };
    case 'yarn': {
      const out: RopeScaling = { type: 'yarn', factor, originalMaxPositionEmbeddings: original ?? maxPos };
      if (typeof r.beta_fast === 'number') out.betaFast = r.beta_fast;
      if (typeof r.beta_slow === 'number') out.betaSlow = r.beta_slow;
      if (typeof r.attention_factor === 'number') out.attentionFactor = r.attention_factor;
      if (typeof r.mscale === 'number') out.mscale = r.mscale;
      if (typeof r.mscale_all_dim === 'number') out.mscaleAllDim = r.mscale_all_dim;
      if (typeof r.truncate === 'boolean') out.truncate = r.truncate;
      return out;
    }
    case 'llama3':
      return {
        type: 'llama3',
        factor,
        lowFreqFactor: num(r, 'low_freq_factor'),
        highFreqFactor: num(r, 'high_freq_factor'),
        originalMaxPositionEmbeddings: num(r, 'original_max_position_embeddings'),
      };
    default:
      throw new LabError(
        'UNSUPPORTED',
        `config.json: rope_scaling type '${type}' is not supported (expected linear, dynamic, yarn or llama3)`,
      );
  }
}

function ropeScalingJson(s: RopeScaling | null): HfJson | null {
  if (!s) return null;
  const out: HfJson = { rope_type: s.type, factor: s.factor };
  if (s.type === 'dynamic' || s.type === 'yarn') {
    if (s.originalMaxPositionEmbeddings !== undefined)
      out.original_max_position_embeddings = s.originalMaxPositionEmbeddings;
  }
  if (s.type === 'yarn') {
    if (s.betaFast !== undefined) out.beta_fast = s.betaFast;
    if (s.betaSlow !== undefined) out.beta_slow = s.betaSlow;
    if (s.attentionFactor !== undefined) out.attention_factor = s.attentionFactor;
    if (s.mscale !== undefined) out.mscale = s.mscale;
    if (s.mscaleAllDim !== undefined) out.mscale_all_dim = s.mscaleAllDim;
    if (s.truncate !== undefined) out.truncate = s.truncate;
  }
  if (s.type === 'llama3') {
    out.low_freq_factor = s.lowFreqFactor;
    out.high_freq_factor = s.highFreqFactor;
    out.original_max_position_embeddings = s.originalMaxPositionEmbeddings;
  }
  return out;
}

/** Reads a `config.json` of model_type llama, mistral or qwen2. */
export function llamaFromHfConfig(json: HfJson, modelType: string): CausalLMConfig {
  const hiddenSize = num(json, 'hidden_size');
  const numHeads = num(json, 'num_attention_heads');
  const maxPos = num(json, 'max_position_embeddings', 4096);
  const act = String(json.hidden_act ?? 'silu');
  if (act !== 'silu')
    throw new LabError(
      'UNSUPPORTED',
      `config.json: hidden_act '${act}' is not supported for ${modelType} (expected 'silu')`,
    );
  const useSliding = modelType === 'qwen2' ? json.use_sliding_window === true : true;
  const sw = typeof json.sliding_window === 'number' && useSliding ? json.sliding_window : null;
  return validateLlamaConfig({
    architecture: 'llama',
    vocabSize: num(json, 'vocab_size'),
    hiddenSize,
    numLayers: num(json, 'num_hidden_layers'),
    numHeads,
    numKvHeads: num(json, 'num_key_value_heads', numHeads),
    headDim: num(json, 'head_dim', hiddenSize / numHeads),
    intermediateSize: num(json, 'intermediate_size'),
    maxPositionEmbeddings: maxPos,
    ropeTheta: num(json, 'rope_theta', 10000),
    ropeScaling: parseRopeScaling(json.rope_scaling, maxPos),
    normEps: num(json, 'rms_norm_eps', 1e-6),
    attentionBias: modelType === 'qwen2' ? true : json.attention_bias === true,
    tieWordEmbeddings: json.tie_word_embeddings === true,
    slidingWindow: sw,
    bosTokenId: firstId(json.bos_token_id),
    eosTokenId: firstId(json.eos_token_id),
  });
}

/** Writes a `config.json` object: model_type qwen2 with q/k/v bias, mistral with a sliding window, else llama. */
export function llamaToHfConfig(config: CausalLMConfig): HfJson {
  return {
    architectures: [config.attentionBias ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: config.attentionBias ? 'qwen2' : config.slidingWindow !== null ? 'mistral' : 'llama',
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: config.maxPositionEmbeddings,
    rope_theta: config.ropeTheta,
    rope_scaling: ropeScalingJson(config.ropeScaling),
    rms_norm_eps: config.normEps,
    hidden_act: 'silu',
    attention_bias: config.attentionBias,
    tie_word_embeddings: config.tieWordEmbeddings,
    sliding_window: config.slidingWindow,
    use_sliding_window: config.slidingWindow !== null,
    torch_dtype: 'float32',
    ...hfTokenIds(config),
  };
}
