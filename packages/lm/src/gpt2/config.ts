import { LabError } from '@lab/core';
import {
  type CausalLMConfig,
  type HfJson,
  checkCommonConfig,
  fillConfig,
  firstId,
  hfTokenIds,
  num,
} from '../config.js';

/** A GPT-2-style configuration with every field filled; `overrides` win. */
export function gpt2Config(overrides: Partial<CausalLMConfig> = {}): CausalLMConfig {
  const defaults = { maxPositionEmbeddings: 1024, normEps: 1e-5, attentionBias: true, tieWordEmbeddings: true };
  return validateGpt2Config(fillConfig({ architecture: 'gpt2', ...defaults }, overrides));
}

/** The shared checks plus GPT-2's fused qkv: heads tile the hidden width exactly. */
export function validateGpt2Config(config: CausalLMConfig): CausalLMConfig {
  checkCommonConfig(config);
  if (config.headDim * config.numHeads !== config.hiddenSize) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `config.headDim: GPT-2 needs headDim·numHeads = hiddenSize = ${config.hiddenSize}, got ${config.headDim}·${config.numHeads}`,
    );
  }
  return config;
}

/** Reads a `config.json` of model_type gpt2. */
export function gpt2FromHfConfig(json: HfJson): CausalLMConfig {
  const hiddenSize = num(json, 'n_embd');
  const numHeads = num(json, 'n_head');
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
    tieWordEmbeddings: json.tie_word_embeddings !== false,
    slidingWindow: null,
    bosTokenId: firstId(json.bos_token_id),
    eosTokenId: firstId(json.eos_token_id),
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
    activation_function: 'gelu_new',
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: 'float32',
    ...hfTokenIds(config),
  };
}
