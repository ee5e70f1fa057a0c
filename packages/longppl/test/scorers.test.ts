import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, tensorLeak, tf } from '@lab/core';
import { ByteTokenizer, CausalLM, llamaConfig, nextTokenNll, precomputedScorer, scorerKey, tokenNll } from '@lab/lm';
import { computeLongPPL, findKeySpans, longCELoss, scoredModel, selfLongCEWeights, tfjsScorer } from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const text = 'abcabcabc hello world, abcabcabc hello world!';

describe('scorers over @lab/core models', () => {
  let model: CausalLM;
  const tokenizer = new ByteTokenizer();
  beforeAll(() => {
    model = CausalLM.random(
      llamaConfig({ vocabSize: 258, hiddenSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 1, intermediateSize: 32 }),
      { seed: 4, initStd: 0.2 },
    );
  });

  it('computeLongPPL with a tfjs evaluator equals the same run through precomputed losses, and leaks nothing', async () => {
    const pair = scoredModel(model, tokenizer, { queryChunk: 8 });
    const opts = { truncLen: 16, slidingWindow: 8, alpha: 0, beta: -10 };
    const direct = await computeLongPPL(text, pair, pair, opts);
    expect(direct.nKey).toBeGreaterThan(0);
    // Precompute every sequence the run scores (full text and its windows).
    const table = new Map<string, Float32Array>();
    const ids = tokenizer.encode(text);
    table.set(scorerKey(ids), nextTokenNll(model, ids));
    for (let s = 0; s < ids.length - 16; s += 8) {
      const sub = ids.slice(s, Math.min(ids.length, s + 24));
      table.set(scorerKey(sub), nextTokenNll(model, sub));
    }
    const pre = { scorer: precomputedScorer(table), tokenizer };
    expect(await computeLongPPL(text, pre, pre, opts)).toEqual(direct);
    expect(await tensorLeak(() => computeLongPPL(text, pair, pair, opts))).toBe(0);
    await expect(precomputedScorer(new Map()).nextTokenNll(Int32Array.of(1, 2))).rejects.toThrow(/no losses/);
  });

  it('rejects a tokenizer whose ids do not fit the model, and BOS on short windows without a BOS token', async () => {
    const small = CausalLM.random(
      llamaConfig({ vocabSize: 100, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8 }),
      { seed: 0 },
    );
    expect(() => scoredModel(small, tokenizer)).toThrow(LabError);
    expect(() => scoredModel(small, tokenizer)).toThrow(/vocabulary \(258 ids\) does not fit the model's \(100 ids\)/);
    small.dispose();
    const noBos = {
      scorer: tfjsScorer(model),
      tokenizer: {
        ...tokenizer,
        bosTokenId: null,
        encodeWithOffsets: tokenizer.encodeWithOffsets.bind(tokenizer),
        encode: tokenizer.encode.bind(tokenizer),
        decode: tokenizer.decode.bind(tokenizer),
        vocabSize: 258,
        eosTokenId: null,
      },
    };
    await expect(
      findKeySpans(text, noBos, { truncLen: 16, slidingWindow: 8, prependBosToShort: true }),
    ).rejects.toThrow(/BOS/);
    await expect(findKeySpans(text, scoredModel(model, tokenizer), { alpha: NaN })).rejects.toThrow(/alpha/);
    await expect(findKeySpans(text, scoredModel(model, tokenizer), { truncLen: 0 })).rejects.toThrow(/truncLen/);
  });

  it('LongCE trains a CausalLM: weights from the model itself, gradient through tokenNll only', async () => {
    const ids = tokenizer.encode(text);
    const w = await selfLongCEWeights(ids, tfjsScorer(model), { truncLen: 16, slidingWindow: 8, cap: 5 });
    expect(w.length).toBe(ids.length - 1);
    expect(Math.max(...w)).toBeLessThanOrEqual(5);
    const { value, grads } = tf.variableGrads(
      () => longCELoss(tokenNll(model, ids).reshape([ids.length - 1]) as tf.Tensor1D, w),
      model.trainableVariables(),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.values(grads).some((g) => g.abs().sum().dataSync()[0]! > 0)).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
  });
});
