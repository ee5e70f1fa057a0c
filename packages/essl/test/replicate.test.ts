import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@lab/core';
import { CRITERIA, PRESET_CONFIGS, replicate } from '../src/index.js';

describe('replicate', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it(
    'quick: every arm on every seed, the control first, the criteria with thresholds, a chart, inconclusive',
    { timeout: 120_000 },
    async () => {
      const events: number[] = [];
      const report = await replicate({ preset: 'quick', onProgress: (e) => events.push(e.done / e.total) });
      expect(report.package).toBe('@lab/essl');
      expect(report.seeds).toEqual([0]);
      const arms = report.rows.map((r) => `${r.setting}:${r.method}`);
      expect(arms).toEqual([
        'G1:none',
        'G1:rotation',
        'G1:invert',
        'G1:blur',
        'G2:normal',
        'G2:add',
        'G2:eliminate',
        'G3:cnn:none',
        'G3:cnn:rotation',
        'G3:c4:none',
        'G3:c4:rotation',
      ]);
      for (const r of report.rows) {
        expect(r.metrics.probe10pc).toBeGreaterThanOrEqual(0);
        expect(r.metrics.probe2000).toBeLessThanOrEqual(100);
      }
      expect(
        report.rows.find((r) => r.setting === 'G2' && r.method === 'eliminate')!.metrics.rotAcc69,
      ).toBeGreaterThanOrEqual(0);
      expect(report.criteria[0]!.name).toMatch(/^positive control/);
      expect(report.criteria[0]!.threshold).toBe(`>= ${CRITERIA.controlRotAcc}`);
      expect(report.criteria.map((c) => c.threshold)).toEqual(['>= 40', '>= 4', '<= 1', '<= 1', '>= 5', '<= 0.00001']);
      expect(report.criteria.at(-1)!.passed).toBe(true); // the C4 unit test
      expect(report.verdict).toBe('inconclusive');
      expect(report.notes[0]).toMatch(/smoke run/);
      expect(report.command).toBe('pnpm --filter @lab/essl exec lab-essl replicate --preset quick');
      expect(report.chart).toBeDefined();
      expect(events.at(-1)).toBe(1);
    },
  );

  it('the presets are fixed: standard is the prototype size on 3 seeds, full adds the report-only arms', () => {
    expect(PRESET_CONFIGS.standard).toMatchObject({ seeds: 3, width: 256, epochs: 8, pretrainCount: 8000 });
    expect(PRESET_CONFIGS.full.g1Tasks).toEqual(['none', 'rotation', 'invert', 'blur', 'hflip', 'vflip', 'jigsaw']);
  });
});
