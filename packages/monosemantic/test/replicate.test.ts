import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@lab/core';
import { PRESET_CONFIGS, replicate } from '../src/index.js';

describe('replicate', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('quick: one row per method and seed, the positive control first, half (ii) only reported', async () => {
    const stages: string[] = [];
    const report = await replicate({ preset: 'quick', seeds: 1, onProgress: (e) => stages.push(e.stage) });
    expect(report.package).toBe('@lab/monosemantic');
    expect(report.rows.map((r) => r.method)).toEqual(['CL', 'NCL', 'SAE']);
    for (const key of [
      'semanticConsistency',
      'sparsity',
      'activeDims',
      'clean',
      'label0.5',
      'label0.8',
      'fewShot',
      'pixelNoise0.3',
      'pixelNoise0.6',
    ])
      expect(report.rows[0]!.metrics).toHaveProperty(key);
    expect(report.criteria[0]!.name).toMatch(/^positive control/);
    expect(report.criteria.filter((c) => c.name.startsWith('(i)'))).toHaveLength(5);
    expect(report.criteria.filter((c) => c.name.startsWith('(ii, reported'))).toHaveLength(10);
    if (!report.criteria[0]!.passed) expect(report.verdict).toBe('inconclusive');
    expect(report.notes.join('\n')).toMatch(/Half \(ii\) \(robustness\) is reported, not asserted/);
    expect(report.command).toBe('lab-monosemantic replicate --preset quick --seeds 1');
    expect(report.chart).toBeDefined();
    expect(stages.at(-1)).toBe('done');
    expect(report.config).toMatchObject({ ...PRESET_CONFIGS.quick });
  });
});
