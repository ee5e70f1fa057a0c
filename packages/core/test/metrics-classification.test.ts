import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, accuracy, initBackend, rocAuc, tf } from '@lab/core';

const golden = JSON.parse(readFileSync(new URL('./fixtures/metrics_golden.json', import.meta.url), 'utf8'));

beforeAll(async () => {
  await initBackend('wasm');
});

describe('accuracy', () => {
  it('counts matches from ids or from logits', () => {
    expect(accuracy([0, 1, 1], [0, 1, 0])).toBeCloseTo(2 / 3, 12);
    const logits = tf.tensor2d([
      [2, 1],
      [0, 3],
      [5, 4],
    ]);
    expect(accuracy(logits, Int32Array.of(0, 1, 1))).toBeCloseTo(2 / 3, 12);
    logits.dispose();
  });
  it('rejects mismatched or bad input', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/predictions: expected 1/);
    expect(() => accuracy([], [])).toThrow(LabError);
    expect(() => accuracy([0.5], [0])).toThrow(/predictions/);
  });
});

describe('rocAuc (sklearn golden)', () => {
  it('rocAuc matches the pairwise definition with ties', () => {
    expect(rocAuc(golden.roc_auc.labels, golden.roc_auc.scores)).toBeCloseTo(golden.roc_auc.expected, 12);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(() => rocAuc([1, 1], [0.1, 0.2])).toThrow(/both classes/);
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/binary/);
  });
});
