import { describe, expect, it } from 'vitest';
import { strictOptions } from '@lab/core';
import {
  ablChecks,
  defaultAblOptions,
  defaultMadeOptions,
  defaultReplicationScale,
  defaultTrainOptions,
  defaultTriggerOptions,
  madeChecks,
  replicationScaleChecks,
  trainChecks,
  triggerChecks,
  defaultTypedTaskOptions,
  typedTaskChecks,
} from '../src/config.js';
import { ARMS, PRESETS, PRESET_CONFIGS, SETTINGS, defaultMadeReplicateOptions } from '../src/index.js';

describe('config', () => {
  it('every documented default passes its own checks', () => {
    const pairs: [object, object][] = [
      [defaultMadeOptions, madeChecks],
      [defaultAblOptions, ablChecks],
      [defaultTrainOptions, trainChecks],
      [defaultTriggerOptions, triggerChecks],
      [defaultTypedTaskOptions, typedTaskChecks],
      [defaultReplicationScale, replicationScaleChecks],
    ];
    for (const [defaults, checks] of pairs)
      expect(strictOptions(defaults, defaults, 'defaults', checks as never)).toEqual(defaults);
  });

  it('presets: quick, standard and full, each naming known settings and arms', () => {
    expect(PRESETS).toEqual(['quick', 'standard', 'full']);
    for (const preset of PRESETS) {
      const c = PRESET_CONFIGS[preset];
      expect(c.seeds).toBeGreaterThanOrEqual(1);
      for (const s of c.settings) expect(SETTINGS).toContain(s);
      for (const a of c.arms) expect(ARMS).toContain(a);
    }
    expect(PRESET_CONFIGS.full.arms).toEqual([...ARMS]);
    // standard: the typed task, 5 seeds, the criterion's arms at precision 0.5 and both controls
    expect(PRESET_CONFIGS.standard.settings).toEqual(['typed']);
    expect(PRESET_CONFIGS.standard.seeds).toBe(5);
    for (const a of ['none', 'abl-p100', 'abl-p50', 'made-p50', 'abl-p25'] as const) {
      expect(PRESET_CONFIGS.standard.arms).toContain(a);
      expect(PRESET_CONFIGS.quick.arms).toContain(a);
    }
    for (const preset of PRESETS)
      expect(
        strictOptions(PRESET_CONFIGS[preset].scale, defaultReplicationScale, 'scale', replicationScaleChecks),
      ).toEqual(PRESET_CONFIGS[preset].scale);
    expect(defaultMadeReplicateOptions).toBe(PRESET_CONFIGS);
  });
});
