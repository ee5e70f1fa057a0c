import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import { parseHfConfig, toHfConfig } from '../src/families.js';
import { HF_ACTIVATIONS, hfActivation } from '../src/functional.js';
import { generate } from '../src/generate.js';
import { loadCausalLM } from '../src/hf.js';
import { CausalLM } from '../src/causal-lm.js';
import { llamaConfig } from '../src/llama/config.js';
import reference from './fixtures/hf-reference.json';
import { type ReferenceCase, referenceFolder, thrown } from './helpers.js';

// Reference logits of fixtures/hf_reference.py: an independent float64 PyTorch re-implementation of
// HF's modeling_llama.py / modeling_gpt2.py / modeling_rope_utils.py on tiny random checkpoints.

beforeAll(async () => {
  await initBackend('wasm');
});

const cases = reference.cases as unknown as Record<string, ReferenceCase>;
const caseFolder = referenceFolder;

const logitsOf = (model: CausalLM, ids: number[]) => tf.tidy(() => model.forward({ ids }).logits!.dataSync().slice());

describe('config.json fidelity against the float64 HF reference', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: logits match the reference to 1e-5`, () => {
      const model = loadCausalLM(caseFolder(c));
      const { error } = maxRelativeError(logitsOf(model, c.input_ids), c.logits, 1e-4);
      expect(error).toBeLessThan(1e-5);
      // The configuration survives a config.json round trip.
      expect(parseHfConfig(toHfConfig(model.config))).toEqual(model.config);
      model.dispose();
    });
  }

  it('every case matches on the cpu backend too', async () => {
    await initBackend('cpu');
    try {
      for (const [name, c] of Object.entries(cases)) {
        const model = loadCausalLM(caseFolder(c));
        expect(maxRelativeError(logitsOf(model, c.input_ids), c.logits, 1e-4).error, name).toBeLessThan(1e-5);
        model.dispose();
      }
    } finally {
      await initBackend('wasm');
    }
  });

  it('the changed field matters: the same checkpoint under the default config gives other logits', () => {
    const c = cases.gpt2_scale_attn_by_inverse_layer_idx!;
    const plain = { ...c, config: { ...c.config, scale_attn_by_inverse_layer_idx: false } };
    const model = loadCausalLM(caseFolder(plain));
    expect(maxRelativeError(logitsOf(model, c.input_ids), c.logits, 1e-4).error).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('loading and running a reference checkpoint leaves tf.memory() flat', async () => {
    const dir = caseFolder(cases.llama_attention_bias!);
    expect(
      await tensorLeak(() => {
        const model = loadCausalLM(dir);
        logitsOf(model, [1, 2, 3]);
        model.dispose();
      }),
    ).toBe(0);
  });

  it('every HF activation name matches the reference activations.py values', () => {
    const acts = reference.activations as Record<string, number[]>;
    expect(
      Object.keys(acts)
        .filter((k) => k !== 'x')
        .sort(),
    ).toEqual([...HF_ACTIVATIONS].sort());
    for (const name of HF_ACTIVATIONS) {
      const got = tf.tidy(() => hfActivation(name, tf.tensor1d(acts.x!)).dataSync().slice());
      expect(maxRelativeError(got, acts[name]!, 1e-5).error, name).toBeLessThan(2e-6);
    }
  });
});

describe('config.json fields that are refused, naming the field and value', () => {
  const llama = cases.llama_rms_norm_eps!.config;
  const gpt2 = cases.gpt2_activation_gelu!.config;
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['hidden_act prelu', { ...llama, hidden_act: 'prelu' }, /hidden_act: expected one of .* got "prelu"/],
    ['activation_function xielu', { ...gpt2, activation_function: 'xielu' }, /activation_function: .*got "xielu"/],
    [
      'rope_scaling longrope',
      { ...llama, rope_scaling: { rope_type: 'longrope', factor: 2, short_factor: [1], long_factor: [1] } },
      /rope_scaling\.rope_type: .*got 'longrope'/,
    ],
    ['partial_rotary_factor', { ...llama, partial_rotary_factor: 0.5 }, /partial_rotary_factor: expected 1 .*got 0\.5/],
    ['qwen2 mlp_bias', { ...llama, model_type: 'qwen2', mlp_bias: true }, /mlp_bias: expected false .*got true/],
    [
      'mistral attention_bias',
      { ...llama, model_type: 'mistral', attention_bias: true },
      /attention_bias: expected false .*got true/,
    ],
    ['llama sliding_window', { ...llama, sliding_window: 4 }, /sliding_window: expected null .*got 4/],
    [
      'qwen2 layer_types out of order',
      {
        ...llama,
        model_type: 'qwen2',
        num_hidden_layers: 2,
        use_sliding_window: true,
        sliding_window: 3,
        layer_types: ['sliding_attention', 'full_attention'],
      },
      /layer_types: expected 2 entries/,
    ],
    ['gpt2 add_cross_attention', { ...gpt2, add_cross_attention: true }, /add_cross_attention: expected false/],
    ['attention_bias not a boolean', { ...llama, attention_bias: 'yes' }, /attention_bias: expected true or false/],
  ];
  for (const [what, json, message] of refused) {
    it(what, () => {
      const err = thrown(() => parseHfConfig(json));
      expect(err).toBeInstanceOf(LabError);
      expect(err.message).toMatch(message);
    });
  }

  it('a configuration no HF model type holds is refused by toHfConfig', () => {
    const c = llamaConfig({ vocabSize: 8, hiddenSize: 8, numHeads: 2, numLayers: 1, mlpBias: true, slidingWindow: 4 });
    expect(() => toHfConfig(c)).toThrow(/expected a combination a Hugging Face model type holds/);
  });
});

describe('eos_token_id as a list', () => {
  it('is kept whole and generation stops at any of its ids', () => {
    const c = parseHfConfig({ ...cases.llama_rms_norm_eps!.config, eos_token_id: [3, 5] });
    expect(c.eosTokenId).toEqual([3, 5]);
    expect(toHfConfig(c).eos_token_id).toEqual([3, 5]);
    const model = CausalLM.random(c, { seed: 4, initStd: 0.5 });
    const free = Array.from(generate(model, [1, 2], { maxNewTokens: 12, eosTokenId: null }));
    const stopAt = free.findIndex((t) => t === 3 || t === 5);
    const stopped = Array.from(generate(model, [1, 2], { maxNewTokens: 12 }));
    expect(stopped).toEqual(stopAt < 0 ? free : free.slice(0, stopAt + 1));
    expect(Array.from(generate(model, [1, 2], { maxNewTokens: 12, eosTokenId: [free[0]!] }))).toEqual([free[0]]);
    model.dispose();
  });
});
