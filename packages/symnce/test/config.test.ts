import { describe, expect, it } from 'vitest';
import {
  CALIBRATED_BETAS,
  LINEAR_MIN_TEMPERATURE,
  REV_FORMS,
  PRESETS,
  defaultRinceOptions,
  defaultSymNceOptions,
  defaultTrainOptions,
  settingName,
  symNceReplicationPresets,
} from '../src/index.js';

describe('config', () => {
  it('fixes the arms, β, criteria and sizes of the presets in advance (issue 17)', () => {
    expect(PRESETS).toEqual(['quick', 'standard', 'full']);
    expect(Object.keys(symNceReplicationPresets).sort()).toEqual([...PRESETS].sort());
    const common = {
      trainSize: 1000,
      probeSize: 1000,
      testSize: 2000,
      temperature: 0.5,
      batchSize: 128,
      forms: ['linear', 'mass', 'mae'],
      primaryForm: 'linear',
      betas: CALIBRATED_BETAS,
      shareRange: [0.1, 2],
      knnK: 50,
      minGain: 1,
      minPositiveShare: 0.8,
      minSeeds: 10,
      controlMinGain: 1,
    };
    expect(symNceReplicationPresets.standard).toMatchObject({
      ...common,
      noise: [{ type: 'symmetric', rate: 0.8 }],
      epochs: 20,
      warmupEpochs: 2,
      seeds: 10,
    });
    expect(symNceReplicationPresets.full).toMatchObject({ ...common, epochs: 60, seeds: 10 });
    // issue 17: η ∈ {0.6, 0.8} symmetric plus 0.4 asymmetric, the main (criterion) setting first
    expect(symNceReplicationPresets.full.noise.map(settingName)).toEqual(['sym η=0.8', 'sym η=0.6', 'asym η=0.4']);
    expect(symNceReplicationPresets.quick).toMatchObject({ ...common, epochs: 10, seeds: 1 });
    expect(symNceReplicationPresets.standard.knnK).toBeGreaterThanOrEqual(50);
    expect(REV_FORMS).toEqual(['linear', 'mass', 'mae']);
  });

  it('documents the defaults of the losses and of training', () => {
    expect(defaultSymNceOptions).toEqual({ temperature: 0.1, onNoPositive: 'ignore', beta: 1, revForm: 'mae' });
    expect(defaultRinceOptions).toMatchObject({ q: 0.1, lambda: 0.01, temperature: 0.1 });
    expect(defaultTrainOptions).toMatchObject({
      loss: 'symnce',
      temperature: 0.5,
      epochs: 60,
      batchSize: 128,
      lr: 1e-3,
    });
    expect(Math.exp(1 / LINEAR_MIN_TEMPERATURE)).toBeLessThan(3.4e38 / 1000); // float32 headroom
  });
});
