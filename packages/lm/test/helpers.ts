import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError, saveSafetensors, tf } from '@lab/core';
import { CausalLM } from '../src/causal-lm.js';
import { gpt2Config } from '../src/gpt2/config.js';
import { llamaConfig } from '../src/llama/config.js';
import golden from './fixtures/lm-golden.json';

const variableFrom = (data: Float32Array, shape: number[], _name: string): tf.Tensor =>
  tf.tensor(data, shape, 'float32');

/** W(rows, cols, a, b, c, scale)[i, j] = scale·sin(a·i + b·j + 0.13·i·j + c), HF (out, in) layout (longppl_golden.py). */
export function closedFormMatrix(
  rows: number,
  cols: number,
  a: number,
  b: number,
  c: number,
  scale: number,
): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[i * cols + j] = scale * Math.sin(a * i + b * j + 0.13 * i * j + c);
  return out;
}

/** Transposes a row-major [rows, cols] matrix to [cols, rows]. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

/** The golden tiny LLaMA of longppl_golden.py::tiny_llama with its closed-form weights. */
export function goldenTinyLlama(): CausalLM {
  const g = golden.tiny_llama.config;
  const config = llamaConfig({
    vocabSize: g.vocab,
    hiddenSize: g.hidden,
    numLayers: g.layers,
    numHeads: g.heads,
    numKvHeads: g.kv_heads,
    headDim: g.head_dim,
    intermediateSize: g.intermediate,
    ropeTheta: g.rope_theta,
    normEps: g.rms_eps,
  });
  const H = g.hidden,
    I = g.intermediate,
    V = g.vocab,
    hd = g.head_dim;
  const params = new Map<string, tf.Tensor>();
  const linear = (name: string, out: number, inn: number, a: number, b: number, c: number, s: number) =>
    params.set(name, variableFrom(transpose(closedFormMatrix(out, inn, a, b, c, s), out, inn), [inn, out], name));
  const vec = (name: string, f: (j: number) => number, n: number) =>
    params.set(
      name,
      variableFrom(
        Float32Array.from({ length: n }, (_, j) => f(j)),
        [n],
        name,
      ),
    );
  params.set('model.embed_tokens.weight', variableFrom(closedFormMatrix(V, H, 0.31, 0.17, 0.05, 0.5), [V, H], 'emb'));
  for (let l = 0; l < g.layers; l++) {
    const p = `model.layers.${l}`;
    linear(`${p}.self_attn.q_proj.weight`, g.heads * hd, H, 0.11 + 0.01 * l, 0.23, 0.3, 0.3);
    linear(`${p}.self_attn.k_proj.weight`, g.kv_heads * hd, H, 0.13 + 0.01 * l, 0.19, 0.7, 0.3);
    linear(`${p}.self_attn.v_proj.weight`, g.kv_heads * hd, H, 0.07 + 0.01 * l, 0.29, 1.1, 0.3);
    linear(`${p}.self_attn.o_proj.weight`, H, g.heads * hd, 0.05 + 0.01 * l, 0.37, 0.2, 0.3);
    linear(`${p}.mlp.gate_proj.weight`, I, H, 0.09 + 0.01 * l, 0.21, 0.4, 0.3);
    linear(`${p}.mlp.up_proj.weight`, I, H, 0.15 + 0.01 * l, 0.14, 0.9, 0.3);
    linear(`${p}.mlp.down_proj.weight`, H, I, 0.12 + 0.01 * l, 0.33, 0.6, 0.3);
    vec(`${p}.input_layernorm.weight`, (j) => 1 + 0.1 * Math.cos(0.5 * j + l), H);
    vec(`${p}.post_attention_layernorm.weight`, (j) => 1 + 0.1 * Math.sin(0.5 * j + l), H);
  }
  vec('model.norm.weight', (j) => 1 + 0.05 * Math.cos(j), H);
  linear('lm_head.weight', V, H, 0.21, 0.27, 0.15, 0.4);
  return new CausalLM(config, params);
}

export { golden };

/** grid(rows, cols, a, b, c, scale) of icl-ood_golden.py (same formula as closedFormMatrix). */
const grid = closedFormMatrix;

/**
 * The GPT-2 backbone of icl-ood_golden.py::gpt2_icl_forward as a CausalLM (Conv1D weights are already
 * [in, out]); the read-in / read-out layers stay outside and are returned as plain arrays.
 */
