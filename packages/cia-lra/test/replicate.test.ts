import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, renderChartSvg, type ProgressEvent } from '@lab/core';
import { replicate } from '../src/replicate.js';

// A tiny graph (40 base nodes + 12 houses = 100 nodes, GOOD split: 20 labelled) keeps each run well under a second.
const tiny = { baseNodes: 40, houses: 12, m: 3 };

describe('replicate (smoke, tiny graph)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('runs the positive control first, then the paired comparison, and reports per-graph rows, criteria and a chart', async () => {
    const events: ProgressEvent[] = [];
    const report = await replicate({
      preset: 'quick',
      seeds: 2,
      epochs: 3,
      hidden: 8,
      cbas: tiny,
      onProgress: (e) => events.push(e),
    });
    expect(report.package).toBe('@lab/cia-lra');
    expect(report.preset).toBe('quick');
    expect(report.seeds).toEqual([0, 1]);
    expect(report.rows).toHaveLength(6);
    expect(new Set(report.rows.map((r) => r.method))).toEqual(new Set(['erm', 'cia-lra', 'cia-lra-all']));
    for (const row of report.rows) {
      expect(row.metrics.oodTest).toBeGreaterThanOrEqual(0);
      expect(row.metrics.oodTest).toBeLessThanOrEqual(1);
      expect([0, 1]).toContain(row.metrics.candidate);
    }
    const names = report.criteria.map((c) => c.name);
    expect(names[1]).toMatch(/^\[control\] ERM leaves headroom on the calibration graphs 1000/);
    expect(names.filter((n) => n.startsWith('[mechanism]'))).toHaveLength(3);
    expect(names.filter((n) => n.startsWith('[reported]'))).toHaveLength(2);
    expect(names.some((n) => n.startsWith('[claim]'))).toBe(false); // 2 graphs < 10: reported only
    const byPrefix = (prefix: string) => report.criteria.find((c) => c.name.includes(prefix))!;
    expect(byPrefix('golden values').passed).toBe(true);
    expect(byPrefix('LRA pair table').value).toBe(0);
    expect(byPrefix('λ = 0 reproduces ERM').value).toBe(0);
    expect(byPrefix("labelScope 'train'").name).toMatch(/pairedStatistics: 95 % t CI \[.*\], sign-flip p = /);
    expect(report.verdict).toBe('inconclusive');
    expect(report.notes.join('\n')).toMatch(/Inconclusive by design/);
    expect(report.notes.join('\n')).toMatch(/Gradient share of the penalty/);
    expect(report.comparisons.map((c) => c.method)).toEqual(['cia-lra', 'cia-lra-all']);
    expect(events.at(-1)!.done).toBe(events.at(-1)!.total);
    for (let k = 1; k < events.length; k++) expect(events[k]!.done).toBeGreaterThanOrEqual(events[k - 1]!.done);
    expect(report.command).toBe('npx lab-cia-lra replicate --preset quick --seeds 2 --epochs 3');

    // The chart: accuracy per arm and gain over ERM, seeds joined, CIs, the thresholds drawn; it renders.
    const chart = report.chart as { hconcat: { layer: { mark: { type: string } }[] }[]; data: { values: unknown[] } };
    expect(chart.hconcat).toHaveLength(2);
    const text = JSON.stringify(chart);
    expect(text).toContain('OOD test accuracy (%)');
    expect(text).toContain('percentage points');
    expect(text).toContain('criterion: mean ≥ +1 point');
    expect(text).toContain('control: ERM ≤ 85 %');
    expect(text).not.toContain('"zero":true');
    const svg = await renderChartSvg(report.chart!);
    expect(svg).toMatch(/^<svg/);
  }, 60_000);

  it('a failed positive control (no headroom) makes the verdict inconclusive and skips the comparison', async () => {
    // Colour = label everywhere, including OOD test: ERM has nothing left to gain.
    const easy = {
      ...{ baseNodes: 60, houses: 16, m: 3 },
      ...{ trainCorrelations: [1, 1, 1, 1, 1], valCorrelation: 1, testCorrelation: 1, randomEdges: 0 },
    };
    const report = await replicate({ preset: 'quick', epochs: 12, hidden: 16, cbas: easy });
    const control = report.criteria.find((c) => c.name.startsWith('[control]'))!;
    expect(control.value).toBeGreaterThan(0.85);
    expect(control.passed).toBe(false);
    expect(report.rows).toHaveLength(0);
    expect(report.verdict).toBe('inconclusive');
    expect(report.notes.join('\n')).toMatch(/Positive control failed: ERM leaves no headroom/);
    expect(report.chart).toBeUndefined();
  }, 60_000);
});
