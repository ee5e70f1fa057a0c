import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@lab/core';
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
};

describe('replicate (tiny smoke run: checks the pipeline, not the claim)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('runs both methods on paired seeds, reports every metric and progress, leaks nothing', async () => {
    const events: { done: number; total: number }[] = [];
    const before = tf.memory().numTensors;
    const report = await replicate({ preset: 'quick', seeds: 1, overrides: tiny, onProgress: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.package).toBe('@lab/symnce');
    expect(report.preset).toBe('quick');
    expect(report.rows.map((r) => `${r.method}/${r.setting}`)).toEqual(['SupCon/eta=0.6', 'SymNCE/eta=0.6']);
    for (const row of report.rows) {
      for (const m of ['knnNoisy', 'probeNoisy', 'probeClean']) {
        expect(row.metrics[m]).toBeGreaterThanOrEqual(0);
        expect(row.metrics[m]).toBeLessThanOrEqual(100);
      }
    }
    expect(report.comparisons.map((c) => c.metric)).toEqual(['knnNoisy', 'probeNoisy', 'probeClean']);
    expect(report.criteria).toHaveLength(1);
    expect(['inconclusive', 'not-reproduced']).toContain(report.verdict);
    expect(report.notes.join('\n')).toMatch(/Not a test of the claim|smoke guard failed/);
    expect(report.notes.join('\n')).toMatch(/RevNCE 'mae'/);
    expect(report.config).toMatchObject({ epochs: 2, trainSize: 96, revForm: 'mae' });
    expect(events.length).toBeGreaterThan(2);
    expect(events.at(-1)).toMatchObject({ done: events.at(-1)!.total });
    expect(report.command).toContain('lab-symnce replicate --preset quick');
  });
});
