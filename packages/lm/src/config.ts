import { LabError, assertInRange } from '@lab/core';
import { HF_ACTIVATIONS, type HfActivation } from './functional.js';

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

/** Decoder-only architecture families of the LM stack (one folder each: `src/llama/`, `src/gpt2/`). */
export type LMArchitecture = 'llama' | 'gpt2';

/**
 * Configuration of a {@link CausalLM}. One shape covers the LLaMA family (LLaMA, Mistral, Qwen2:
 * RMSNorm, RoPE, GQA, SwiGLU) and GPT-2 (learned positions, LayerNorm, GELU-tanh MLP, fused qkv).
 */
export interface CausalLMConfig {
  architecture: LMArchitecture;
  /** Token vocabulary; 0 = no token embedding and no head: inputs come as `inputEmbeds`, outputs as hidden states. */
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
  /** q/k/v projections carry a bias (Qwen2, LLaMA `attention_bias`; always true for GPT-2). */
  attentionBias: boolean;
  /** The attention output projection carries a bias (LLaMA `attention_bias` biases q, k, v and o_proj; always true for GPT-2). */
  attentionOutputBias: boolean;
  /** The MLP projections carry biases (LLaMA `mlp_bias`: gate/up/down; always true for GPT-2). */
  mlpBias: boolean;
  /** MLP activation by Hugging Face name (`hidden_act` / `activation_function`): LLaMA `silu`, GPT-2 `gelu_new`. */
  hiddenAct: HfActivation;
  /** Attention scores are divided by √headDim (GPT-2 `scale_attn_weights`; always true for LLaMA). */
  scaleAttnWeights: boolean;
  /** Layer i's attention scores are also divided by i + 1 (GPT-2 `scale_attn_by_inverse_layer_idx`). */
  scaleAttnByInverseLayerIdx: boolean;
  /** The output head shares the token-embedding matrix. */
  tieWordEmbeddings: boolean;
  /** Causal sliding-window attention over the last `slidingWindow` tokens (Mistral); null = full causal. */
  slidingWindow: number | null;
  /** The first `fullAttentionLayers` layers attend fully, the rest use `slidingWindow` (Qwen2 `max_window_layers`); 0 = every layer slides. */
  fullAttentionLayers: number;
  bosTokenId: number | null;
  /** End-of-sequence token, or several (HF `eos_token_id` may be a list: generation stops at any). */
  eosTokenId: number | readonly number[] | null;
}

/**
 * A configuration with every field filled: the shared defaults (64 wide, 4 heads, 2 layers, 256 tokens),
 * then the family's `defaults`, then `overrides`. Head width and MLP width follow the final hidden size.
 */
export function fillConfig(
  defaults: Partial<CausalLMConfig> & Pick<CausalLMConfig, 'architecture'>,
  overrides: Partial<CausalLMConfig>,
): CausalLMConfig {
  const hiddenSize = overrides.hiddenSize ?? 64;
  const numHeads = overrides.numHeads ?? 4;
  return {
    vocabSize: 256,
    hiddenSize,
    numLayers: 2,
    numHeads,
    numKvHeads: numHeads,
    headDim: Math.floor(hiddenSize / numHeads),
    intermediateSize: 4 * hiddenSize,
    maxPositionEmbeddings: 4096,
    ropeTheta: 10000,
    ropeScaling: null,
    normEps: 1e-6,
    attentionBias: false,
    attentionOutputBias: false,
    mlpBias: false,
    hiddenAct: 'silu',
    scaleAttnWeights: true,
    scaleAttnByInverseLayerIdx: false,
    tieWordEmbeddings: false,
    slidingWindow: null,
    fullAttentionLayers: 0,
    bosTokenId: null,
    eosTokenId: null,
    ...defaults,
    ...overrides,
  };
}

