import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, maxRelativeError, tf } from '@lab/core';
import { CausalLM } from '../src/causal-lm.js';
import { gpt2Config } from '../src/gpt2/config.js';
import { tokenNll } from '../src/nll.js';
import { generate } from '../src/generate.js';
import { loadCausalLM, saveCausalLM } from '../src/hf.js';
import { goldenTinyGpt2 } from './helpers.js';
import gpt2Golden from './fixtures/lm-gpt2-golden.json';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('tiny GPT-2 (golden of icl-ood_golden.py::gpt2_icl_forward)', () => {
  it('fed input embeddings, matches the golden predictions (LayerNorm, gelu_new, fused c_attn, learned positions)', () => {
    const g = gpt2Golden.tiny_gpt2;
    const { model, readIn, readInBias, readOut } = goldenTinyGpt2(g.config);
    const E = g.config.n_embd;
    const preds = tf.tidy(() => {
      const z = tf.tensor2d(g.zs); // [T, d]
      const embeds = tf
        .add(tf.matMul(z, tf.tensor2d(readIn, [E, g.config.n_dims]), false, true), readInBias)
        .expandDims(0) as tf.Tensor3D;
      const { hidden } = model.forward({ inputEmbeds: embeds, logits: false });
      const out = tf
        .add(tf.matMul(hidden.reshape([-1, E]), tf.tensor2d(readOut, [1, E]), false, true), 0.1)
        .reshape([-1]);
      return Array.from(out.dataSync()).filter((_, i) => i % 2 === 0);
    });
    expect(maxRelativeError(preds, g.predictions, 1e-5).error).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('GPT-2', () => {
  it('GPT-2: gradients reach every parameter (positions through slice, embeddings through gather or one-hot)', () => {
    const model = CausalLM.random(
      gpt2Config({
        vocabSize: 13,
        hiddenSize: 8,
        numLayers: 2,
        numHeads: 2,
        maxPositionEmbeddings: 16,
        tieWordEmbeddings: false,
      }),
      { seed: 6 },
    );
    const ids = tf.tensor2d(
      [
        [1, 2, 3, 4, 5, 6],
        [6, 5, 4, 3, 2, 1],
      ],
      [2, 6],
      'int32',
    );
    const { value, grads } = tf.variableGrads(
      () => tokenNll(model, ids).mean() as tf.Scalar,
      model.trainableVariables(),
    );
    for (const [name, g] of Object.entries(grads)) {
      // Rows of wpe beyond the sequence get no gradient; every other parameter must.
      const total = name.includes('wpe') ? g.slice([0, 0], [6, 8]).abs().sum() : g.abs().sum();
      expect(total.dataSync()[0], name).toBeGreaterThan(0);
      total.dispose();
    }
    tf.dispose([value, ids, ...Object.values(grads)]);
    model.dispose();
  });

  it('GPT-2: cached generation equals uncached greedy decoding; bad ids throw', () => {
    const model = CausalLM.random(
      gpt2Config({ vocabSize: 23, hiddenSize: 16, numLayers: 2, numHeads: 2, maxPositionEmbeddings: 32 }),
      { seed: 2, initStd: 0.5 },
    );
    const prompt = [3, 4, 5];
    const fast = generate(model, prompt, { maxNewTokens: 5, eosTokenId: null });
    const slow: number[] = [...prompt];
    for (let s = 0; s < 5; s++) {
      const next = tf.tidy(() => {
        const { logits } = model.forward({ ids: slow });
        return logits!
          .slice([0, slow.length - 1, 0], [1, 1, 23])
          .reshape([23])
          .argMax()
          .dataSync()[0]!;
      });
      slow.push(next);
    }
    expect(Array.from(fast)).toEqual(slow.slice(3));
    expect(() => model.forward({ ids: [0, 23] })).toThrow(/outside the vocabulary/);
    expect(() => generate(model, [], { maxNewTokens: 1 })).toThrow(LabError);
    model.dispose();
  });
});

describe('GPT-2 without a token embedding (vocabSize 0, continuous inputs)', () => {
  it('has no wte and no head, runs on inputEmbeds, refuses ids and logits, and round-trips through a folder', () => {
    const config = gpt2Config({ vocabSize: 0, hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositionEmbeddings: 8 });
    const model = CausalLM.random(config, { seed: 2 });
    expect([...model.params.keys()].some((n) => n.includes('wte') || n.includes('lm_head'))).toBe(false);
    const embeds = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 3) as tf.Tensor3D;
    const out = model.forward({ inputEmbeds: embeds });
    expect(out.logits).toBeUndefined();
    expect(out.hidden.shape).toEqual([2, 5, 8]);
    expect(() => model.forward({ ids: [0, 1] })).toThrow(/vocabSize 0/);
    expect(() => model.head(tf.zeros([1, 8]) as tf.Tensor2D)).toThrow(LabError);
    const dir = mkdtempSync(join(tmpdir(), 'lab-novocab-'));
    saveCausalLM(model, dir);
    const back = loadCausalLM(dir);
    const again = back.forward({ inputEmbeds: embeds });
    expect(maxRelativeError(again.hidden.dataSync(), out.hidden.dataSync()).error).toBe(0);
    tf.dispose([embeds, out.hidden, again.hidden]);
    back.dispose();
    model.dispose();
  });
});
