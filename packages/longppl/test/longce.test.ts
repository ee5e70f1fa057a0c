import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorLeak, tf } from '@lab/core';
import { CausalLM, llamaConfig, tfjsScorer } from '@lab/lm';
import { batchLongCEWeights, longCELoss, selfLongCEWeights, trainStep } from '../src/index.js';
import { relErr } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const config = llamaConfig({ vocabSize: 12, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 16 });
const B = 3;
const n = 20;
const ids = Int32Array.from({ length: B * n }, (_, i) => (i * 7 + Math.floor(i / 5)) % 12); // [3, 20]

describe('batchLongCEWeights', () => {
  it('equals selfLongCEWeights row by row (windows of two lengths: n − K = 14 is not a multiple of d = 4)', async () => {
    const model = CausalLM.random(config, { seed: 3, initStd: 0.5 });
    const o = { truncLen: 6, slidingWindow: 4, cap: 5 };
    const w = batchLongCEWeights(model, ids, B, n, o);
    expect(w).toHaveLength(B * (n - 1));
    for (let b = 0; b < B; b++) {
      const ref = await selfLongCEWeights(ids.slice(b * n, (b + 1) * n), tfjsScorer(model), o);
      expect(relErr(w.subarray(b * (n - 1), (b + 1) * (n - 1)), ref)).toBeLessThan(1e-5);
      expect(Array.from(ref.subarray(0, o.truncLen - 1))).toEqual(new Array(o.truncLen - 1).fill(1)); // targets < K
    }
    expect(Math.max(...w)).toBeLessThanOrEqual(5);
    expect(w.some((v) => v !== 1)).toBe(true);
    model.dispose();
  });
});

describe('longCELoss gradient', () => {
  it('d loss / d nll = w / (n − 1): the weights carry no gradient, the sum is divided by n − 1, not Σw', () => {
    const w = Float32Array.from([1, 5, 0.25, 2]);
    const g = tf.grad((nll) => longCELoss(nll as tf.Tensor1D, w))(tf.tensor1d([0.3, 2, 0.1, 1]));
    expect(
      relErr(
        g.dataSync(),
        Array.from(w, (v) => v / 4),
      ),
    ).toBeLessThan(1e-6);
    g.dispose();
  });
});

describe('trainStep', () => {
  it('LongCE without windows (K ≥ n: every weight 1) takes exactly the CE step', () => {
    const a = CausalLM.random(config, { seed: 5 });
    const b = CausalLM.random(config, { seed: 5 });
    const oa = tf.train.sgd(0.5);
    const ob = tf.train.sgd(0.5);
    const ra = trainStep(a, oa, ids, B, n, 'ce');
    const rb = trainStep(b, ob, ids, B, n, 'longce', { truncLen: n, slidingWindow: 4 });
    expect(rb.loss).toBeCloseTo(ra.loss, 6);
    expect(rb.meanWeight).toBe(1);
    expect(rb.upweightedShare).toBe(0);
    for (const [name, v] of a.params)
      expect(relErr(v.dataSync(), b.params.get(name)!.dataSync(), 1e-3)).toBeLessThan(1e-5);
    [a, b, oa, ob].forEach((x) => x.dispose());
  });

  it('LongCE re-weights the CE of the same forward pass and frees every tensor', async () => {
    const model = CausalLM.random(config, { seed: 3, initStd: 0.5 });
    const optimizer = tf.train.adam(1e-3);
    const w = batchLongCEWeights(model, ids, B, n, { truncLen: 6, slidingWindow: 4 });
    let r: ReturnType<typeof trainStep> | undefined;
    // The optimiser's moment variables are created on the first step: warm it up before counting tensors.
    trainStep(model, optimizer, ids, B, n, 'longce', { truncLen: 6, slidingWindow: 4 });
    expect(
      await tensorLeak(() => {
        r = trainStep(model, optimizer, ids, B, n, 'longce', { truncLen: 6, slidingWindow: 4 });
      }),
    ).toBe(0);
    expect(r!.meanWeight).not.toBe(1);
    expect(r!.loss).not.toBeCloseTo(r!.ce, 4);
    expect(w.some((v) => v > 1)).toBe(true);
    model.dispose();
    optimizer.dispose();
  });
});
