import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, loadSafetensors, maxRelativeError, tensorLeak, tf } from '@lab/core';
import { CausalLM } from '../src/causal-lm.js';
import { loadCausalLM } from '../src/hf.js';
import { llamaConfig } from '../src/llama/config.js';
import { injectLora, loadLoraAdapter, saveLoraAdapter } from '../src/lora.js';
import { tokenNll } from '../src/nll.js';
import reference from './fixtures/hf-reference.json';
import loraReference from './fixtures/lora-reference.json';
import { type ReferenceCase, referenceFolder } from './helpers.js';

// References of fixtures/lora_reference.py (float64); the PEFT folders follow PEFT's documented layout.

beforeAll(async () => {
  await initBackend('wasm');
});

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'lab-lora-'));
function baseModel(name: string): { model: CausalLM; ids: number[] } {
  const c = (reference.cases as unknown as Record<string, ReferenceCase>)[name]!;
  return { model: loadCausalLM(referenceFolder(c)), ids: c.input_ids };
}

const logitsOf = (model: CausalLM, ids: number[]) => tf.tidy(() => model.forward({ ids }).logits!.dataSync().slice());
const transpose = (data: number[], rows: number, cols: number) =>
  Float32Array.from({ length: rows * cols }, (_, k) => data[(k % rows) * cols + Math.floor(k / rows)]!);

describe('LoRA merge against the float64 reference', () => {
  it('merge folds (alpha / r)·B·A into W (and alpha / √r with rsLoRA); unmerge restores W', () => {
    const m = loraReference.merge;
    const model = CausalLM.random(
      llamaConfig({ vocabSize: 11, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 6 }),
      { seed: 1 },
    );
    const { weight } = model.linear('layers.0.mlp.gate_proj'); // [in 8, out 6]
    weight.assign(tf.tensor2d(transpose(m.W, 6, 8), [8, 6]));
    for (const [useRslora, merged] of [
      [false, m.merged],
      [true, m.merged_rslora],
    ] as const) {
      const before = logitsOf(model, [1, 2, 3]);
      const lora = injectLora(model, {
        r: m.r,
        alpha: m.alpha,
        useRslora,
        targetModules: ['gate_proj'],
        weights: { 'layers.0.mlp.gate_proj': { A: m.A, B: m.B } },
      });
      const adapted = logitsOf(model, [1, 2, 3]);
      lora.merge();
      expect(lora.merged).toBe(true);
      expect(maxRelativeError(weight.dataSync(), transpose(merged, 6, 8)).error).toBeLessThan(1e-6);
      expect(maxRelativeError(logitsOf(model, [1, 2, 3]), adapted, 1e-4).error).toBeLessThan(1e-5);
      lora.unmerge();
      expect(maxRelativeError(weight.dataSync(), transpose(m.W, 6, 8)).error).toBeLessThan(1e-6);
      expect(maxRelativeError(logitsOf(model, [1, 2, 3]), adapted, 1e-4).error).toBeLessThan(1e-5);
      lora.dispose();
      expect(maxRelativeError(logitsOf(model, [1, 2, 3]), before).error).toBe(0);
    }
    model.dispose();
  });

  for (const [name, adapter] of Object.entries(loraReference.adapters)) {
    it(`a PEFT adapter folder (${adapter.folder}) loads here: logits match the reference, merged and unmerged`, () => {
      const { model, ids } = baseModel(name);
      const base = logitsOf(model, ids);
      const lora = loadLoraAdapter(model, join(fixtures, adapter.folder));
      expect(maxRelativeError(logitsOf(model, ids), adapter.logits, 1e-4).error).toBeLessThan(1e-5);
      lora.merge();
      expect(maxRelativeError(logitsOf(model, ids), adapter.logits, 1e-4).error).toBeLessThan(1e-5);
      lora.unmerge();
      lora.dispose();
      expect(maxRelativeError(logitsOf(model, ids), base, 1e-4).error).toBeLessThan(1e-6);
      model.dispose();
    });

    it(`writes the PEFT layout of ${adapter.folder}: same config keys, tensor names, shapes and values`, () => {
      const { model } = baseModel(name);
      const lora = loadLoraAdapter(model, join(fixtures, adapter.folder));
      const dir = tmp();
      saveLoraAdapter(lora, dir, { baseModelNameOrPath: `tiny-${name}` });
      const ours = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
      const theirs = JSON.parse(readFileSync(join(fixtures, adapter.folder, 'adapter_config.json'), 'utf8'));
      for (const key of [
        'peft_type',
        'task_type',
        'r',
        'lora_alpha',
        'lora_dropout',
        'target_modules',
        'bias',
        'fan_in_fan_out',
        'base_model_name_or_path',
        'use_rslora',
        'use_dora',
        'modules_to_save',
        'layers_to_transform',
        'rank_pattern',
        'alpha_pattern',
      ]) {
        expect(ours[key], key).toEqual(theirs[key]);
      }
      const a = loadSafetensors(join(dir, 'adapter_model.safetensors'));
      const b = loadSafetensors(join(fixtures, adapter.folder, 'adapter_model.safetensors'));
      expect(Object.keys(a.tensors).sort()).toEqual(Object.keys(b.tensors).sort());
      expect(Object.fromEntries(Object.entries(a.tensors).map(([n, t]) => [n, t.shape]))).toEqual(adapter.tensors);
      expect(a.metadata.format).toBe('pt');
      for (const n of Object.keys(a.tensors))
        expect(maxRelativeError(a.tensors[n]!.dataSync(), b.tensors[n]!.dataSync()).error).toBe(0);
      tf.dispose([...Object.values(a.tensors), ...Object.values(b.tensors)]);
      lora.dispose();
      model.dispose();
    });
  }
});

