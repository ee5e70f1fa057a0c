import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf, type ProgressEvent } from '@lab/core';
import { replicate } from '../src/index.js';

describe('replicate (tiny smoke run)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('runs every arm on a tiny task and returns an honest report', async () => {
    const events: ProgressEvent[] = [];
    const before = tf.memory().numTensors;
    const report = await replicate({
      preset: 'full',
      seeds: 1,
      settings: ['feature'],
      numTrain: 40,
      numTest: 20,
      epochs: 1,
      isoEpochs: 1,
      unlearnEpochs: 1,
      hidden: 8,
      layers: 1,
      onProgress: (e) => events.push(e),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.package).toBe('@lab/made');
    const methods = new Set(report.rows.map((r) => r.method));
    for (const arm of ['none', 'abl', 'made', 'random-drop', 'oracle', 'made-oracle-iso', 'isolation'])
      expect(methods.has(arm)).toBe(true);
    for (const r of report.rows.filter((row) => row.method !== 'isolation')) {
      expect(r.metrics.acc).toBeGreaterThanOrEqual(0);
      expect(r.metrics.asr).toBeLessThanOrEqual(1);
    }
    expect(report.criteria.map((c) => c.name).join('\n')).toMatch(
      /no-defense ASR[\s\S]*homophily isolation precision[\s\S]*median ASR/,
    );
    expect(['reproduced', 'not-reproduced', 'inconclusive']).toContain(report.verdict);
    if (!report.criteria.filter((c) => c.name.startsWith('gate')).every((c) => c.passed))
      expect(report.verdict).toBe('inconclusive');
    expect(report.notes[0]).toMatch(/reconstructions/);
    expect(events.at(-1)).toMatchObject({ done: events.at(-1)!.total });
    expect(report.command).toMatch(/lab-made replicate --preset full --seeds 1 --settings feature/);
  });
});
