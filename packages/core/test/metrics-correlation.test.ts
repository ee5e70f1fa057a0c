import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pearson, quantile, rankData, spearman } from '@lab/core';

const golden = JSON.parse(readFileSync(new URL('./fixtures/metrics_golden.json', import.meta.url), 'utf8'));

describe('quantile, rankData, pearson, spearman (numpy/scipy golden)', () => {
  it('quantile matches numpy linear interpolation', () => {
    const { values, q, expected } = golden.quantile;
    q.forEach((p: number, i: number) => expect(quantile(values, p)).toBeCloseTo(expected[i], 14));
    expect(quantile(values, q)).toHaveLength(q.length);
    expect(quantile(Float32Array.of(1, 2, 3, 4), 0.5)).toBe(2.5);
    expect(() => quantile([], 0.5)).toThrow(/values/);
    expect(() => quantile([1, 2], 1.5)).toThrow(/q/);
    expect(() => quantile([1, NaN], 0.5)).toThrow(/finite/);
  });
  it('rankData averages ties as scipy', () => {
    expect(Array.from(rankData(golden.correlation.a))).toEqual(golden.correlation.rankdata_a);
  });
  it('pearson and spearman match numpy/scipy, ties included', () => {
    const { a, b, c } = golden.correlation;
    expect(pearson(a, b)).toBeCloseTo(golden.correlation.pearson_ab, 12);
    expect(spearman(a, b)).toBeCloseTo(golden.correlation.spearman_ab, 12);
    expect(spearman(a, c)).toBeCloseTo(golden.correlation.spearman_ac, 12);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 14);
    expect(spearman([1, 2, 3], [9, 4, 1])).toBeCloseTo(-1, 14);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => pearson([1, 2], [1])).toThrow(/b: expected 2/);
    expect(() => spearman([1], [1])).toThrow(/at least 2/);
  });
});
