import { describe, expect, it } from 'vitest';
import {
  LINEAR_MIN_TEMPERATURE,
  PRESETS,
  defaultRinceOptions,
  defaultSymNceOptions,
  defaultTrainOptions,
  symNceReplicationPresets,
} from '../src/index.js';

describe('config', () => {
  it('uses the spec sizes in the presets', () => {
    expect(PRESETS).toEqual(['quick', 'full']);
    expect(Object.keys(symNceReplicationPresets).sort()).toEqual([...PRESETS].sort());
    expect(symNceReplicationPresets.full).toMatchObject({
      trainSize: 1000,
      probeSize: 1000,
      testSize: 2000,
      noiseRates: [0, 0.6],
      epochs: 60,
      seeds: 5,
      warmupEpochs: 5,
      temperature: 0.5,
      beta: 1,
      revForm: 'mae',
      batchSize: 128,
    });
    expect(symNceReplicationPresets.quick).toMatchObject({ noiseRates: [0.6], epochs: 30, seeds: 1 });
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
