import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorLeak } from '@lab/core';
import { CausalLM } from '../src/causal-lm.js';
import { generate, generateGreedyBatch } from '../src/generate.js';
import { gpt2Config } from '../src/gpt2/config.js';
import { llamaConfig } from '../src/llama/config.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const prompts = [
  [1, 2, 3, 4],
  [7, 7, 1, 0],
  [5, 9, 2, 8],
];

describe('generateGreedyBatch', () => {
  for (const [name, config] of [
    [
      'llama (GQA, sliding window)',
      llamaConfig({
        vocabSize: 13,
        hiddenSize: 8,
        numLayers: 2,
        numHeads: 2,
        numKvHeads: 1,
        intermediateSize: 12,
        slidingWindow: 5,
      }),
    ],
    ['gpt2', gpt2Config({ vocabSize: 13, hiddenSize: 8, numLayers: 2, numHeads: 2, maxPositionEmbeddings: 32 })],
  ] as const) {
    it(`${name}: agrees token by token with generate, row by row`, () => {
      const model = CausalLM.random(config, { seed: 11, initStd: 0.5 });
      const batch = generateGreedyBatch(model, prompts, { maxNewTokens: 9 });
      for (let b = 0; b < prompts.length; b++)
        expect(Array.from(batch[b]!)).toEqual(Array.from(generate(model, prompts[b]!, { maxNewTokens: 9 })));
      model.dispose();
    });
  }

  it('stops each row at its end-of-sequence token, as generate does', () => {
    const model = CausalLM.random(
      llamaConfig({ vocabSize: 13, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12 }),
      {
        seed: 12,
        initStd: 0.6,
      },
    );
    const free = generateGreedyBatch(model, prompts, { maxNewTokens: 8, eosTokenId: null });
    const eos = [free[0]![2]!, free[1]![0]!];
    const stopped = generateGreedyBatch(model, prompts, { maxNewTokens: 8, eosTokenId: eos });
    for (let b = 0; b < prompts.length; b++) {
      expect(Array.from(stopped[b]!)).toEqual(
        Array.from(generate(model, prompts[b]!, { maxNewTokens: 8, eosTokenId: eos })),
      );
      if (stopped[b]!.length < 8) expect(eos).toContain(stopped[b]![stopped[b]!.length - 1]);
    }
    model.dispose();
  });

  it('refuses unequal lengths and bad options, and leaves tf.memory() flat', async () => {
    const model = CausalLM.random(
      llamaConfig({ vocabSize: 13, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12 }),
      {
        seed: 13,
      },
    );
    expect(() => generateGreedyBatch(model, [[1, 2], [3]], { maxNewTokens: 2 })).toThrow(
      /prompts\[1\]: expected 2 tokens/,
    );
    expect(() => generateGreedyBatch(model, [], { maxNewTokens: 2 })).toThrow(/at least one prompt/);
    expect(() => generateGreedyBatch(model, prompts, {} as never)).toThrow(/maxNewTokens/);
    expect(() => generateGreedyBatch(model, prompts, { maxNewTokens: 2, temperature: 1 } as never)).toThrow(
      /unknown option 'temperature'/,
    );
    expect(() => generateGreedyBatch(model, [[1, 99]], { maxNewTokens: 2 })).toThrow(/outside the vocabulary/);
    expect(await tensorLeak(() => void generateGreedyBatch(model, prompts, { maxNewTokens: 3 }))).toBe(0);
    model.dispose();
  });
});