describe('LoRA injection', () => {
  const config = llamaConfig({ vocabSize: 17, hiddenSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 12 });

  it('freezes the base, lists only A and B as trainable, starts as the identity and trains', async () => {
    const model = CausalLM.random(config, { seed: 3, initStd: 0.3 });
    const ids = [1, 5, 2, 9, 4, 3];
    const before = logitsOf(model, ids);
    const lora = injectLora(model, { r: 2, alpha: 4, targetModules: ['q_proj', 'v_proj'] });
    expect(lora.moduleNames()).toEqual([
      'layers.0.self_attn.q_proj',
      'layers.0.self_attn.v_proj',
      'layers.1.self_attn.q_proj',
      'layers.1.self_attn.v_proj',
    ]);
    expect([...lora.namedParameters().keys()][0]).toBe(
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
    );
    expect(lora.weights('layers.0.self_attn.q_proj').A.shape).toEqual([2, 8]);
    expect(lora.weights('model.layers.0.self_attn.v_proj').B.shape).toEqual([8, 2]);
    expect(model.trainableVariables()).toEqual([]);
    const counts = lora.parameterCounts();
    expect(counts.trainable).toBe(4 * (2 * 8 + 8 * 2));
    expect(counts.total).toBe(model.numParameters() + counts.trainable);
    expect(maxRelativeError(logitsOf(model, ids), before).error).toBe(0); // B = 0
    const frozen = model.linear('layers.0.self_attn.q_proj').weight.dataSync().slice();
    const optimizer = tf.train.adam(0.05);
    for (let i = 0; i < 3; i++)
      tf.tidy(
        () => void optimizer.minimize(() => tokenNll(model, ids).mean() as tf.Scalar, false, lora.trainableVariables()),
      );
    optimizer.dispose();
    expect(maxRelativeError(logitsOf(model, ids), before).error).toBeGreaterThan(1e-4);
    expect(model.linear('layers.0.self_attn.q_proj').weight.dataSync()).toEqual(frozen);
    lora.dispose();
    model.dispose();
  });

  it('matches targets as PEFT does: list suffixes, a full-match regular expression, all-linear', () => {
    const model = CausalLM.random(config, { seed: 4 });
    const names = (targetModules: string[] | string) => {
      const lora = injectLora(model, { r: 1, targetModules });
      const out = lora.modulePaths();
      lora.dispose();
      return out;
    };
    expect(names(['mlp.down_proj'])).toEqual(['model.layers.0.mlp.down_proj', 'model.layers.1.mlp.down_proj']);
    expect(names('.*\\.1\\.self_attn\\.(q|k)_proj')).toEqual([
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.k_proj',
    ]);
    expect(names('all-linear')).toHaveLength(14);
    expect(() => names(['proj'])).toThrow(/matches none/);
    expect(() => injectLora(model, { r: 0, targetModules: ['q_proj'] })).toThrow(/r/);
    expect(() => injectLora(model, { r: 1, targetModules: ['q_proj'], rank: 2 } as never)).toThrow(
      /unknown option 'rank'/,
    );
    expect(() => injectLora(model, { r: 1, targetModules: ['q_proj'], bias: 'all' as never })).toThrow(/bias/);
    expect(() =>
      injectLora(model, {
        r: 2,
        targetModules: ['q_proj'],
        weights: { 'layers.0.self_attn.q_proj': { A: [1], B: [1] } },
      }),
    ).toThrow(LabError);
    expect(() =>
      injectLora(model, { r: 1, targetModules: ['q_proj'], weights: { 'layers.0.mlp.up_proj': { A: [1], B: [1] } } }),
    ).toThrow(/not targeted/);
    model.dispose();
  });

  it('random and gaussian inits change or keep the output; dropout acts only in training mode', () => {
    const model = CausalLM.random(config, { seed: 5, initStd: 0.3 });
    const ids = [1, 2, 3, 4];
    const before = logitsOf(model, ids);
    const gaussian = injectLora(model, { r: 2, targetModules: ['o_proj'], init: 'gaussian' });
    expect(maxRelativeError(logitsOf(model, ids), before).error).toBe(0);
    gaussian.dispose();
    const random = injectLora(model, { r: 2, targetModules: ['o_proj'], init: 'random', dropout: 0.5 });
    model.eval();
    const evalA = logitsOf(model, ids);
    expect(maxRelativeError(evalA, before).error).toBeGreaterThan(1e-4);
    expect(logitsOf(model, ids)).toEqual(evalA);
    model.train();
    expect(logitsOf(model, ids)).not.toEqual(evalA);
    random.dispose();
    model.dispose();
  });

  it('leaves tf.memory() flat through inject, forward, merge, unmerge, save, load and dispose', async () => {
    const model = CausalLM.random(config, { seed: 6 });
    const dir = tmp();
    const A = Float32Array.from({ length: 16 }, (_, i) => i / 16);
    expect(
      await tensorLeak(() => {
        injectLora(model, {
          r: 2,
          targetModules: ['q_proj'],
          weights: { 'layers.0.self_attn.q_proj': { A, B: A } },
        }).dispose();
        const lora = injectLora(model, { r: 2, targetModules: ['q_proj'], init: 'random' });
        logitsOf(model, [1, 2]);
        lora.merge();
        lora.unmerge();
        saveLoraAdapter(lora, dir);
        lora.dispose();
        loadLoraAdapter(model, dir).dispose();
      }),
    ).toBe(0);
    model.dispose();
  });

  it('refuses adapter folders it cannot honour, naming the key', () => {
    const { model } = baseModel('llama_rms_norm_eps');
    const src = join(fixtures, 'peft-adapter-llama');
    const json = JSON.parse(readFileSync(join(src, 'adapter_config.json'), 'utf8'));
    for (const [key, value, message] of [
      ['use_dora', true, /use_dora: expected false, got true/],
      ['rank_pattern', { q_proj: 4 }, /rank_pattern: expected \{\}/],
      ['peft_type', 'IA3', /peft_type: expected 'LORA', got "IA3"/],
      ['bias', 'all', /bias: expected 'none'/],
      [
        'target_modules',
        ['k_proj'],
        /expected the lora_A\/lora_B of the 1 targeted modules, got missing .*k_proj.*extra/,
      ],
    ] as const) {
      const dir = tmp();
      cpSync(src, dir, { recursive: true });
      writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...json, [key]: value }));
      expect(() => loadLoraAdapter(model, dir), key).toThrow(message);
    }
    expect(() => loadLoraAdapter(model, tmp())).toThrow(/adapter_config\.json/);
    expect(model.trainableVariables().length).toBe(model.parameters().length); // a refused load leaves the model alone
    model.dispose();
  });
});
