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
} from '../src/config.js';
import { ARMS, PRESETS, PRESET_CONFIGS, SETTINGS, defaultMadeReplicateOptions } from '../src/index.js';

describe('config', () => {
  it('every documented default passes its own checks', () => {
    const pairs: [object, object][] = [
      [defaultMadeOptions, madeChecks],
      [defaultAblOptions, ablChecks],
      [defaultTrainOptions, trainChecks],
      [defaultTriggerOptions, triggerChecks],
      [defaultReplicationScale, replicationScaleChecks],
    ];
    for (const [defaults, checks] of pairs)
      expect(strictOptions(defaults, defaults, 'defaults', checks as never)).toEqual(defaults);
  });

  it('presets: quick and full, each naming known settings and arms', () => {
    expect(PRESETS).toEqual(['quick', 'full']);
    for (const preset of PRESETS) {
      const c = PRESET_CONFIGS[preset];
      expect(c.seeds).toBeGreaterThanOrEqual(1);
      for (const s of c.settings) expect(SETTINGS).toContain(s);
      for (const a of c.arms) expect(ARMS).toContain(a);
    }
    expect(PRESET_CONFIGS.full.arms).toEqual([...ARMS]);
    expect(defaultMadeReplicateOptions).toBe(PRESET_CONFIGS);
  });
});
