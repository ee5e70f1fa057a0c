import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import { KVCache } from '../src/kv-cache.js';
import { nextTokenNll } from '../src/nll.js';
import { generate } from '../src/generate.js';
import { goldenTinyLlama, golden } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('tiny LLaMA (golden)', () => {
  it('matches the golden logits and next-token NLL (GQA 2 heads / 1 KV head)', () => {
    const model = goldenTinyLlama();
    const ids = golden.tiny_llama.input_ids;
    const { logits, hidden } = model.forward({ ids });
    expect(maxRelativeError(logits!.dataSync(), flatten(golden.tiny_llama.logits), 1e-5).error).toBeLessThan(1e-5);
    const nll = nextTokenNll(model, ids);
    expect(maxRelativeError(nll, flatten(golden.tiny_llama.nll_next_token), 1e-5).error).toBeLessThan(1e-5);
    tf.dispose([logits!, hidden]);
    model.dispose();
  });

  it('gives the same logits with query chunks of 1, 2 and 4 and on the cpu backend', async () => {
    const model = goldenTinyLlama();
    const ids = golden.tiny_llama.input_ids;
    for (const queryChunk of [1, 2, 4]) {
      const { logits, hidden } = model.forward({ ids, queryChunk });
      expect(maxRelativeError(logits!.dataSync(), flatten(golden.tiny_llama.logits), 1e-5).error).toBeLessThan(1e-5);
      tf.dispose([logits!, hidden]);
    }
    model.dispose();
    await initBackend('cpu');
    const cpuModel = goldenTinyLlama();
    const { logits, hidden } = cpuModel.forward({ ids });
    expect(maxRelativeError(logits!.dataSync(), flatten(golden.tiny_llama.logits), 1e-5).error).toBeLessThan(1e-5);
    tf.dispose([logits!, hidden]);
    cpuModel.dispose();
    await initBackend('wasm');
  });

  it('KV-cached decoding reproduces the full-sequence logits', () => {
    const model = goldenTinyLlama();
    const ids = golden.tiny_llama.input_ids;
    const cache = new KVCache(model.config.numLayers);
    const a = model.forward({ ids: ids.slice(0, 4), cache });
    const b = model.forward({ ids: ids.slice(4, 5), cache });
    const c = model.forward({ ids: ids.slice(5), cache });
    expect(cache.length).toBe(6);
    const all = tf.concat([a.logits!, b.logits!, c.logits!], 1);
    expect(maxRelativeError(all.dataSync(), flatten(golden.tiny_llama.logits), 1e-5).error).toBeLessThan(1e-5);
    tf.dispose([a.logits!, a.hidden, b.logits!, b.hidden, c.logits!, c.hidden, all]);
    cache.dispose();
    model.dispose();
  });

  it('returns causal attention rows that sum to 1, and accepts input embeddings', () => {
    const model = goldenTinyLlama();
    const ids = golden.tiny_llama.input_ids;
    const leak = tf.tidy(() => {
      const { attentions } = model.forward({ ids, returnAttention: 'all' });
      expect([...attentions.keys()]).toEqual([0, 1]);
      const p = attentions.get(1)!; // [1, 2, 6, 6]
      expect(p.shape).toEqual([1, 2, 6, 6]);
      const rows = p.sum(-1).dataSync();
      for (const r of rows) expect(r).toBeCloseTo(1, 5);
      const pv = p.arraySync()[0]![0]!;
      expect(pv[0]![1]).toBe(0); // causal: position 0 cannot see position 1
      const oneHot = tf.oneHot(tf.tensor1d(ids, 'int32'), model.config.vocabSize).expandDims(0) as tf.Tensor3D;
      const embeds = tf.matMul(oneHot, model.embeddingMatrix()) as tf.Tensor3D;
      const { logits } = model.forward({ inputEmbeds: embeds });
      expect(maxRelativeError(logits!.dataSync(), flatten(golden.tiny_llama.logits), 1e-5).error).toBeLessThan(1e-5);
      return 0;
    });
    expect(leak).toBe(0);
    model.dispose();
  });

  it('leaves no tensors behind in forward, tokenNll and generate', async () => {
    const model = goldenTinyLlama();
    const ids = golden.tiny_llama.input_ids;
    expect(await tensorLeak(() => nextTokenNll(model, ids, { queryChunk: 2 }))).toBe(0);
    expect(await tensorLeak(() => generate(model, ids, { maxNewTokens: 3 }))).toBe(0);
    expect(await tensorLeak(() => generate(model, ids, { maxNewTokens: 3, temperature: 1, topK: 5, rng: 1 }))).toBe(0);
    model.dispose();
  });
});
