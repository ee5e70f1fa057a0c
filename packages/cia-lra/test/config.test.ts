import { describe, expect, it } from 'vitest';
import { strictOptions } from '@lab/core';
import {
  PRESETS,
  PRESET_CONFIGS,
  defaultLraOptions,
  defaultNodeOODOptions,
  lraOptionChecks,
  nodeOODMethods,
  nodeOODOptionChecks,
  replicationLambdas,
} from '../src/config.js';

describe('config', () => {
  it('has one configuration per preset, quick first', () => {
    expect(PRESETS).toEqual(['quick', 'full']);
    expect(Object.keys(PRESET_CONFIGS)).toEqual([...PRESETS]);
    expect(PRESET_CONFIGS.full).toEqual({ scale: 'large', seeds: 10 });
  });

  it('the defaults pass their own checks, and every method has a replication λ', () => {
    expect(strictOptions({}, defaultLraOptions, 'lra', lraOptionChecks)).toEqual(defaultLraOptions);
    expect(strictOptions({}, defaultNodeOODOptions, 'train', nodeOODOptionChecks)).toEqual(defaultNodeOODOptions);
    expect(Object.keys(replicationLambdas).sort()).toEqual([...nodeOODMethods].sort());
  });
});
