import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import { CausalLM } from '../src/causal-lm.js';
import { gpt2Config } from '../src/gpt2/config.js';
import { llamaConfig } from '../src/llama/config.js';
import { maskedNll, tokenNll } from '../src/nll.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const V = 19;
const model = () =>
  CausalLM.random(llamaConfig({ vocabSize: V, hiddenSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 12 }), {
    seed: 2,
    initStd: 0.3,
  });
const ids = [
  [1, 4, 7, 2, 9, 3, 5],
  [6, 5, 4, 3, 2, 1, 0],
];
// Response-only: row 0 scores tokens 4..6, row 1 tokens 2 and 5..6.
const mask = [
  [0, 0, 0, 0, 1, 1, 1],
  [0, 0, 1, 0, 0, 1, 1],
];
const data = (t: tf.Tensor) => Array.from(t.dataSync());

describe('maskedNll', () => {
  it('equals tokenNll on the scored positions (none, sum, mean) and ignores position 0', () => {
    const m = model();
    const ids2 = tf.tensor2d(ids, [2, 7], 'int32');
    const full = tokenNll(m, ids2); // [2, 6]
    const ref = data(full);
    const want = ref.map((v, k) => (mask[Math.floor(k / 6)]![(k % 6) + 1] ? v : 0));
    const none = maskedNll(m, { ids: ids2, lossMask: mask }, { reduction: 'none' });
    expect(none.shape).toEqual([2, 6]);
    expect(maxRelativeError(data(none), want).error).toBeLessThan(1e-6);
    const sum = maskedNll(m, { ids: ids2, lossMask: tf.tensor2d(mask) }, { reduction: 'sum' });
    const scored = want.filter((_, k) => mask[Math.floor(k / 6)]![(k % 6) + 1]);
    expect(data(sum)[0]).toBeCloseTo(
      scored.reduce((a, b) => a + b, 0),
      4,
    );
    const mean = maskedNll(m, { ids: ids2, lossMask: mask });
    expect(data(mean)[0]).toBeCloseTo(scored.reduce((a, b) => a + b, 0) / scored.length, 5);
    const all = maskedNll(m, { ids: ids2, lossMask: [Array(7).fill(1), Array(7).fill(1)] });
    expect(data(all)[0]).toBeCloseTo(ref.reduce((a, b) => a + b, 0) / ref.length, 5);
    tf.dispose([ids2, full, none, sum, mean, all]);
    m.dispose();
  });

  it('takes inputEmbeds with targets (one-hot · embeddings, differentiable) and gives the same NLL as ids', () => {
    const m = model();
    const byIds = maskedNll(m, { ids: ids[0]!, lossMask: mask[0]! }, { reduction: 'none' });
    const oneHot = tf.oneHot(tf.tensor1d(ids[0]!, 'int32'), V).expandDims(0) as tf.Tensor3D; // [1, T, V]
    const loss = (x: tf.Tensor) =>
      maskedNll(m, {
        inputEmbeds: tf.matMul(x as tf.Tensor3D, m.embeddingMatrix()) as tf.Tensor3D,
        targets: ids[0]!,
        lossMask: mask[0]!,
      });
    const byEmbeds = tf.tidy(() =>
      maskedNll(
        m,
        { inputEmbeds: tf.matMul(oneHot, m.embeddingMatrix()) as tf.Tensor3D, targets: ids[0]!, lossMask: mask[0]! },
        { reduction: 'none' },
      ),
    );
    expect(maxRelativeError(data(byEmbeds), data(byIds)).error).toBeLessThan(1e-5);
    const g = tf.grad((x: tf.Tensor) => loss(x) as tf.Scalar)(oneHot); // [1, T, V]
    expect(g.shape).toEqual([1, 7, V]);
    expect(data(g).every(Number.isFinite)).toBe(true);
    expect(data(g).some((v) => v !== 0)).toBe(true);
    tf.dispose([byIds, oneHot, byEmbeds, g]);
    m.dispose();
  });

  it('sends only the scored rows to the head, in blocks of maxLogits / V rows (never [B, T, V])', () => {
    const m = model();
    const rows: number[] = [];
    const head = m.head.bind(m);
    m.head = (h: tf.Tensor2D) => {
      rows.push(h.shape[0]);
      return head(h);
    };
    tf.tidy(() => void maskedNll(m, { ids: tf.tensor2d(ids, [2, 7], 'int32'), lossMask: mask }, { maxLogits: 2 * V }));
    expect(Math.max(...rows)).toBeLessThanOrEqual(2);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(6); // 3 + 3 scored targets, not 2 · 7
    m.dispose();
  });

  it('works on GPT-2 and leaves tf.memory() flat', async () => {
    const g = CausalLM.random(
      gpt2Config({ vocabSize: V, hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositionEmbeddings: 16 }),
      {
        seed: 3,
      },
    );
    expect(
      await tensorLeak(() => {
        maskedNll(g, { ids: ids[1]!, lossMask: mask[1]! }).dispose();
        maskedNll(g, { ids: ids[1]!, lossMask: mask[1]! }, { reduction: 'none' }).dispose();
      }),
    ).toBe(0);
    g.dispose();
  });

  it('refuses bad inputs with a LabError naming them', () => {
    const m = model();
    const e = tf.zeros([1, 7, 8]) as tf.Tensor3D;
    expect(() => maskedNll(m, { ids: ids[0]!, inputEmbeds: e, lossMask: mask[0]! })).toThrow(
      /exactly one of ids or inputEmbeds/,
    );
    expect(() => maskedNll(m, { inputEmbeds: e, lossMask: mask[0]! })).toThrow(/targets: expected target ids/);
    expect(() => maskedNll(m, { ids: ids[0]!, lossMask: [1, 1] })).toThrow(/lossMask: expected \[1, 7\]/);
    expect(() => maskedNll(m, { ids: ids[0]!, lossMask: [1, 0, 0, 0, 0, 0, 0] })).toThrow(LabError); // nothing scored
    expect(() => maskedNll(m, { ids: ids[0]!, lossMask: mask[0]! }, { reduce: 'sum' } as never)).toThrow(
      /unknown option 'reduce'/,
    );
    expect(() => maskedNll(m, { inputEmbeds: e, targets: [1, 2], lossMask: [1, 1] })).toThrow(
      /targets: expected \[1, 7\]/,
    );
    e.dispose();
    m.dispose();
  });
});
