import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@lab/core';
import { replicate } from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('replicate', () => {
  it('tier 1 smoke run: one seed, 3 documents, 4 models, report shape and criteria', async () => {
    const events: string[] = [];
    const report = await replicate({
      preset: 'quick',
      seeds: 1,
      tier1: { docsPerSeed: 3, windows: [16, 512], lambdas: [0.01, 0.3], alphaSweep: [2] },
      onProgress: (e) => events.push(e.stage),
    });
    expect(report.package).toBe('@lab/longppl');
    expect(report.rows.filter((r) => r.setting === 'tier1' && r.method !== 'zoo')).toHaveLength(4);
    const zoo = report.rows.find((r) => r.method === 'zoo')!;
    expect(zoo.metrics.keyTokenPrecision).toBeGreaterThan(0.5);
    expect(report.criteria.map((c) => c.name)).toHaveLength(4);
    expect(['reproduced', 'not-reproduced', 'inconclusive']).toContain(report.verdict);
    expect(events.length).toBeGreaterThan(0);
  });

  it('tier 2 smoke run: an untrained model is reported as inconclusive, with no criterion', async () => {
    const report = await replicate({
      preset: 'full',
      tiers: [2],
      seeds: 1,
      tier2: { maxSteps: 2, trainSeconds: 30, evalDocs: 2, hidden: 16, heads: 2, windows: [8, 192], lambdas: [0, 0.2] },
    });
    expect(report.verdict).toBe('inconclusive');
    expect(report.criteria).toHaveLength(0);
    expect(report.rows.filter((r) => r.setting === 'tier2' && r.method !== 'zoo')).toHaveLength(4);
    const zoo = report.rows.find((r) => r.method === 'zoo')!;
    expect(zoo.metrics.steps).toBe(2);
    expect(report.notes.join(' ')).toMatch(/inconclusive/);
  });
});
