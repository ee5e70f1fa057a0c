import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf, type ProgressEvent } from '@lab/core';
import { PRESET_CONFIGS, replicate } from '../src/index.js';

describe('replicate', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('quick preset: the CI-sized run, with the controls, the criterion and the chart', async () => {
    const events: ProgressEvent[] = [];
    const before = tf.memory().numTensors;
    const report = await replicate({ preset: 'quick', onProgress: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.preset).toBe('quick');
    expect(report.seeds).toEqual([0]);
    expect(new Set(report.rows.map((r) => r.method))).toEqual(new Set([...PRESET_CONFIGS.quick.arms, 'isolation']));
    // the controlled arms get exactly the precision they name, at recall 1
    const p = (m: string) => report.rows.find((r) => r.method === m)!.metrics;
    expect(p('abl-p100')).toMatchObject({ isoPrecision: 1, isoRecall: 1 });
    expect(p('made-p50').isoPrecision).toBe(0.5);
    expect(p('made-p50').maskAuc).toBeGreaterThanOrEqual(0);
    expect(p('isolation').lossAucPoisonedHigher).toBeGreaterThanOrEqual(0);
    const names = report.criteria.map((c) => c.name).join('\n');
    expect(names).toMatch(
      /gate · typed[\s\S]*positive control[\s\S]*precision 1\.0[\s\S]*precision 0\.25[\s\S]*precision 0\.5/,
    );
    // a failed gate or control is never 'not-reproduced'
    if (report.criteria.some((c) => !c.passed && /gate|positive control/.test(c.name)))
      expect(report.verdict).toBe('inconclusive');
    expect(report.notes.join('\n')).toMatch(/Loss signal: AUC/);
    expect(report.notes.join('\n')).toMatch(/Gradient shares of the mask objective/);
    // the entropy term carries < 5 % of the mask objective's gradient at the defaults, and the report says so
    expect(report.notes.join('\n')).toMatch(/Carrying < 5 % of the gradient at these defaults: entropy/);
    expect(report.chart).toBeDefined();
    expect(JSON.stringify(report.chart)).toMatch(/attack success rate \(%\)/);
    expect(events.at(-1)).toMatchObject({ done: events.at(-1)!.total });
    expect(report.command).toBe('pnpm --filter @lab/made exec lab-made replicate --preset quick');
  });

  it('every arm and setting on a tiny task returns an honest report', async () => {
    const before = tf.memory().numTensors;
    const report = await replicate({
      preset: 'full',
      seeds: 1,
      settings: ['typed', 'feature'],
      numTrain: 40,
      numTest: 20,
      epochs: 1,
      isoEpochs: 1,
      unlearnEpochs: 1,
      hidden: 8,
      layers: 1,
    });
    expect(tf.memory().numTensors).toBe(before);
    const methods = new Set(report.rows.map((r) => r.method));
    for (const arm of PRESET_CONFIGS.full.arms) expect(methods.has(arm)).toBe(true);
    for (const r of report.rows.filter((row) => row.method !== 'isolation')) {
      expect(r.metrics.acc).toBeGreaterThanOrEqual(0);
      expect(r.metrics.asr).toBeLessThanOrEqual(1);
    }
    expect(report.criteria.map((c) => c.name).join('\n')).toMatch(/homophily isolation precision at the poison count/);
    expect(['reproduced', 'not-reproduced', 'inconclusive']).toContain(report.verdict);
    expect(report.notes[0]).toMatch(/reconstructions/);
    expect(report.command).toMatch(/lab-made replicate --preset full --seeds 1 --settings typed,feature/);
  });
});
