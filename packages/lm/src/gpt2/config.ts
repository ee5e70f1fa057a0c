import { LabError } from '@lab/core';
import {
  type CausalLMConfig,
  type HfJson,
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

/** A GPT-2-style configuration with every field filled; `overrides` win. */
export function gpt2Config(overrides: Partial<CausalLMConfig> = {}): CausalLMConfig {
  const defaults = {
    maxPositionEmbeddings: 1024,
    normEps: 1e-5,
    attentionBias: true,
    attentionOutputBias: true,
    mlpBias: true,
    hiddenAct: 'gelu_new' as const,
    tieWordEmbeddings: true,
  };
  return validateGpt2Config(fillConfig({ architecture: 'gpt2', ...defaults }, overrides));
}

/** The shared checks plus GPT-2's fused qkv (heads tile the hidden width exactly), biases everywhere and no RoPE or window. */
export function validateGpt2Config(config: CausalLMConfig): CausalLMConfig {
  checkCommonConfig(config);
  const { attentionBias, attentionOutputBias, mlpBias, ropeScaling, slidingWindow } = config;
  if (!attentionBias || !attentionOutputBias || !mlpBias || ropeScaling !== null || slidingWindow !== null)
    throw new LabError(
      'UNSUPPORTED',
      `config: expected GPT-2 biases on every projection, no ropeScaling and no slidingWindow, got attentionBias ${attentionBias}, attentionOutputBias ${attentionOutputBias}, mlpBias ${mlpBias}, ropeScaling ${JSON.stringify(ropeScaling)}, slidingWindow ${slidingWindow}`,
    );
  if (config.headDim * config.numHeads !== config.hiddenSize) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `config.headDim: GPT-2 needs headDim·numHeads = hiddenSize = ${config.hiddenSize}, got ${config.headDim}·${config.numHeads}`,
    );
  }
  return config;
}

/**
 * Reads a `config.json` of model_type gpt2. Implemented: `activation_function` (any
 * {@link HF_ACTIVATIONS}), `scale_attn_weights`, `scale_attn_by_inverse_layer_idx`,
 * `layer_norm_epsilon`, `n_inner`, `tie_word_embeddings`, `eos_token_id` lists.
 * `reorder_and_upcast_attn` only reorders the scaling and upcasts to float32, which is what every
 * product here computes in already: accepted, numerically the same in float32 (up to rounding).
 * Dropouts (`attn_pdrop`, `embd_pdrop`, `resid_pdrop`) act only in training mode and are not applied
 * (HF `model.eval()`); `summary_*` configure GPT2DoubleHeadsModel's classifier, not the LM.
 * `add_cross_attention: true` (an encoder-decoder block) is refused.
 */
export function gpt2FromHfConfig(json: HfJson): CausalLMConfig {
  const hiddenSize = num(json, 'n_embd');
  const numHeads = num(json, 'n_head');
  refuseUnlessDefault(json, 'add_cross_attention', false, 'gpt2');
  bool(json, 'reorder_and_upcast_attn', false); // type-checked; the same numbers in float32
  return validateGpt2Config({
    architecture: 'gpt2',
    vocabSize: num(json, 'vocab_size'),
    hiddenSize,
    numLayers: num(json, 'n_layer'),
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: num(json, 'n_inner', 4 * hiddenSize),
    maxPositionEmbeddings: num(json, 'n_positions', 1024),
    ropeTheta: 10000,
    ropeScaling: null,
    normEps: num(json, 'layer_norm_epsilon', 1e-5),
    attentionBias: true,
    attentionOutputBias: true,
    mlpBias: true,
    hiddenAct: checkHfActivation(json.activation_function ?? 'gelu_new', 'activation_function', 'gpt2'),
    scaleAttnWeights: bool(json, 'scale_attn_weights', true),
    scaleAttnByInverseLayerIdx: bool(json, 'scale_attn_by_inverse_layer_idx', false),
    tieWordEmbeddings: bool(json, 'tie_word_embeddings', true),
    slidingWindow: null,
    fullAttentionLayers: 0,
    bosTokenId: firstId(json.bos_token_id),
    eosTokenId: eosIds(json),
  });
}

/** Writes a `config.json` object of model_type gpt2. */
export function gpt2ToHfConfig(config: CausalLMConfig): HfJson {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_embd: config.hiddenSize,
    n_layer: config.numLayers,
    n_head: config.numHeads,
    n_inner: config.intermediateSize,
    n_positions: config.maxPositionEmbeddings,
    layer_norm_epsilon: config.normEps,
    activation_function: config.hiddenAct,
    scale_attn_weights: config.scaleAttnWeights,
    scale_attn_by_inverse_layer_idx: config.scaleAttnByInverseLayerIdx,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: 'float32',
    ...hfTokenIds(config),
  };
}
