import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LabError,
  strictOptions,
  type SafetensorsEntry,
  type SafetensorsInput,
  encodeSafetensors,
  float32ToBfloat16,
  float32ToFloat16,
  loadSafetensors,
  resolveSafetensorsShards,
  tf,
  writeFileAtomic,
} from '@lab/core';
import { CausalLM } from './causal-lm.js';
import { familyOf, parseHfConfig, toHfConfig } from './families.js';
import { type ResolveHfModelOptions, resolveModelLocation } from './hub.js';

/**
 * Tensors in HF checkpoints that are buffers, not parameters, and are dropped on load without a word:
 * GPT-2's causal masks `h.{i}.attn.bias` / `h.{i}.attn.masked_bias` and cached rotary tables
 * `…rotary_emb.inv_freq`. Every other tensor the model does not use is refused unless
 * {@link LoadCausalLMOptions.allowExtraTensors} allows it.
 */
export const KNOWN_CHECKPOINT_BUFFERS: readonly RegExp[] = [
  /\.attn\.bias$/,
  /\.attn\.masked_bias$/,
  /rotary_emb\.inv_freq$/,
];

/** Options of {@link loadCausalLM}. */
export interface LoadCausalLMOptions extends ResolveHfModelOptions {
  /**
   * Tensors of the checkpoint the model does not use (beyond {@link KNOWN_CHECKPOINT_BUFFERS} and, for a
   * tied head, a stored `lm_head.weight` copy) are refused, naming them; `true` drops any, a list drops
   * exactly those names (as stored in the file). Default: refuse.
   */
  allowExtraTensors?: boolean | readonly string[];
}

function readJson(path: string, what: string): Record<string, unknown> {
  if (!existsSync(path)) throw new LabError('NOT_FOUND', `${what}: file '${path}' does not exist`);
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new LabError('MALFORMED_FILE', `${what}: '${path}' is not a valid JSON object (${(err as Error).message})`);
  }
}

/**
 * Loads a causal LM from a local Hugging Face folder, or from a repo id (`org/name`) found in the local
 * HF hub cache (`$HF_HOME/hub/models--org--name/snapshots/<commit>/`, `refs/main` or `revision`;
 * {@link resolveHfModelDir}): `config.json` plus `model.safetensors` or a
 * sharded `model.safetensors.index.json`. F32, F16 and BF16 weights are converted to float32.
 * Supported `model_type`s: llama, mistral, qwen2, gpt2. Missing files or tensors, wrong shapes and
 * unsupported architectures throw {@link LabError}. Nothing is downloaded. The model comes back in
 * eval mode, as from HF's `from_pretrained` (only LoRA dropout depends on it; `model.train()` to train).
 */
export function loadCausalLM(dirOrRepoId: string, options: LoadCausalLMOptions = {}): CausalLM {
  const { allowExtraTensors, revision, cacheDir } = strictOptions<LoadCausalLMOptions>(
    options,
    { allowExtraTensors: undefined, revision: undefined, cacheDir: undefined },
    'loadCausalLM options',
  );
  const dir = resolveModelLocation(dirOrRepoId, { revision, cacheDir } as ResolveHfModelOptions, 'loadCausalLM');
  const allowed = extraTensorPolicy(allowExtraTensors);
  const config = parseHfConfig(readJson(join(dir, 'config.json'), 'loadCausalLM'));
  const single = join(dir, 'model.safetensors');
  const index = join(dir, 'model.safetensors.index.json');
  let files: string[];
  if (existsSync(single)) files = [single];
  else if (existsSync(index)) {
    // Core reads the index strictly: bounded size, no duplicate keys, shards inside the folder (HF-cache blob
    // links allowed), every shard present.
    files = resolveSafetensorsShards(dir).files;
  } else {
    throw new LabError(
      'NOT_FOUND',
      `loadCausalLM: '${dir}' holds neither model.safetensors nor model.safetensors.index.json`,
    );
  }
  const family = familyOf(config);
  const expected = new Map(family.parameterShapes(config));
  const params = new Map<string, tf.Tensor>();
  const extras: string[] = [];
  try {
    for (const file of files) {
      const { tensors } = loadSafetensors(file);
      for (const [rawName, tensor] of Object.entries(tensors)) {
        const name = family.canonicalName(rawName);
        if (!expected.has(name)) {
          tensor.dispose();
          const known =
            KNOWN_CHECKPOINT_BUFFERS.some((re) => re.test(name)) ||
            (config.tieWordEmbeddings && name === 'lm_head.weight'); // HF ties it to the embedding anyway
          if (!known && !allowed(rawName)) extras.push(rawName);
          continue;
        }
        const transposed = family.transposedInCheckpoint(name);
        const value = transposed && tensor.rank === 2 ? tf.transpose(tensor) : tensor;
        const shape = expected.get(name)!;
        if (value.shape.join() !== shape.join()) {
          const got = transposed ? [...value.shape].reverse() : value.shape;
          tf.dispose([tensor, value]);
          const want = transposed ? [...shape].reverse() : shape;
          throw new LabError(
            'SHAPE_MISMATCH',
            `loadCausalLM: tensor '${rawName}' in '${file}' has shape [${got.join(', ')}], config.json implies [${want.join(', ')}]`,
          );
        }
        params.set(name, value as tf.Tensor); // the model takes ownership
        if (value !== tensor) tensor.dispose();
      }
    }
    if (extras.length > 0) {
      throw new LabError(
        'UNSUPPORTED',
        `loadCausalLM: checkpoint tensors: expected only tensors the ${config.architecture} model of config.json uses, got ${extras.length} more: ${extras
          .slice(0, 8)
          .map((n) => `'${n}'`)
          .join(
            ', ',
          )}${extras.length > 8 ? ` and ${extras.length - 8} more` : ''} (a config field the loader does not read? pass allowExtraTensors to drop them)`,
      );
    }
    return new CausalLM(config, params).eval(); // as HF's from_pretrained: dropout (LoRA's) off until train()
  } catch (err) {
    for (const t of params.values()) if (!t.isDisposed) t.dispose();
    throw err;
  }
}

