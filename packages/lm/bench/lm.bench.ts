import { bench, describe } from 'vitest';
import { Rng, initBackend } from '@lab/core';
import { CausalLM, generate, gpt2Config, llamaConfig, tokenNll } from '../src/index.js';

await initBackend('wasm');
// Tiny random models of both families (d = 64, 2 layers, byte-sized vocabulary): per-op overhead, not FLOPs.
const llama = CausalLM.random(
  llamaConfig({ vocabSize: 258, hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 172 }),
  { seed: 0 },
);
const gpt2 = CausalLM.random(gpt2Config({ vocabSize: 258, hiddenSize: 64, numLayers: 2, numHeads: 4 }), { seed: 0 });
const rng = new Rng(0);
const doc = Int32Array.from({ length: 1024 }, () => rng.int(256));
const prompt = doc.subarray(0, 32);

describe('LM stack (tiny models, wasm)', () => {
  for (const [name, model] of [
    ['LLaMA', llama],
    ['GPT-2', gpt2],
  ] as const) {
    bench(`${name}: per-token NLL of 1,024 tokens`, () => {
      tokenNll(model, doc).dispose();
    });
    bench(`${name}: greedy generation of 32 tokens (KV cache)`, () => {
      generate(model, prompt, { maxNewTokens: 32 });
    });
  }
});
