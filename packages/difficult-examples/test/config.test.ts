import { describe, expect, it } from 'vitest';
import {
  CRITERION_MIN_SEEDS,
  CRITERION_VARIANTS,
  POSITIVE_CONTROL,
  PRESETS,
  PRESET_CONFIGS,
  REPLICATION_VARIANTS,
  defaultDifficultLossOptions,
  defaultReplicateOptions,
  defaultSelectionOptions,
  defaultTrainOptions,
} from '../src/index.js';

describe('config', () => {
  it('has the presets quick, standard and full, each with its seeds, epochs and variants (spec §5)', () => {
    expect([...PRESETS]).toEqual(['quick', 'standard', 'full']);
    expect(PRESET_CONFIGS.quick).toEqual({
      seeds: 1,
      epochs: 10,
      variants: ['baseline', 'oracle_remove', 'inloss_combined'],
    });
    expect(PRESET_CONFIGS.full).toEqual({ seeds: 5, epochs: 20, variants: [...REPLICATION_VARIANTS] });
    // standard: the criterion's 5 seeds and six arms (inloss_remove enters no criterion), quick's 10 epochs.
    expect(PRESET_CONFIGS.standard).toEqual({ seeds: 5, epochs: 10, variants: [...CRITERION_VARIANTS] });
    expect(CRITERION_VARIANTS).not.toContain('inloss_remove');
    expect(POSITIVE_CONTROL).toMatchObject({
      variant: 'oracle_remove',
      metric: 'probeAcc',
      level: 0.95,
      ciLowAbove: 0,
    });
    expect(CRITERION_MIN_SEEDS).toBe(5);
    expect(defaultReplicateOptions.preset).toBe('standard');
  });

  it('keeps the paper defaults and freezes them', () => {
    expect(defaultSelectionOptions).toEqual({ posHigh: 0.1, posLow: 0.95, scope: 'global', excludePositive: true });
    expect(defaultDifficultLossOptions).toEqual({ temperature: 0.5, mode: 'combined', sigma: 0.1, rho: 0.7 });
    expect(defaultTrainOptions.loss).toEqual({ temperature: 0.5, sigma: 0.1, rho: 0.7 });
    expect(Object.isFrozen(defaultSelectionOptions)).toBe(true);
    expect(Object.isFrozen(PRESET_CONFIGS)).toBe(true);
  });
});
