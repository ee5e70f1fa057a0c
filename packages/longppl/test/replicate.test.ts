import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@lab/core';
import { replicate } from '../src/index.js';
import { tinyTier2 } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const tinyTier1 = { docsPerSeed: 3, windows: [16, 512], lambdas: [0.01, 0.3], alphaSweep: [2] };

describe('replicate', () => {
  it('quick smoke run: tier 1 only, report shape, criteria and the scatter chart', async () => {
    const events: string[] = [];
    const report = await replicate({
      preset: 'quick',
      seeds: 1,
      tier1: tinyTier1,
      onProgress: (e) => events.push(e.stage),
    });
    expect(report.package).toBe('@lab/longppl');
    expect(report.preset).toBe('quick');
    expect(report.rows.filter((r) => r.setting === 'tier1' && r.method !== 'zoo')).toHaveLength(4);
    const zoo = report.rows.find((r) => r.method === 'zoo')!;
    expect(zoo.metrics.keyTokenPrecision).toBeGreaterThan(0.5);
    expect(report.criteria.map((c) => c.name)).toHaveLength(4);
    expect(['reproduced', 'not-reproduced', 'inconclusive']).toContain(report.verdict);
    expect(events.length).toBeGreaterThan(0);
    const chart = report.chart as {
      hconcat: { title: string | { text: string; subtitle: string } }[];
      data: { values: { layer: string }[] };
    };
    expect(chart.hconcat.map((p) => p.title)).toEqual([
      { text: 'accuracy vs LongPPL (tier 1 zoo)', subtitle: `r per seed: ${zoo.metrics.rLongPPL!.toFixed(2)}` },
      { text: 'accuracy vs PPL (tier 1 zoo)', subtitle: `r per seed: ${zoo.metrics.rPPL!.toFixed(2)}` },
      'per-seed correlations and criterion thresholds',
    ]);
    expect(chart.data.values.filter((v) => v.layer === 'threshold')).toHaveLength(2);
  });

  it('tier 2: a failed positive control (base model below the accuracy gate) is inconclusive, LongCE vs CE not run', async () => {
    const report = await replicate({ preset: 'standard', tiers: [2], seeds: 1, tier2: tinyTier2 });
    expect(report.verdict).toBe('inconclusive');
    expect(report.criteria).toHaveLength(0);
    expect(report.rows.map((r) => r.method)).toEqual(['base']);
    expect(report.notes.join(' ')).toMatch(/did not learn key–value retrieval/);
    const chart = report.chart as { hconcat: { title: unknown }[]; data: { values: { layer: string }[] } };
    expect(chart.hconcat.map((p) => p.title)).toEqual([
      { text: 'tier 2 positive control', subtitle: 'LongCE vs CE runs only inside the gate' },
    ]);
    expect(chart.data.values.filter((v) => v.layer === 'gate')).toHaveLength(2);
  });

  it('tier 2 with the gate open: paired CE / LongCE rows, a paired comparison and two criteria', async () => {
    const report = await replicate({
      preset: 'standard',
      tiers: [2],
      seeds: [0, 1],
      tier2: { ...tinyTier2, minBaseAccuracy: 0, maxBaseAccuracy: 1 },
    });
    expect(report.rows.filter((r) => r.setting === 'tier2').map((r) => `${r.method}/${r.seed}`)).toEqual([
      'CE/0',
      'LongCE/0',
      'CE/1',
      'LongCE/1',
    ]);
    expect(report.comparisons).toHaveLength(1);
    expect(report.comparisons[0]).toMatchObject({
      method: 'LongCE',
      baseline: 'CE',
      metric: 'accuracy',
      seeds: [0, 1],
    });
    expect(report.criteria.map((c) => c.name)).toEqual([
      expect.stringMatching(/lower end of the 95 % t CI/),
      expect.stringMatching(/seeds where LongCE is above CE/),
    ]);
    expect(['reproduced', 'not-reproduced']).toContain(report.verdict);
    const chart = report.chart as { hconcat: { title: string }[] };
    expect(chart.hconcat.map((p) => p.title)).toEqual(['tier 2: CE vs LongCE, paired seeds (mean, 95 % t CI)']);
  });
});
