import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, gradCheck, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import { CausalLM } from '../src/causal-lm.js';
import { expectedParameterShapes, parseHfConfig, validateConfig } from '../src/families.js';
import { gpt2Config } from '../src/gpt2/config.js';
import { llamaConfig } from '../src/llama/config.js';
import { tokenNll } from '../src/nll.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('CausalLM', () => {
  const tiny = llamaConfig({
    vocabSize: 19,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    intermediateSize: 24,
    attentionBias: true,
    tieWordEmbeddings: true,
  });

  it('trains: gradients reach every parameter and input embeddings, and the loss falls', () => {
    const model = CausalLM.random(tiny, { seed: 3 });
    const ids = tf.tensor2d(
      [
        [1, 2, 3, 4, 5, 6, 7, 8],
        [8, 7, 6, 5, 4, 3, 2, 1],
      ],
      [2, 8],
      'int32',
    );
    const opt = tf.train.adam(0.03);
    const lossOf = () => tokenNll(model, ids).mean() as tf.Scalar;
    const first = tf.tidy(() => lossOf().dataSync()[0]!);
    tf.tidy(() => void opt.minimize(lossOf, false, model.trainableVariables()));
    const afterFirstStep = tf.memory().numTensors; // Adam's slots now exist
    for (let s = 0; s < 14; s++) tf.tidy(() => void opt.minimize(lossOf, false, model.trainableVariables()));
    expect(tf.memory().numTensors).toBe(afterFirstStep);
    const last = tf.tidy(() => lossOf().dataSync()[0]!);
    expect(last).toBeLessThan(first - 0.5);
    const { grads } = tf.variableGrads(lossOf, model.trainableVariables());
    for (const [name, g] of Object.entries(grads)) expect(g.abs().max().dataSync()[0], name).toBeGreaterThan(0);
    tf.dispose(Object.values(grads));
    const embGrad = tf.tidy(() => {
      const oneHot = tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 19).expandDims(0);
      return tf
        .grad((x: tf.Tensor) => {
          const e = tf.matMul(x, model.embeddingMatrix()) as tf.Tensor3D;
          return model
            .forward({ inputEmbeds: e, returnAttention: 'last' })
            .logits!.slice([0, 3, 5], [1, 1, 1])
            .sum() as tf.Scalar;
        })(oneHot)
        .abs()
        .sum()
        .dataSync()[0]!;
    });
    expect(embGrad).toBeGreaterThan(0);
    opt.dispose();
    ids.dispose();
    model.dispose();
  });

  it('attention probabilities are differentiable with respect to input embeddings (AttnGCG-style loss)', () => {
    const model = CausalLM.random(
      llamaConfig({ vocabSize: 11, hiddenSize: 8, numLayers: 2, numHeads: 2, numKvHeads: 1, intermediateSize: 12 }),
      { seed: 9, initStd: 0.5 },
    );
    const embeds = tf.randomNormal([1, 5, 8], 0, 1, 'float32', 3);
    const suffixAttention = (e: tf.Tensor) => {
      const { attentions, logits, hidden } = model.forward({
        inputEmbeds: e as tf.Tensor3D,
        returnAttention: 'last',
        queryChunk: 2,
      });
      tf.dispose([logits!, hidden]);
      return tf.mean(tf.slice(attentions.get(1)!, [0, 0, 3, 1], [1, 2, 2, 2])) as tf.Scalar; // rows 3–4 attending to keys 1–2
    };
    expect(gradCheck(suffixAttention, [embeds], { maxEntries: 16 }).passed).toBe(true);
    embeds.dispose();
    model.dispose();
  });

  it('is an nn Module: HF parameter names, freeze() for adapters, stateDict round trip, no leaks', async () => {
    const model = CausalLM.random(tiny, { seed: 2 });
    const names = Object.keys(model.namedParameters());
    expect(names[0]).toBe('model.embed_tokens.weight');
    expect(names).toContain('model.layers.1.self_attn.k_proj.bias');
    expect(model.numParameters()).toBe(model.trainableVariables().reduce((n, v) => n + v.size, 0));
    model.freeze();
    expect(model.trainableVariables()).toHaveLength(0);
    model.unfreeze();
    const other = CausalLM.random(tiny, { seed: 8 });
    other.loadStateDict(model.stateDict());
    const ids = [1, 2, 3];
    const a = tf.tidy(() => model.forward({ ids }).logits!.dataSync().slice());
    const b = tf.tidy(() => other.forward({ ids }).logits!.dataSync().slice());
    expect(maxRelativeError(b, a).error).toBe(0);
    other.dispose();
    model.dispose();
    expect(await tensorLeak(() => CausalLM.random(tiny, { seed: 1 }).dispose())).toBe(0);
  });

  it('adapters change the named linear and input capture sees every linear', () => {
    const model = CausalLM.random(tiny, { seed: 1 });
    const ids = [1, 2, 3, 4];
    const base = tf.tidy(() => model.forward({ ids }).logits!.dataSync().slice());
    const seen: string[] = [];
    tf.tidy(() => void model.forward({ ids, onLinearInput: (name) => seen.push(name) }));
    expect(seen).toEqual(model.linearNames());
    model.setAdapter('layers.1.self_attn.q_proj', (x, y) => tf.add(y, tf.mul(tf.matMul(x, tf.ones([16, 16])), 0.1)));
    const adapted = tf.tidy(() => model.forward({ ids }).logits!.dataSync().slice());
    expect(maxRelativeError(adapted, base).error).toBeGreaterThan(1e-4);
    model.setAdapter('layers.1.self_attn.q_proj', null);
    const again = tf.tidy(() => model.forward({ ids }).logits!.dataSync().slice());
    expect(maxRelativeError(again, base).error).toBe(0);
    expect(() => model.linear('layers.9.self_attn.q_proj')).toThrow(LabError);
    model.dispose();
  });
});

describe('architecture families', () => {
  it('each family builds exactly the parameters of its checkpoint layout, under the HF names', () => {
    for (const config of [
      llamaConfig({ vocabSize: 11, hiddenSize: 8, numLayers: 2, numHeads: 2, numKvHeads: 1, attentionBias: true }),
      gpt2Config({ vocabSize: 11, hiddenSize: 8, numLayers: 2, numHeads: 2, tieWordEmbeddings: false }),
    ]) {
      const model = CausalLM.random(config, { seed: 0 });
      const shapes = Object.entries(model.namedParameters()).map(([name, v]) => [name, v.shape]);
      expect(shapes.sort()).toEqual(expectedParameterShapes(config).sort());
      expect(model.linear('lm_head').weight.shape).toEqual([8, 11]);
      model.dispose();
    }
  });

  it('picks the family by architecture and model_type in one place', () => {
    expect(() => validateConfig({ ...llamaConfig(), architecture: 'bert' as never })).toThrow(
      /expected 'llama' or 'gpt2', got 'bert'/,
    );
    expect(() => parseHfConfig({ model_type: 'bert' })).toThrow(/expected one of llama, mistral, qwen2, gpt2/);
    expect(() => gpt2Config({ hiddenSize: 8, numHeads: 2, headDim: 3 })).toThrow(/GPT-2 needs headDim/);
    expect(() => llamaConfig({ hiddenSize: 6, numHeads: 2 })).toThrow(/RoPE needs an even head width/);
  });
});