/** The checks every family shares (sizes, head grouping, ε, window, RoPE factor); returns the config. */
export function checkCommonConfig(config: CausalLMConfig): CausalLMConfig {
  // vocabSize 0: no token embedding and no head (continuous inputs through inputEmbeds only).
  assertInRange(config.vocabSize, 'config.vocabSize', { min: 0, integer: true });
  for (const key of [
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
  assertInRange(config.ropeTheta, 'config.ropeTheta', { min: 0, minExclusive: true });
  assertInRange(config.normEps, 'config.normEps', { min: 0, minExclusive: true });
  if (config.slidingWindow !== null)
    assertInRange(config.slidingWindow, 'config.slidingWindow', { min: 1, integer: true });
  assertInRange(config.fullAttentionLayers, 'config.fullAttentionLayers', { min: 0, integer: true });
  if (config.fullAttentionLayers > 0 && config.slidingWindow === null)
    throw new LabError(
      'INVALID_ARGUMENT',
      `config.fullAttentionLayers: expected 0 without a slidingWindow, got ${config.fullAttentionLayers}`,
    );
  if (!(HF_ACTIVATIONS as readonly string[]).includes(config.hiddenAct))
    throw new LabError(
      'UNSUPPORTED',
      `config.hiddenAct: expected one of ${HF_ACTIVATIONS.join(', ')}, got '${String(config.hiddenAct)}'`,
    );
  for (const id of eosTokenIds(config))
    assertInRange(id, 'config.eosTokenId', { min: 0, max: config.vocabSize - 1, integer: true });
  if (config.ropeScaling)
    assertInRange(config.ropeScaling.factor, 'config.ropeScaling.factor', { min: 0, minExclusive: true });
  return config;
}

/** A parsed Hugging Face `config.json`. */
export type HfJson = Record<string, unknown>;

/** A numeric field of `config.json`; without a fallback it is required. */
export function num(json: HfJson, key: string, fallback?: number): number {
  const v = json[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new LabError('MALFORMED_FILE', `config.json: missing required field '${key}'`);
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new LabError('MALFORMED_FILE', `config.json: field '${key}' should be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** A token id field of `config.json` (a number, or the first of a list). */
export function firstId(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return null;
}

/** `eos_token_id` of `config.json`: a number, a list of numbers (kept whole) or absent. */
export function eosIds(json: HfJson): number | number[] | null {
  const v = json.eos_token_id;
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number'))
    return v.length === 1 ? (v[0] as number) : (v as number[]);
  throw new LabError(
    'MALFORMED_FILE',
    `config.json: eos_token_id: expected a token id or a list of ids, got ${JSON.stringify(v)}`,
  );
}

/** The end-of-sequence ids of a configuration as a list (empty when none). */
export function eosTokenIds(config: Pick<CausalLMConfig, 'eosTokenId'>): number[] {
  const e = config.eosTokenId;
  return e === null ? [] : typeof e === 'number' ? [e] : [...e];
}

/**
 * Refuses a `config.json` field this model type's Hugging Face code hard-codes when the file asks for
 * another value (e.g. `mlp_bias: true` for qwen2, whose MLP has no bias), instead of silently ignoring it.
 */
export function refuseUnlessDefault(json: HfJson, field: string, fixed: unknown, modelType: string): void {
  const v = json[field];
  if (v === undefined || v === null || v === fixed) return;
  throw new LabError(
    'UNSUPPORTED',
    `config.json: ${field}: expected ${JSON.stringify(fixed)} (Hugging Face ${modelType} fixes it), got ${JSON.stringify(v)}`,
  );
}

/** A boolean field of `config.json` with its default. */
export function bool(json: HfJson, key: string, fallback: boolean): boolean {
  const v = json[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean')
    throw new LabError('MALFORMED_FILE', `config.json: ${key}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** `bos_token_id` / `eos_token_id` of a configuration, for `config.json` (absent when null). */
export function hfTokenIds(config: CausalLMConfig): HfJson {
  const ids: HfJson = {};
  if (config.bosTokenId !== null) ids.bos_token_id = config.bosTokenId;
  if (config.eosTokenId !== null)
    ids.eos_token_id = typeof config.eosTokenId === 'number' ? config.eosTokenId : [...config.eosTokenId];
  return ids;
}
