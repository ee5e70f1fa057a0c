import { LabError } from '@lab/core';
import {
  type CausalLMConfig,
  type HfJson,
  type RopeScaling,
  bool,
  checkCommonConfig,
  eosIds,
  fillConfig,
  firstId,
  hfTokenIds,
  num,
  refuseUnlessDefault,
} from '../config.js';
import { checkHfActivation } from '../functional.js';

/** A LLaMA-style configuration with every field filled; `overrides` win. */
export function llamaConfig(overrides: Partial<CausalLMConfig> = {}): CausalLMConfig {
  return validateLlamaConfig(fillConfig({ architecture: 'llama' }, overrides));
}

/** The shared checks plus RoPE's even head width and LLaMA's fixed attention scale. */
export function validateLlamaConfig(config: CausalLMConfig): CausalLMConfig {
  checkCommonConfig(config);
  if (!config.scaleAttnWeights || config.scaleAttnByInverseLayerIdx)
    throw new LabError(
      'UNSUPPORTED',
      `config.scaleAttnWeights / scaleAttnByInverseLayerIdx: expected true / false for the LLaMA family (scores · 1/√headDim), got ${config.scaleAttnWeights} / ${config.scaleAttnByInverseLayerIdx}`,
    );
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
      // HF's dynamic NTK compares the length with config.max_position_embeddings (not rope_scaling's).
      return { type: 'dynamic', factor, originalMaxPositionEmbeddings: maxPos };
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
        `config.json: rope_scaling.rope_type: expected default, linear, dynamic, yarn or llama3, got '${type}' (not supported)`,
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

/**
 * Qwen2's per-layer attention from `use_sliding_window`, `sliding_window`, `max_window_layers` and
 * (newer files) `layer_types`: the window and how many leading layers attend fully.
 */
function qwen2Window(json: HfJson, numLayers: number): Pick<CausalLMConfig, 'slidingWindow' | 'fullAttentionLayers'> {
  const full = { slidingWindow: null, fullAttentionLayers: 0 };
  if (!bool(json, 'use_sliding_window', false)) return full;
  if (json.sliding_window === undefined || json.sliding_window === null) return full;
  const window = num(json, 'sliding_window');
  let fullLayers = Math.min(numLayers, num(json, 'max_window_layers', 28));
  if (Array.isArray(json.layer_types)) {
    const types = json.layer_types as unknown[];
    fullLayers = types.findIndex((t) => t !== 'full_attention');
    if (fullLayers < 0) fullLayers = numLayers;
    const ok =
      types.length === numLayers &&
      types.every((t, i) => t === (i < fullLayers ? 'full_attention' : 'sliding_attention'));
    if (!ok)
      throw new LabError(
        'UNSUPPORTED',
        `config.json: layer_types: expected ${numLayers} entries, full_attention layers then sliding_attention layers, got ${JSON.stringify(types)}`,
      );
  }
  return fullLayers >= numLayers ? full : { slidingWindow: window, fullAttentionLayers: fullLayers };
}

/**
 * Reads a `config.json` of model_type llama, mistral or qwen2. Every field that changes the maths is
 * implemented or refused with a {@link LabError} naming it: `hidden_act` (any {@link HF_ACTIVATIONS}),
 * `attention_bias` (LLaMA: q, k, v and o_proj), `mlp_bias` (LLaMA: gate, up, down), `head_dim`,
 * `rope_theta`, `rope_scaling` (linear, dynamic, yarn, llama3; longrope and others refused),
 * `partial_rotary_factor` (1 only: HF's LLaMA code rotates the whole head), `rms_norm_eps`,
 * `tie_word_embeddings`, `sliding_window` (Mistral; Qwen2 with `use_sliding_window`,
 * `max_window_layers`, `layer_types`), `eos_token_id` (a list is kept whole). Qwen2's q/k/v bias and
 * Mistral's bias-free projections are fixed by HF, so a file asking otherwise is refused. Dropout
 * (`attention_dropout`) acts only in training mode and is not applied (HF `model.eval()`);
 * `pretraining_tp` only splits HF's matmuls and is exact here.
 */
export function llamaFromHfConfig(json: HfJson, modelType: string): CausalLMConfig {
  const vocabSize = num(json, 'vocab_size');
  const hiddenSize = num(json, 'hidden_size');
  const numHeads = num(json, 'num_attention_heads');
  const numLayers = num(json, 'num_hidden_layers');
  const maxPos = num(json, 'max_position_embeddings', 4096);
  const hiddenAct = checkHfActivation(json.hidden_act ?? 'silu', 'hidden_act', modelType);
  // transformers ≥ 5 nests rope_theta and the scaling into rope_parameters.
  const ropeParams =
    json.rope_parameters && typeof json.rope_parameters === 'object' ? (json.rope_parameters as HfJson) : null;
  const partial = num(ropeParams ?? json, 'partial_rotary_factor', num(json, 'partial_rotary_factor', 1));
  if (partial !== 1)
    throw new LabError(
      'UNSUPPORTED',
      `config.json: partial_rotary_factor: expected 1 for ${modelType} (its HF attention rotates the whole head), got ${partial}`,
    );
  let bias: Pick<CausalLMConfig, 'attentionBias' | 'attentionOutputBias' | 'mlpBias'>;
  let window: Pick<CausalLMConfig, 'slidingWindow' | 'fullAttentionLayers'> = {
    slidingWindow: null,
    fullAttentionLayers: 0,
  };
  if (modelType === 'qwen2') {
    refuseUnlessDefault(json, 'attention_bias', true, modelType);
    refuseUnlessDefault(json, 'mlp_bias', false, modelType);
    bias = { attentionBias: true, attentionOutputBias: false, mlpBias: false };
    window = qwen2Window(json, numLayers);
  } else if (modelType === 'mistral') {
    refuseUnlessDefault(json, 'attention_bias', false, modelType);
    refuseUnlessDefault(json, 'mlp_bias', false, modelType);
    bias = { attentionBias: false, attentionOutputBias: false, mlpBias: false };
    if (json.sliding_window !== undefined && json.sliding_window !== null)
      window = { slidingWindow: num(json, 'sliding_window'), fullAttentionLayers: 0 };
  } else {
    refuseUnlessDefault(json, 'sliding_window', null, modelType);
    const attentionBias = bool(json, 'attention_bias', false);
    bias = { attentionBias, attentionOutputBias: attentionBias, mlpBias: bool(json, 'mlp_bias', false) };
  }
  return validateLlamaConfig({
    architecture: 'llama',
    vocabSize,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads: num(json, 'num_key_value_heads', numHeads),
    headDim: num(json, 'head_dim', Math.floor(hiddenSize / numHeads)),
    intermediateSize: num(json, 'intermediate_size'),
    maxPositionEmbeddings: maxPos,
    ropeTheta: num(ropeParams ?? json, 'rope_theta', num(json, 'rope_theta', 10000)),
    ropeScaling: parseRopeScaling(ropeParams ?? json.rope_scaling, maxPos),
    normEps: num(json, 'rms_norm_eps', 1e-6),
    ...bias,
    hiddenAct,
    scaleAttnWeights: true,
    scaleAttnByInverseLayerIdx: false,
    tieWordEmbeddings: bool(json, 'tie_word_embeddings', false),
    ...window,
    bosTokenId: firstId(json.bos_token_id),
    eosTokenId: eosIds(json),
  });
}

/** The HF model_type that holds a LLaMA-family configuration, or a {@link LabError} naming what none can. */
function llamaModelType(c: CausalLMConfig): 'llama' | 'mistral' | 'qwen2' {
  const sliding = c.slidingWindow !== null;
  if (c.attentionBias && !c.attentionOutputBias && !c.mlpBias) return 'qwen2';
  if (!c.attentionBias && !c.attentionOutputBias && !c.mlpBias && sliding && c.fullAttentionLayers === 0)
    return 'mistral';
  if (c.attentionBias === c.attentionOutputBias && !sliding) return 'llama';
  throw new LabError(
    'UNSUPPORTED',
    `toHfConfig: config: expected a combination a Hugging Face model type holds (llama: q/k/v/o bias together, no window; ` +
      `mistral: no bias, window on every layer; qwen2: q/k/v bias only), got attentionBias ${c.attentionBias}, ` +
      `attentionOutputBias ${c.attentionOutputBias}, mlpBias ${c.mlpBias}, slidingWindow ${c.slidingWindow}, fullAttentionLayers ${c.fullAttentionLayers}`,
  );
}

/** Writes a `config.json` object: model_type qwen2 (q/k/v bias only), mistral (sliding window) or llama. */
export function llamaToHfConfig(config: CausalLMConfig): HfJson {
  const modelType = llamaModelType(config);
  const family: HfJson =
    modelType === 'qwen2'
      ? {
          use_sliding_window: config.slidingWindow !== null,
          sliding_window: config.slidingWindow,
          max_window_layers: config.slidingWindow !== null ? config.fullAttentionLayers : config.numLayers,
        }
      : modelType === 'mistral'
        ? { sliding_window: config.slidingWindow }
        : { attention_bias: config.attentionBias, mlp_bias: config.mlpBias };
  return {
    architectures: [{ qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM', llama: 'LlamaForCausalLM' }[modelType]],
    model_type: modelType,
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
    hidden_act: config.hiddenAct,
    ...family,
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: 'float32',
    ...hfTokenIds(config),
  };
}
