// @lab/lm public API: causal LMs (LLaMA family, GPT-2), Hugging Face folders, tokenizers, scoring and generation
// on @lab/core. Every public name is listed here explicitly.

// ── LM stack (owner: lm) ────────────────────────────────────────────────────────────────
export { llamaConfig } from './llama/config.js';
export { gpt2Config } from './gpt2/config.js';
export { validateConfig, parseHfConfig, toHfConfig, expectedParameterShapes } from './families.js';
export type { CausalLMConfig, LMArchitecture, RopeScaling } from './config.js';
export { ropeFrequencies, ropeCosSin, rotateHalf, applyRope } from './rope.js';
export type { RopeFrequencies } from './rope.js';
export { causalAttention } from './attention.js';
export type { CausalAttentionOptions, CausalAttentionOutput } from './attention.js';
export { CausalLM } from './causal-lm.js';
export type { LinearParams, CausalLMForwardInput, CausalLMForwardOutput, RandomInitOptions } from './causal-lm.js';
export type { LinearAdapter } from './context.js';
export { KVCache } from './kv-cache.js';
export { rmsNorm, layerNorm, silu, geluNew, hfActivation, HF_ACTIVATIONS } from './functional.js';
export type { HfActivation } from './functional.js';
export { targetNll, tokenNll, nextTokenNll, maskedNll } from './nll.js';
export type { TokenNllOptions, MaskedNllInput, MaskedNllOptions } from './nll.js';
export { generate, generateGreedyBatch, sampleToken } from './generate.js';
export type { GenerateOptions, GenerateGreedyBatchOptions } from './generate.js';
export { loadCausalLM, saveCausalLM, KNOWN_CHECKPOINT_BUFFERS } from './hf.js';
export { resolveHfModelDir, hfHubCacheDir, isHfRepoId } from './hub.js';
export type { ResolveHfModelOptions } from './hub.js';
export type { SaveCausalLMOptions, LoadCausalLMOptions } from './hf.js';
export {
  ByteTokenizer,
  HfTokenizer,
  IdentityTokenizer,
  decodeDiffOffsets,
  withDecodeDiffOffsets,
} from './tokenizer.js';
export type {
  Tokenizer,
  OffsetTokenizer,
  Offset,
  EncodeOptions,
  DecodeOptions,
  ByteTokenizerOptions,
  IdentityTokenizerOptions,
} from './tokenizer.js';
export { applyChatTemplate } from './chat.js';
export type { ChatMessage, ChatTemplateOptions } from './chat.js';
export { tfjsScorer, precomputedScorer, scorerKey } from './scorer.js';
export type { Scorer } from './scorer.js';
export { LoraAdapters, injectLora, saveLoraAdapter, loadLoraAdapter, peftTensorName } from './lora.js';
export type { LoraConfig, LoraInit, LoraWeights, SaveLoraAdapterOptions } from './lora.js';
