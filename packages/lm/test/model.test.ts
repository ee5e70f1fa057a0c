import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '@lab/core';
import { initBackend } from '@lab/core';
import { LabError } from '@lab/core';
import { flatten, gradCheck, maxRelativeError, tensorLeak } from '@lab/core';
import { CausalLM, KVCache } from '../src/model.js';
import { gpt2Config, llamaConfig } from '../src/config.js';
import { applyRope, ropeCosSin, ropeFrequencies } from '../src/rope.js';
import { causalAttention } from '../src/attention.js';
import { nextTokenNll, tokenNll } from '../src/nll.js';
import { generate } from '../src/generate.js';
import { goldenTinyGpt2, goldenTinyLlama, golden } from './helpers.js';
import gpt2Golden from './fixtures/lm-gpt2-golden.json';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('rope (golden)', () => {
  for (const c of golden.rope.cases) {
    it(`matches cos, sin and rotated x at linear factor ${c.linear_factor}`, () => {
      const freqs = ropeFrequencies(
        golden.rope.head_dim,
        golden.rope.base,
        c.linear_factor === 1 ? null : { type: 'linear', factor: c.linear_factor },
      );
      const { cos, sin } = ropeCosSin(c.positions, freqs);
      const x = tf.tensor2d(golden.rope.x);
      const rotated = applyRope(x, cos, sin);
      expect(maxRelativeError(cos.dataSync(), flatten(c.cos), 1e-6).error).toBeLessThan(1e-6);
      expect(maxRelativeError(sin.dataSync(), flatten(c.sin), 1e-6).error).toBeLessThan(1e-6);
      expect(maxRelativeError(rotated.dataSync(), flatten(c.rotated), 1e-6).error).toBeLessThan(1e-5);
      tf.dispose([cos, sin, x, rotated]);
    });
  }

  it('implements the HF llama3, YaRN and dynamic-NTK frequency rules', () => {
    const base = ropeFrequencies(16, 500000).invFreq;
    const l3 = ropeFrequencies(16, 500000, {
      type: 'llama3',
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    }).invFreq;
    // High frequencies (short wavelengths) are unchanged; the lowest is divided by the factor.
    expect(l3[0]).toBeCloseTo(base[0]!, 12);
    expect(l3[7]! / base[7]!).toBeCloseTo(1 / 8, 12);
    const yarn = ropeFrequencies(16, 10000, { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 2048 });
    const plain = ropeFrequencies(16, 10000).invFreq;
    expect(yarn.attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 12);
    expect(yarn.invFreq[0]).toBeCloseTo(plain[0]!, 12);
    expect(yarn.invFreq[7]! / plain[7]!).toBeCloseTo(1 / 4, 12);
    // Dynamic NTK: unchanged within the original context, larger base beyond it.
    const dynShort = ropeFrequencies(
      16,
      10000,
      { type: 'dynamic', factor: 2, originalMaxPositionEmbeddings: 100 },
      50,
    ).invFreq;
    const dynLong = ropeFrequencies(
      16,
      10000,
      { type: 'dynamic', factor: 2, originalMaxPositionEmbeddings: 100 },
      200,
    ).invFreq;
    expect(dynShort[3]).toBeCloseTo(plain[3]!, 12);
    const expectedBase = 10000 * ((2 * 200) / 100 - 1) ** (16 / 14);
    expect(dynLong[3]).toBeCloseTo(1 / expectedBase ** (6 / 16), 12);
  });
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

describe('attention', () => {
  it('sliding window equals a dense masked reference, chunked or not', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([1, 2, 7, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
      const k = tf.randomNormal([1, 1, 7, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
      const v = tf.randomNormal([1, 1, 7, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
      const W = 3;
      const mask = tf.tensor2d(
        Array.from({ length: 49 }, (_, idx) => {
          const i = Math.floor(idx / 7),
            j = idx % 7;
          return j <= i && j > i - W ? 0 : -1e9;
        }),
        [7, 7],
      );
      const kk = tf.tile(k, [1, 2, 1, 1]);
      const vv = tf.tile(v, [1, 2, 1, 1]);
      const ref = tf.matMul(tf.softmax(tf.add(tf.div(tf.matMul(q, kk, false, true), 2), mask)), vv);
      for (const queryChunk of [1, 3, 7]) {
        const { output, probs } = causalAttention(q, k, v, { window: W, queryChunk, returnProbs: true });
        expect(maxRelativeError(output.dataSync(), ref.dataSync(), 1e-5).error).toBeLessThan(1e-4);
        expect(probs!.shape).toEqual([1, 2, 7, 7]);
      }
    });
  });

  it('has correct gradients with respect to q, k and v (chunked)', () => {
    const q = tf.randomNormal([1, 2, 5, 4], 0, 1, 'float32', 4);
    const k = tf.randomNormal([1, 1, 5, 4], 0, 1, 'float32', 5);
    const v = tf.randomNormal([1, 1, 5, 4], 0, 1, 'float32', 6);
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, { queryChunk: 2, window: 3 })
        .output.square()
        .sum() as tf.Scalar;
    const res = gradCheck(f, [q, k, v]);
    expect(res.passed).toBe(true);
    tf.dispose([q, k, v]);
  });
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
