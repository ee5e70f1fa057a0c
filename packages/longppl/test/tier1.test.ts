import { describe, expect, it } from 'vitest';
import { defaultTier1Options } from '../src/index.js';
import { SYMBOL_BASE, runTier1Seed, safePearson, symbolsToText } from '../src/tier1.js';

describe('tier 1 helpers', () => {
  it('safePearson is NaN for a missing value or fewer than two points, else Pearson r', () => {
    expect(safePearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(safePearson([1, NaN, 3], [1, 2, 3])).toBeNaN();
    expect(safePearson([1], [1])).toBeNaN();
  });

  it('symbolsToText writes one printable character per symbol', () => {
    expect(symbolsToText(Int32Array.of(0, 1, 9))).toBe('019');
    expect(SYMBOL_BASE).toBe('0'.charCodeAt(0));
  });
});

describe('runTier1Seed', () => {
  const small = { ...defaultTier1Options, docsPerSeed: 2, windows: [16, 512], lambdas: [0.01], alphaSweep: [2] };

  it('is deterministic given the seed, with one row per zoo member', async () => {
    const a = await runTier1Seed(0, small);
    const b = await runTier1Seed(0, small);
    expect(a.rows.map((r) => r.method)).toEqual(['W=16,λ=0.01', 'W=512,λ=0.01']);
    expect(b).toEqual(a);
    // The unrestricted window retrieves the queried values; W = 16 cannot.
    expect(a.rows[1]!.metrics.accuracy).toBe(1);
    expect(a.rows[0]!.metrics.accuracy).toBe(0);
    expect(a.summary.keyTokenPrecision).toBeGreaterThan(0.5);
  });
});
