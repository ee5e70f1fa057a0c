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

/** Decoder-only architecture families of the LM stack (one folder each: `src/llama/`, `src/gpt2/`). */
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
    tieWordEmbeddings: false,
    slidingWindow: null,
    bosTokenId: null,
    eosTokenId: null,
    ...defaults,
    ...overrides,
  };
}

/** The checks every family shares (sizes, head grouping, ε, window, RoPE factor); returns the config. */
export function checkCommonConfig(config: CausalLMConfig): CausalLMConfig {
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
  assertInRange(config.ropeTheta, 'config.ropeTheta', { min: 0, minExclusive: true });
  assertInRange(config.normEps, 'config.normEps', { min: 0, minExclusive: true });
  if (config.slidingWindow !== null)
    assertInRange(config.slidingWindow, 'config.slidingWindow', { min: 1, integer: true });
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

/** `bos_token_id` / `eos_token_id` of a configuration, for `config.json` (absent when null). */
export function hfTokenIds(config: CausalLMConfig): HfJson {
  const ids: HfJson = {};
  if (config.bosTokenId !== null) ids.bos_token_id = config.bosTokenId;
  if (config.eosTokenId !== null) ids.eos_token_id = config.eosTokenId;
  return ids;
}
