import { describe, expect, it } from 'vitest';
import { buildReport, defaultChart, renderChartSvg, type ReplicationRow } from '@lab/core';

const rows: ReplicationRow[] = [0, 1, 2].flatMap((seed) => [
  { method: 'ERM', setting: 'eta=0.6', seed, metrics: { acc: 80 + seed } },
  { method: 'ours', setting: 'eta=0.6', seed, metrics: { acc: 82 + seed * 0.5 } },
]);
const report = buildReport({
  package: '@lab/demo',
  paper: 'p',
  claim: 'c',
  metric: 'acc',
  preset: 'quick',
  config: {},
  seeds: [0, 1, 2],
  rows,
  comparisons: [],
  criteria: [],
  notes: [],
  command: 'x',
  seconds: 1,
  backend: 'cpu',
});

describe('charts', () => {
  it('the default chart plots seeds joined across methods, the mean and its t interval, axis not from zero', () => {
    const spec = defaultChart(report)!;
    const values = (spec.data as { values: Record<string, unknown>[] }).values;
    expect(values.filter((v) => v.layer === 'seed')).toHaveLength(6);
    const mean = values.find((v) => v.layer === 'mean' && v.method === 'ERM')!;
    expect(mean.mean).toBeCloseTo(81, 12);
    // t(0.975, 2) = 4.302652729749462, sd 1, n 3
    expect(mean.high as number).toBeCloseTo(81 + 4.302652729749462 / Math.sqrt(3), 9);
    expect(JSON.stringify(spec)).toContain('"zero":false');
    expect(defaultChart({ ...report, rows: [] })).toBeNull();
  });

  it('renders SVG with vega-lite', async () => {
    const svg = await renderChartSvg(defaultChart(report)!);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('ours');
    expect(svg).toContain('eta=0.6');
  });
});
