// @lab/lm public API: causal LMs (LLaMA family, GPT-2), Hugging Face folders, tokenizers, scoring and generation
// on @lab/core. Every public name is listed here explicitly.

// ── LM stack (owner: lm) ────────────────────────────────────────────────────────────────
export { llamaConfig, gpt2Config, validateConfig, parseHfConfig, toHfConfig } from './config.js';
export type { CausalLMConfig, LMArchitecture, RopeScaling } from './config.js';
export { ropeFrequencies, ropeCosSin, rotateHalf, applyRope } from './rope.js';
export type { RopeFrequencies } from './rope.js';
export { causalAttention } from './attention.js';
export type { CausalAttentionOptions, CausalAttentionOutput } from './attention.js';
export { CausalLM, KVCache, rmsNorm, layerNorm, silu, geluNew, expectedParameterShapes } from './model.js';
export type {
  LinearParams,
  LinearAdapter,
  CausalLMForwardInput,
  CausalLMForwardOutput,
  RandomInitOptions,
} from './model.js';
export { targetNll, tokenNll, nextTokenNll } from './nll.js';
export type { TokenNllOptions } from './nll.js';
export { generate, sampleToken } from './generate.js';
export type { GenerateOptions } from './generate.js';
export { loadCausalLM, saveCausalLM } from './hf.js';
export type { SaveCausalLMOptions } from './hf.js';
export { ByteTokenizer, HfTokenizer, decodeDiffOffsets, withDecodeDiffOffsets } from './tokenizer.js';
export type {
  Tokenizer,
  OffsetTokenizer,
  Offset,
  EncodeOptions,
  DecodeOptions,
  ByteTokenizerOptions,
} from './tokenizer.js';
export { tfjsScorer, precomputedScorer, scorerKey } from './scorer.js';
export type { Scorer } from './scorer.js';
