import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRESET,
  PRESETS,
  PRESET_CONFIGS,
  defaultLongCEOptions,
  defaultLongPPLOptions,
  defaultLongPPLReplicateOptions,
  resolveLongCEOptions,
  resolveLongPPLOptions,
} from '../src/index.js';

describe('options', () => {
  it('resolve to the official defaults (K = 4096, d = 1024, α = 2, β = −2, γ = 5)', () => {
    expect(resolveLongPPLOptions()).toEqual(defaultLongPPLOptions);
    expect(resolveLongPPLOptions({ alpha: 1, beta: -3 })).toEqual({ ...defaultLongPPLOptions, alpha: 1, beta: -3 });
    expect(defaultLongPPLOptions).toMatchObject({ truncLen: 4096, slidingWindow: 1024, alpha: 2, beta: -2 });
    expect(resolveLongCEOptions({ cap: 2 })).toEqual({ ...defaultLongCEOptions, cap: 2 });
  });

  it('are checked strictly: unknown keys, types and ranges name the key', () => {
    expect(() => resolveLongPPLOptions({ trunc_len: 8 } as never)).toThrow(/unknown option 'trunc_len'/);
    expect(() => resolveLongPPLOptions({ truncLen: '8' } as never)).toThrow(/truncLen: expected number, got string/);
    expect(() => resolveLongPPLOptions({ slidingWindow: 1.5 })).toThrow(/slidingWindow: expected an integer >= 1/);
    expect(() => resolveLongPPLOptions({ beta: -Infinity })).toThrow(/beta: expected a finite number/);
    expect(() => resolveLongCEOptions({ cap: 0 })).toThrow(/cap: expected a number > 0, got 0/);
  });
});

describe('presets', () => {
  it('quick runs tier 1 (CI), standard (the default) and full add tier 2 over 5 and 10 paired seeds', () => {
    expect(PRESETS).toEqual(['quick', 'standard', 'full']);
    expect(DEFAULT_PRESET).toBe('standard');
    expect(PRESET_CONFIGS).toEqual({
      quick: { seeds: 3, tiers: [1] },
      standard: { seeds: 5, tiers: [1, 2] },
      full: { seeds: 10, tiers: [1, 2] },
    });
    expect(defaultLongPPLReplicateOptions).toMatchObject({ defaultPreset: 'standard', seeds: 5, quickTiers: [1] });
  });
});
