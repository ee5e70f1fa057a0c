import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, loadSafetensors, maxRelativeError, saveSafetensors, tensorLeak, tf } from '@lab/core';
import { CausalLM } from '../src/causal-lm.js';
import { parseHfConfig, toHfConfig } from '../src/families.js';
import { gpt2Config } from '../src/gpt2/config.js';
import { llamaConfig } from '../src/llama/config.js';
import { loadCausalLM, saveCausalLM } from '../src/hf.js';
import { goldenTinyLlama, thrown } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const logitsOf = (model: CausalLM, ids: number[]) => tf.tidy(() => model.forward({ ids }).logits!.dataSync().slice());
const tmp = () => mkdtempSync(join(tmpdir(), 'lab-lm-'));

describe('Hugging Face folders', () => {
  it('saves and reloads the golden tiny LLaMA in F32 (single file) and F32 shards', async () => {
    const model = goldenTinyLlama();
    const ids = [1, 4, 7, 2, 9, 3];
    const ref = logitsOf(model, ids);
    const dir = tmp();
    saveCausalLM(model, dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.model_type).toBe('llama');
    expect(cfg.num_key_value_heads).toBe(1);
    const again = loadCausalLM(dir);
    expect(maxRelativeError(logitsOf(again, ids), ref).error).toBe(0);
    again.dispose();
    const sharded = tmp();
    saveCausalLM(model, sharded, { maxShardBytes: 1500 });
    expect(existsSync(join(sharded, 'model.safetensors.index.json'))).toBe(true);
    expect(existsSync(join(sharded, 'model.safetensors'))).toBe(false);
    const fromShards = loadCausalLM(sharded);
    expect(maxRelativeError(logitsOf(fromShards, ids), ref).error).toBe(0);
    fromShards.dispose();
    expect(await tensorLeak(() => loadCausalLM(dir).dispose())).toBe(0);
    model.dispose();
  });

  it('F16 and BF16 round trips stay within their precision', () => {
    const model = CausalLM.random(
      llamaConfig({
        vocabSize: 17,
        hiddenSize: 16,
        numLayers: 1,
        numHeads: 2,
        intermediateSize: 20,
        attentionBias: true,
      }),
      { seed: 5, initStd: 0.2 },
    );
    const ids = [1, 2, 3, 4, 5];
    const ref = logitsOf(model, ids);
    for (const [dtype, tol] of [
      ['F16', 5e-3],
      ['BF16', 5e-2],
    ] as const) {
      const dir = tmp();
      saveCausalLM(model, dir, { dtype });
      const back = loadCausalLM(dir);
      expect(maxRelativeError(logitsOf(back, ids), ref, 1e-2).error).toBeLessThan(tol);
      back.dispose();
    }
    model.dispose();
  });

  it('GPT-2 checkpoints without the transformer. prefix and with attn.bias buffers load', () => {
    const model = CausalLM.random(
      gpt2Config({ vocabSize: 13, hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositionEmbeddings: 16 }),
      { seed: 7, initStd: 0.3 },
    );
    const dir = tmp();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(model.config)));
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, v] of model.params) tensors[name.replace(/^transformer\./, '')] = v;
    tensors['h.0.attn.bias'] = tf.ones([1, 1, 16, 16]);
    saveSafetensors(join(dir, 'model.safetensors'), tensors);
    tensors['h.0.attn.bias'].dispose();
    const back = loadCausalLM(dir);
    expect(maxRelativeError(logitsOf(back, [1, 2, 3]), logitsOf(model, [1, 2, 3])).error).toBe(0);
    back.dispose();
    model.dispose();
  });

  it('reports missing files, missing tensors and unsupported architectures', () => {
    const dir = tmp();
    expect(() => loadCausalLM(dir)).toThrow(/config\.json/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 8 }));
    expect(() => loadCausalLM(dir)).toThrow(/model_type 'bert' is not supported/);
    const model = CausalLM.random(
      llamaConfig({ vocabSize: 11, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8 }),
      { seed: 1 },
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(model.config)));
    expect(() => loadCausalLM(dir)).toThrow(/neither model\.safetensors/);
    saveCausalLM(model, dir);
    const { tensors } = loadSafetensors(join(dir, 'model.safetensors'));
    const kept = Object.fromEntries(Object.entries(tensors).filter(([name]) => !name.includes('down_proj')));
    saveSafetensors(join(dir, 'model.safetensors'), kept);
    tf.dispose(Object.values(tensors));
    const err = thrown(() => loadCausalLM(dir));
    expect(err).toBeInstanceOf(LabError);
    expect((err as Error).message).toMatch(/model\.layers\.0\.mlp\.down_proj\.weight/);
    rmSync(dir, { recursive: true });
    model.dispose();
  });

  it('parses llama3 / yarn / qwen2 configs', () => {
    const c = parseHfConfig({
      model_type: 'qwen2',
      vocab_size: 10,
      hidden_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      intermediate_size: 16,
      max_position_embeddings: 64,
      rope_theta: 1e6,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: true,
      rope_scaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 8192,
      },
    });
    expect(c.attentionBias).toBe(true);
    expect(c.ropeScaling).toEqual({
      type: 'llama3',
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    });
    expect(parseHfConfig(toHfConfig(c))).toEqual(c);
    expect(() => parseHfConfig({ model_type: 'llama', hidden_size: 8, num_attention_heads: 2 })).toThrow(
      /missing required field 'vocab_size'/,
    );
  });

  it('refuses checkpoint tensors the model does not use, naming them, unless allowExtraTensors allows them', async () => {
    const model = CausalLM.random(
      llamaConfig({ vocabSize: 11, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8 }),
      { seed: 2 },
    );
    const dir = tmp();
    saveCausalLM(model, dir);
    const { tensors } = loadSafetensors(join(dir, 'model.safetensors'));
    tensors['model.layers.0.self_attn.o_proj.bias'] = tf.zeros([8]); // an attention_bias checkpoint under a no-bias config
    tensors['model.layers.0.self_attn.rotary_emb.inv_freq'] = tf.ones([2]); // known buffer: always dropped
    saveSafetensors(join(dir, 'model.safetensors'), tensors);
    tf.dispose(Object.values(tensors));
    const err = thrown(() => loadCausalLM(dir));
    expect(err).toBeInstanceOf(LabError);
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toMatch(/'model\.layers\.0\.self_attn\.o_proj\.bias'/);
    expect(err.message).not.toMatch(/inv_freq/);
    const ids = [1, 2, 3];
    for (const allowExtraTensors of [true, ['model.layers.0.self_attn.o_proj.bias']]) {
      const back = loadCausalLM(dir, { allowExtraTensors });
      expect(maxRelativeError(logitsOf(back, ids), logitsOf(model, ids)).error).toBe(0);
      back.dispose();
    }
    expect(() => loadCausalLM(dir, { allowExtraTensors: ['other'] })).toThrow(/o_proj\.bias/);
    expect(() => loadCausalLM(dir, { allowExtra: true } as never)).toThrow(/unknown option 'allowExtra'/);
    expect(await tensorLeak(() => expect(() => loadCausalLM(dir)).toThrow(LabError))).toBe(0);
    // The constructor refuses unused parameters as well.
    const params = new Map<string, tf.Tensor>([...model.params].map(([n, v]) => [n, v.clone()]));
    params.set('model.extra.weight', tf.zeros([2]));
    expect(() => new CausalLM(model.config, params)).toThrow(/unused 'model\.extra\.weight'/);
    tf.dispose([...params.values()]);
    model.dispose();
  });

  it('refuses a sharded index that points outside the model folder', () => {
    const model = CausalLM.random(
      llamaConfig({ vocabSize: 11, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8 }),
      { seed: 3 },
    );
    const dir = tmp();
    saveCausalLM(model, dir, { maxShardBytes: 400 });
    const indexPath = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    for (const bad of ['../outside.safetensors', '/etc/passwd', '', 7]) {
      const name = Object.keys(index.weight_map)[0]!;
      writeFileSync(indexPath, JSON.stringify({ ...index, weight_map: { ...index.weight_map, [name]: bad } }));
      expect(() => loadCausalLM(dir)).toThrow(LabError);
      expect(() => loadCausalLM(dir)).toThrow(/malformed safetensors index: .*weight_map/);
    }
    model.dispose();
  });
});