export function goldenTinyGpt2(cfg: {
  n_dims: number;
  n_positions: number;
  n_embd: number;
  n_head: number;
  n_layer: number;
}): {
  model: CausalLM;
  readIn: Float32Array; // [E, d] torch layout
  readInBias: Float32Array;
  readOut: Float32Array; // [1, E]
} {
  const E = cfg.n_embd;
  const params = new Map<string, tf.Tensor>();
  const put = (name: string, data: Float32Array, shape: number[]) => params.set(name, variableFrom(data, shape, name));
  const vec = (n: number, f: (j: number) => number) => Float32Array.from({ length: n }, (_, j) => f(j));
  put('transformer.wpe.weight', grid(2 * cfg.n_positions, E, 0.07, 0.19, 0.4, 0.1), [2 * cfg.n_positions, E]);
  for (let l = 0; l < cfg.n_layer; l++) {
    const p = `transformer.h.${l}`;
    put(`${p}.attn.c_attn.weight`, grid(E, 3 * E, 0.13 + 0.02 * l, 0.07, 0.2, 0.3), [E, 3 * E]);
    put(
      `${p}.attn.c_attn.bias`,
      vec(3 * E, (j) => 0.02 * Math.sin(j + l)),
      [3 * E],
    );
    put(`${p}.attn.c_proj.weight`, grid(E, E, 0.17 + 0.02 * l, 0.11, 0.5, 0.3), [E, E]);
    put(
      `${p}.attn.c_proj.bias`,
      vec(E, (j) => 0.02 * Math.cos(j + l)),
      [E],
    );
    put(`${p}.mlp.c_fc.weight`, grid(E, 4 * E, 0.09 + 0.02 * l, 0.05, 0.7, 0.3), [E, 4 * E]);
    put(
      `${p}.mlp.c_fc.bias`,
      vec(4 * E, (j) => 0.02 * Math.sin(0.5 * j + l)),
      [4 * E],
    );
    put(`${p}.mlp.c_proj.weight`, grid(4 * E, E, 0.03 + 0.02 * l, 0.23, 0.9, 0.2), [4 * E, E]);
    put(
      `${p}.mlp.c_proj.bias`,
      vec(E, (j) => 0.02 * Math.cos(0.5 * j + l)),
      [E],
    );
    put(
      `${p}.ln_1.weight`,
      vec(E, (j) => 1 + 0.1 * Math.sin(j + l)),
      [E],
    );
    put(
      `${p}.ln_1.bias`,
      vec(E, (j) => 0.05 * Math.cos(j + l)),
      [E],
    );
    put(
      `${p}.ln_2.weight`,
      vec(E, (j) => 1 + 0.1 * Math.cos(j + l)),
      [E],
    );
    put(
      `${p}.ln_2.bias`,
      vec(E, (j) => 0.05 * Math.sin(j + l)),
      [E],
    );
  }
  put(
    'transformer.ln_f.weight',
    vec(E, (j) => 1 + 0.05 * Math.sin(j)),
    [E],
  );
  put(
    'transformer.ln_f.bias',
    vec(E, (j) => 0.01 * Math.cos(j)),
    [E],
  );
  const config = gpt2Config({
    vocabSize: 0, // no token table: inputs come as embeddings, outputs are hidden states
    hiddenSize: E,
    numLayers: cfg.n_layer,
    numHeads: cfg.n_head,
    intermediateSize: 4 * E,
    maxPositionEmbeddings: 2 * cfg.n_positions,
    normEps: 1e-5,
  });
  return {
    model: new CausalLM(config, params),
    readIn: grid(E, cfg.n_dims, 0.21, 0.33, 0.1, 0.5),
    readInBias: vec(E, (j) => 0.05 * Math.cos(j)),
    readOut: grid(1, E, 0, 0.41, 0.3, 0.4),
  };
}

/** The LabError a call throws (fails the test when it throws nothing or something else). */
export function thrown(f: () => unknown): LabError {
  try {
    f();
  } catch (e) {
    if (e instanceof LabError) return e;
    throw e;
  }
  throw new Error('expected a LabError, got none');
}

/** A case of fixtures/hf-reference.json (hf_reference.py): config.json, HF-layout tensors, ids, logits. */
export interface ReferenceCase {
  config: Record<string, unknown>;
  tensors: Record<string, { shape: number[]; data: number[] }>;
  input_ids: number[];
  logits: number[];
}

/** Writes a reference case as a Hugging Face folder (config.json + model.safetensors) and returns its path. */
export function referenceFolder(c: Pick<ReferenceCase, 'config' | 'tensors'>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-lm-ref-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c.config));
  const tensors = Object.fromEntries(
    Object.entries(c.tensors).map(([name, t]) => [name, tf.tensor(t.data, t.shape, 'float32')]),
  );
  saveSafetensors(join(dir, 'model.safetensors'), tensors);
  tf.dispose(Object.values(tensors));
  return dir;
}
