import { LabError, assertInRange } from '@lab/core';

/**
 * Rotary-embedding frequency scaling, as in Hugging Face `rope_scaling` (transformers
 * `modeling_rope_utils.py`): position interpolation (`linear`), dynamic NTK (`dynamic`), YaRN and
 * Llama 3.1 (`llama3`).
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'dynamic'; factor: number; originalMaxPositionEmbeddings?: number }
  | {
      type: 'yarn';
      factor: number;
      originalMaxPositionEmbeddings?: number;
      betaFast?: number;
      betaSlow?: number;
      /**
       * Overrides the cos/sin scale `0.1·ln(factor) + 1` when given. Recent transformers releases derive
       * that default from `max_position_embeddings / original_max_position_embeddings` instead of
       * `factor` when both are present; set this explicitly where the two ratios differ.
       */
      attentionFactor?: number;
      mscale?: number;
      mscaleAllDim?: number;
      /** Round the correction range to integers (HF default true). */
      truncate?: boolean;
    }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

/** Decoder-only architectures of the LM stack. */
export type LMArchitecture = 'llama' | 'gpt2';

/**
 * Configuration of a {@link CausalLM}. One shape covers the LLaMA family (LLaMA, Mistral, Qwen2:
 * RMSNorm, RoPE, GQA, SwiGLU) and GPT-2 (learned positions, LayerNorm, GELU-tanh MLP, fused qkv).
 */
export interface CausalLMConfig {
  architecture: LMArchitecture;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads (grouped-query attention); equals numHeads for plain multi-head attention. */
  numKvHeads: number;
  /** Per-head width; hiddenSize / numHeads unless the checkpoint says otherwise. */
  headDim: number;
  /** MLP width (SwiGLU gate/up width for LLaMA, c_fc width for GPT-2). */
  intermediateSize: number;
  /** Longest position the model was trained for (GPT-2: rows of the position table). */
  maxPositionEmbeddings: number;
  /** RoPE base θ (LLaMA only). */
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** RMSNorm ε (LLaMA) or LayerNorm ε (GPT-2). */
  normEps: number;
  /** q/k/v projections carry a bias (Qwen2; always true for GPT-2). */
  attentionBias: boolean;
  /** The output head shares the token-embedding matrix. */
  tieWordEmbeddings: boolean;
  /** Causal sliding-window attention over the last `slidingWindow` tokens (Mistral); null = full causal. */
  slidingWindow: number | null;
  bosTokenId: number | null;
  eosTokenId: number | null;
}

/** A LLaMA-style configuration with every field filled; `overrides` win. */
export function llamaConfig(overrides: Partial<CausalLMConfig> = {}): CausalLMConfig {
  const hiddenSize = overrides.hiddenSize ?? 64;
  const numHeads = overrides.numHeads ?? 4;
  return validateConfig({
    architecture: 'llama',
    vocabSize: 256,
    hiddenSize,
    numLayers: 2,
    numHeads,
    numKvHeads: overrides.numKvHeads ?? numHeads,
    headDim: Math.floor(hiddenSize / numHeads),
    intermediateSize: 4 * hiddenSize,
    maxPositionEmbeddings: 4096,
    ropeTheta: 10000,
    ropeScaling: null,
    normEps: 1e-6,
    attentionBias: false,
    tieWordEmbeddings: false,
    slidingWindow: null,
    bosTokenId: null,
    eosTokenId: null,
    ...overrides,
  });
}

/** A GPT-2-style configuration with every field filled; `overrides` win. */
export function gpt2Config(overrides: Partial<CausalLMConfig> = {}): CausalLMConfig {
  const hiddenSize = overrides.hiddenSize ?? 64;
  const numHeads = overrides.numHeads ?? 4;
  return validateConfig({
    architecture: 'gpt2',
    vocabSize: 256,
    hiddenSize,
    numLayers: 2,
    numHeads,
    numKvHeads: numHeads,
    headDim: Math.floor(hiddenSize / numHeads),
    intermediateSize: 4 * hiddenSize,
    maxPositionEmbeddings: 1024,
    ropeTheta: 10000,
    ropeScaling: null,
    normEps: 1e-5,
    attentionBias: true,
    tieWordEmbeddings: true,
    slidingWindow: null,
    bosTokenId: null,
    eosTokenId: null,
    ...overrides,
  });
}

