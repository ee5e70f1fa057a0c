import { describe, expect, it } from 'vitest';
import { strictOptions } from '@lab/core';
import {
  CIA_CRITERIA,
  PRESETS,
  PRESET_CONFIGS,
  defaultCiaReplicateOptions,
  defaultLraOptions,
  defaultNodeOODOptions,
  lraOptionChecks,
  nodeOODMethods,
  nodeOODOptionChecks,
  replicationLambdas,
} from '../src/config.js';

describe('config', () => {
  it('has one configuration per preset, quick first', () => {
    expect(PRESETS).toEqual(['quick', 'standard', 'full']);
    expect(Object.keys(PRESET_CONFIGS)).toEqual([...PRESETS]);
    expect(defaultCiaReplicateOptions.preset).toBe('standard');
  });

  it('standard and full follow issue 17: GOOD split, 10 steps per epoch, 10 graphs, both label scopes', () => {
    expect(PRESET_CONFIGS.full.hidden).toBe(300);
    expect(PRESET_CONFIGS.standard.hidden).toBe(64); // hidden 300 does not fit the time budget (README)
    for (const preset of ['standard', 'full'] as const) {
      const c = PRESET_CONFIGS[preset];
      expect(c).toMatchObject({ split: 'good', stepsPerEpoch: 10, sampler: 'roots', seeds: 10 });
      expect(c.arms).toEqual(expect.arrayContaining(['erm', 'cia-lra', 'cia-lra-all']));
      expect(c.grid.length).toBeGreaterThanOrEqual(2);
      // The positive control's graphs are never comparison graphs.
      for (const s of c.calibrationSeeds) expect(s).toBeGreaterThanOrEqual(c.seeds);
    }
    expect(PRESET_CONFIGS.full.epochs).toBe(200);
    expect(CIA_CRITERIA).toEqual({ ermHeadroom: 0.85, minGainPoints: 1, minNonNegativeFraction: 0.7, minSeeds: 10 });
  });

  it('the defaults pass their own checks, and every method has a replication λ', () => {
    expect(strictOptions({}, defaultLraOptions, 'lra', lraOptionChecks)).toEqual(defaultLraOptions);
    expect(strictOptions({}, defaultNodeOODOptions, 'train', nodeOODOptionChecks)).toEqual(defaultNodeOODOptions);
    expect(Object.keys(replicationLambdas).sort()).toEqual([...nodeOODMethods].sort());
  });
});
