import { LabError } from '@lab/core';
import type { CausalLMConfig, HfJson } from './config.js';
import type { Family } from './family.js';
import { gpt2Family } from './gpt2/index.js';
import { llamaFamily } from './llama/index.js';

// The one place that maps architecture names and HF model_types to a family.
const FAMILIES: readonly Family[] = [llamaFamily, gpt2Family];

/** The family of a configuration (`config.architecture`). */
export function familyOf(config: CausalLMConfig): Family {
  const family = FAMILIES.find((f) => f.architecture === config.architecture);
  if (!family) {
    const names = FAMILIES.map((f) => `'${f.architecture}'`).join(' or ');
    throw new LabError('UNSUPPORTED', `config.architecture: expected ${names}, got '${String(config.architecture)}'`);
  }
  return family;
}

/** Checks a configuration's sizes and returns it; throws {@link LabError} naming the bad field. */
export function validateConfig(config: CausalLMConfig): CausalLMConfig {
  return familyOf(config).validate(config);
}

/**
 * Reads a Hugging Face `config.json` object (model_type llama, mistral, qwen2 or gpt2).
 * Throws {@link LabError} `UNSUPPORTED` for any other architecture.
 */
export function parseHfConfig(json: HfJson): CausalLMConfig {
  const modelType = String(json.model_type ?? '');
  const family = FAMILIES.find((f) => f.modelTypes.includes(modelType));
  if (!family) {
    throw new LabError(
      'UNSUPPORTED',
      `config.json: model_type '${modelType}' is not supported (expected one of ${FAMILIES.flatMap((f) => f.modelTypes).join(', ')})`,
    );
  }
  return family.fromHfConfig(json, modelType);
}

/** Writes a configuration as a Hugging Face `config.json` object (model_type llama, mistral, qwen2 or gpt2). */
export function toHfConfig(config: CausalLMConfig): HfJson {
  return familyOf(config).toHfConfig(config);
}

/** Parameter names and shapes (weights of linears `[in, out]`) for a configuration, in checkpoint order. */
export function expectedParameterShapes(config: CausalLMConfig): [string, number[]][] {
  return familyOf(config).parameterShapes(config);
}
