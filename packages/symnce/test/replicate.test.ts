import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, renderChartSvg, tf } from '@lab/core';
import { replicate } from '../src/index.js';

const tiny = {
  trainSize: 96,
  probeSize: 64,
  testSize: 64,
  epochs: 2,
  warmupEpochs: 1,
  batchSize: 32,
  knnK: 5,
  probe: { epochs: 20 },
  noisyProbe: { holdout: 0.25, epochs: [5, 20] },
};

describe('replicate (tiny smoke runs: check the pipeline, not the claim)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('runs the control first, then every arm on paired seeds, with shares, metrics, progress and a chart', async () => {
    const events: { done: number; total: number }[] = [];
    const before = tf.memory().numTensors;
    // controlMinGain 0 with one seed: the control passes whenever the oracle is not below SupCon, so force it open.
    const report = await replicate({
      preset: 'quick',
      seeds: 1,
      overrides: { ...tiny, controlMinGain: 0, forms: ['linear', 'mass'] },
      onProgress: (e) => events.push(e),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.package).toBe('@lab/symnce');
    expect(report.preset).toBe('quick');
    const methods = [...new Set(report.rows.map((r) => r.method))];
    expect(methods.slice(0, 2)).toEqual(['SupCon', 'oracle']); // the control runs first
    expect(methods).toEqual(['SupCon', 'oracle', 'SymNCE-linear', 'SymNCE-mass']);
    for (const row of report.rows) {
      expect(row.setting).toBe('sym η=0.8');
      for (const m of ['probeClean', 'knnNoisy', 'probeNoisyES']) {
        expect(row.metrics[m]).toBeGreaterThanOrEqual(0);
        expect(row.metrics[m]).toBeLessThanOrEqual(100);
      }
    }
    expect(report.metric).toBe('probeClean');
    expect(report.verdict).toBe('inconclusive'); // one seed cannot test the claim
    const notes = report.notes.join('\n');
    expect(notes).toMatch(/Not a test of the claim: 1 paired seed\(s\), the criterion needs 10/);
    expect(report.criteria[0]!.name).toMatch(/^positive control/);
    expect(notes).toMatch(/gradient share of β·RevNCE-'linear' \(β = 0.07\)/);
    expect(report.criteria.map((c) => c.name).join('\n')).toMatch(/mean of the paired differences/);
    expect(report.criteria).toHaveLength(4);
    expect(report.config).toMatchObject({ epochs: 2, trainSize: 96, primaryForm: 'linear' });
    expect(events.at(-1)).toMatchObject({ done: events.at(-1)!.total });
    expect(report.command).toContain('lab-symnce replicate --preset quick');
    expect(report.chart).toBeDefined();
    const svg = await renderChartSvg(report.chart!);
    expect(svg).toContain('<svg');
    expect(svg).toContain('clean-probe accuracy');
  });

  it('skips the comparison and says why when the positive control fails', async () => {
    const report = await replicate({ preset: 'quick', seeds: 1, overrides: { ...tiny, controlMinGain: 100 } });
    expect([...new Set(report.rows.map((r) => r.method))]).toEqual(['SupCon', 'oracle']);
    expect(report.verdict).toBe('inconclusive');
    expect(report.notes[0]).toMatch(/^Inconclusive: the positive control failed/);
    expect(report.criteria).toHaveLength(1);
    expect(report.criteria[0]!.passed).toBe(false);
  });
});