/** Checks a configuration's sizes and returns it; throws {@link LabError} naming the bad field. */
export function validateConfig(config: CausalLMConfig): CausalLMConfig {
  if (config.architecture !== 'llama' && config.architecture !== 'gpt2') {
    throw new LabError(
      'UNSUPPORTED',
      `config.architecture: expected 'llama' or 'gpt2', got '${String(config.architecture)}'`,
    );
  }
  for (const key of [
    'vocabSize',
    'hiddenSize',
    'numLayers',
    'numHeads',
    'numKvHeads',
    'headDim',
    'intermediateSize',
    'maxPositionEmbeddings',
  ] as const) {
    assertInRange(config[key], `config.${key}`, { min: 1, integer: true });
  }
  if (config.numHeads % config.numKvHeads !== 0) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `config.numKvHeads: expected a divisor of numHeads = ${config.numHeads}, got ${config.numKvHeads}`,
    );
  }
  if (config.architecture === 'llama' && config.headDim % 2 !== 0) {
    throw new LabError('INVALID_ARGUMENT', `config.headDim: RoPE needs an even head width, got ${config.headDim}`);
  }
  if (config.architecture === 'gpt2' && config.headDim * config.numHeads !== config.hiddenSize) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `config.headDim: GPT-2 needs headDim·numHeads = hiddenSize = ${config.hiddenSize}, got ${config.headDim}·${config.numHeads}`,
    );
  }
  assertInRange(config.ropeTheta, 'config.ropeTheta', { min: 0, minExclusive: true });
  assertInRange(config.normEps, 'config.normEps', { min: 0, minExclusive: true });
  if (config.slidingWindow !== null)
    assertInRange(config.slidingWindow, 'config.slidingWindow', { min: 1, integer: true });
  if (config.ropeScaling)
    assertInRange(config.ropeScaling.factor, 'config.ropeScaling.factor', { min: 0, minExclusive: true });
  return config;
}

type Json = Record<string, unknown>;

function num(json: Json, key: string, fallback?: number): number {
  const v = json[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new LabError('MALFORMED_FILE', `config.json: missing required field '${key}'`);
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new LabError('MALFORMED_FILE', `config.json: field '${key}' should be a number, got ${JSON.stringify(v)}`);
  return v;
}

function firstId(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return null;
}

function parseRopeScaling(raw: unknown, maxPos: number): RopeScaling | null {
  if (raw === undefined || raw === null) return null;
  const r = raw as Json;
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

const LLAMA_FAMILY = ['llama', 'mistral', 'qwen2'];

/**
 * Reads a Hugging Face `config.json` object (model_type llama, mistral, qwen2 or gpt2).
 * Throws {@link LabError} `UNSUPPORTED` for any other architecture.
 */
export function parseHfConfig(json: Json): CausalLMConfig {
  const modelType = String(json.model_type ?? '');
  if (modelType === 'gpt2') {
    const hiddenSize = num(json, 'n_embd');
    const numHeads = num(json, 'n_head');
    return validateConfig({
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
  if (!LLAMA_FAMILY.includes(modelType)) {
    throw new LabError(
      'UNSUPPORTED',
      `config.json: model_type '${modelType}' is not supported (expected one of ${[...LLAMA_FAMILY, 'gpt2'].join(', ')})`,
    );
  }
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
  return validateConfig({
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

/** Writes a configuration as a Hugging Face `config.json` object (model_type `llama` or `gpt2`). */
export function toHfConfig(config: CausalLMConfig): Json {
  const ids: Json = {};
  if (config.bosTokenId !== null) ids.bos_token_id = config.bosTokenId;
  if (config.eosTokenId !== null) ids.eos_token_id = config.eosTokenId;
  if (config.architecture === 'gpt2') {
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
      ...ids,
    };
  }
  const s = config.ropeScaling;
  let ropeScaling: Json | null = null;
  if (s) {
    ropeScaling = { rope_type: s.type, factor: s.factor };
    if (s.type === 'dynamic' || s.type === 'yarn') {
      if (s.originalMaxPositionEmbeddings !== undefined)
        ropeScaling.original_max_position_embeddings = s.originalMaxPositionEmbeddings;
    }
    if (s.type === 'yarn') {
      if (s.betaFast !== undefined) ropeScaling.beta_fast = s.betaFast;
      if (s.betaSlow !== undefined) ropeScaling.beta_slow = s.betaSlow;
      if (s.attentionFactor !== undefined) ropeScaling.attention_factor = s.attentionFactor;
      if (s.mscale !== undefined) ropeScaling.mscale = s.mscale;
      if (s.mscaleAllDim !== undefined) ropeScaling.mscale_all_dim = s.mscaleAllDim;
      if (s.truncate !== undefined) ropeScaling.truncate = s.truncate;
    }
    if (s.type === 'llama3') {
      ropeScaling.low_freq_factor = s.lowFreqFactor;
      ropeScaling.high_freq_factor = s.highFreqFactor;
      ropeScaling.original_max_position_embeddings = s.originalMaxPositionEmbeddings;
    }
  }
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
    rope_scaling: ropeScaling,
    rms_norm_eps: config.normEps,
    hidden_act: 'silu',
    attention_bias: config.attentionBias,
    tie_word_embeddings: config.tieWordEmbeddings,
    sliding_window: config.slidingWindow,
    use_sliding_window: config.slidingWindow !== null,
    torch_dtype: 'float32',
    ...ids,
  };
}
