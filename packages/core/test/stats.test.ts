import { describe, expect, it } from 'vitest';
import { LabError, pairedStatistics, signFlipPValue, studentTCdf, studentTQuantile } from '@lab/core';

// Reference values from scipy.stats (float64): t.ppf, t.cdf; sign flips enumerated with itertools.product.
describe('paired statistics', () => {
  it("matches scipy's Student t quantiles and CDF", () => {
    const ppf975 = [12.706204736174694, 4.302652729749462, 2.7764451051977934, 2.262157162798205, 2.045229642132703];
    [1, 2, 4, 9, 29].forEach((df, i) => expect(studentTQuantile(0.975, df)).toBeCloseTo(ppf975[i]!, 9));
    const cdf3 = [0.02883444281121865, 0.3257239824240755, 0.5, 0.8577662456360515, 0.9970068721511465];
    [-3, -0.5, 0, 1.3, 7].forEach((t, i) => expect(studentTCdf(t, 3)).toBeCloseTo(cdf3[i]!, 12));
    expect(studentTCdf(2.2, 9.5)).toBeCloseTo(0.9730941214535371, 12);
  });

  it('gives the t interval and the exact sign-flip p-value', () => {
    const s = pairedStatistics([1.2, 0.4, 0.9, 1.5, 0.7]);
    expect(s.mean).toBeCloseTo(0.94, 12);
    expect(s.ci.low).toBeCloseTo(0.4088347755625654, 10);
    expect(s.ci.high).toBeCloseTo(1.4711652244374347, 10);
    expect(s.pValue).toBe(0.0625); // 2 of 32 patterns: all positive or all negative
    expect(s.positive).toBe(5);
    expect(signFlipPValue([0.3, -0.1, 0.5, 0.2, -0.4, 0.6, 0.1, 0.0, 0.25, 0.35])).toBeCloseTo(0.09765625, 12);
    expect(signFlipPValue([0, 0, 0])).toBe(1);
    const one = pairedStatistics([0.5]);
    expect(Number.isNaN(one.ci.low)).toBe(true);
    expect(one.pValue).toBe(1);
  });

  it('refuses bad input', () => {
    expect(() => pairedStatistics([])).toThrow(LabError);
    expect(() => pairedStatistics([1, 2], 1.5)).toThrow(/level: expected a number > 0 and < 1/);
    expect(() => signFlipPValue(new Array(21).fill(1))).toThrow(/at most 20 pairs, got 21/);
    expect(() => signFlipPValue([1, Number.NaN])).toThrow(/finite/);
    expect(() => studentTQuantile(1, 3)).toThrow(/p: expected/);
    expect(() => studentTCdf(1, 0)).toThrow(/df: expected/);
  });
});