function extraTensorPolicy(allow: LoadCausalLMOptions['allowExtraTensors']): (name: string) => boolean {
  if (allow === undefined || allow === false) return () => false;
  if (allow === true) return () => true;
  if (!Array.isArray(allow) || allow.some((n) => typeof n !== 'string'))
    throw new LabError(
      'INVALID_ARGUMENT',
      `allowExtraTensors: expected a boolean or a list of tensor names, got ${JSON.stringify(allow)}`,
    );
  const names = new Set(allow);
  return (name) => names.has(name);
}

/** Options of {@link saveCausalLM}. */
export interface SaveCausalLMOptions {
  /** Storage dtype of the weights (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Split into `model-0000i-of-0000N.safetensors` shards of at most this many bytes plus an index (default: one file). */
  maxShardBytes?: number;
}

/**
 * Saves a causal LM as a Hugging Face folder (`config.json` and `model.safetensors`, or shards plus
 * `model.safetensors.index.json`), with linear weights in the HF `[out, in]` layout, so that
 * {@link loadCausalLM} (and transformers) can read it back.
 */
export function saveCausalLM(model: CausalLM, dir: string, options: SaveCausalLMOptions = {}): void {
  const { dtype = 'F32', maxShardBytes = Infinity } = options;
  if (!['F32', 'F16', 'BF16'].includes(dtype))
    throw new LabError('INVALID_ARGUMENT', `dtype: expected 'F32', 'F16' or 'BF16', got '${dtype}'`);
  if (!(maxShardBytes > 0))
    throw new LabError('OUT_OF_RANGE', `maxShardBytes: expected a positive number, got ${maxShardBytes}`);
  const config = model.config;
  const family = familyOf(config);
  const entries: [string, SafetensorsInput, number][] = [];
  for (const [name] of family.parameterShapes(config)) {
    const v = model.params.get(name)!;
    const transposed = family.transposedInCheckpoint(name);
    const values = tf.tidy(() => (transposed ? tf.transpose(v) : v).dataSync() as Float32Array);
    const shape = transposed ? [...v.shape].reverse() : [...v.shape];
    entries.push([name, encodeFloats(values, shape, dtype), values.length * (dtype === 'F32' ? 4 : 2)]);
  }
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(toHfConfig(config), null, 2)}\n`);
  const shards: [string, SafetensorsInput, number][][] = [[]];
  let size = 0;
  for (const e of entries) {
    if (size + e[2] > maxShardBytes && shards[shards.length - 1]!.length > 0) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1]!.push(e);
    size += e[2];
  }
  const metadata = { format: 'pt' };
  if (shards.length === 1) {
    writeFileAtomic(
      join(dir, 'model.safetensors'),
      encodeSafetensors(Object.fromEntries(entries.map(([n, t]) => [n, t])), metadata),
    );
    return;
  }
  const pad = (i: number) => String(i).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  let total = 0;
  shards.forEach((shard, i) => {
    const file = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
    for (const [n, , bytes] of shard) {
      weightMap[n] = file;
      total += bytes;
    }
    writeFileAtomic(join(dir, file), encodeSafetensors(Object.fromEntries(shard.map(([n, t]) => [n, t])), metadata));
  });
  writeFileAtomic(
    join(dir, 'model.safetensors.index.json'),
    `${JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2)}\n`,
  );
}

function encodeFloats(values: Float32Array, shape: number[], dtype: 'F32' | 'F16' | 'BF16'): SafetensorsEntry {
  if (dtype === 'F32')
    return {
      dtype,
      shape,
      data: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    };
  const bits = new Uint16Array(values.length);
  const convert = dtype === 'F16' ? float32ToFloat16 : float32ToBfloat16;
  for (let i = 0; i < values.length; i++) bits[i] = convert(values[i]!);
  return { dtype, shape, data: new Uint8Array(bits.buffer) };
}
