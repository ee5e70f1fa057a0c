import type { Embedding, Module, ModuleList, tf } from '@lab/core';
import type { CausalLMConfig, HfJson, LMArchitecture } from './config.js';
import type { ForwardContext } from './context.js';
import type { Weights } from './weights.js';

/**
 * The base model of a family (HF `LlamaModel`, `GPT2Model`): token embeddings, positions, decoder
 * blocks and the final norm. {@link CausalLM} registers it under the family's `baseModelPrefix`, so
 * its parameter names are the Hugging Face names, and adds the shared embedding lookup and head.
 */
export interface DecoderModel extends Module {
  /** Token embeddings, `weight` `[V, C]` (also the tied head); null when `vocabSize` is 0. */
  readonly tokenEmbedding: Embedding | null;
  /** The decoder blocks; the linear layers inside block i are short-named `layers.{i}.<path>`. */
  readonly blocks: ModuleList;
  /** Input embeddings `[B, T, C]` → final-norm hidden states `[B, T, C]`. */
  forward(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D;
}

/** Initial value of a parameter in {@link CausalLM.random}: a constant, or drawn from normal(0, std). */
export type InitialValue = { fill: number } | { std: number };

/**
 * One architecture family: its checkpoint layout, its `config.json` dialect and its model. The
 * registry (`families.ts`) picks a family by `config.architecture` or HF `model_type`; nothing else
 * looks at either.
 */
export interface Family {
  readonly architecture: LMArchitecture;
  /** HF `model_type`s read as this family. */
  readonly modelTypes: readonly string[];
  /** HF `base_model_prefix`: the name the base model's parameters sit under (`model`, `transformer`). */
  readonly baseModelPrefix: string;
  /** Checks a configuration (throws `LabError` naming the bad field) and returns it. */
  validate(config: CausalLMConfig): CausalLMConfig;
  fromHfConfig(json: HfJson, modelType: string): CausalLMConfig;
  toHfConfig(config: CausalLMConfig): HfJson;
  /** Parameter names and shapes (linear weights `[in, out]`), in checkpoint order. */
  parameterShapes(config: CausalLMConfig): [string, number[]][];
  /** Whether a parameter is stored `[out, in]` in HF checkpoints (transposed on load and save). */
  transposedInCheckpoint(name: string): boolean;
  /** A checkpoint tensor's name as ours (e.g. GPT-2 hub files omit `transformer.`). */
  canonicalName(name: string): string;
  initialValue(name: string, config: CausalLMConfig, initStd: number): InitialValue;
  /** Builds the base model from the weights under `baseModelPrefix`. */
  create(config: CausalLMConfig, weights: Weights): DecoderModel;
}
