import { initBackend, renderChartSvg, tensorLeak, tf, type ProgressEvent, type ReplicationReport } from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CRITERION_VARIANTS,
  REPLICATION_VARIANTS,
  mergeReplicationReports,
  replicate,
  type ReplicationVariant,
} from '../src/index.js';

const tiny = { epochs: 1, batchSize: 16, trainSize: 64, probeSize: 40, testSize: 40, scorerEpochs: 1, probeEpochs: 5 };

describe('replicate() smoke runs (tiny sizes)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('quick preset: the control arm and the combined edit, with gradient shares, a chart and no leaks', async () => {
    let report: ReplicationReport | undefined;
    const events: ProgressEvent[] = [];
    const leaked = await tensorLeak(async () => {
      report = await replicate({ preset: 'quick', ...tiny, onProgress: (e) => events.push(e) });
    });
    expect(leaked).toBe(0);
    const r = report!;
    expect(r.seeds).toEqual([0]);
    expect(r.rows.map((row) => row.method)).toEqual(['baseline', 'oracle_remove', 'inloss_combined']);
    // The positive control's arms run first.
    expect(events.find((e) => e.stage.includes('inloss_combined'))).toBeDefined();
    const firstCombined = events.findIndex((e) => e.stage.includes('inloss_combined'));
    expect(events.findIndex((e) => e.stage.includes('oracle_remove (positive control)'))).toBeLessThan(firstCombined);
    const combined = r.rows.find((row) => row.method === 'inloss_combined')!.metrics;
    for (const key of ['gradShareEdit', 'gradShareMargin', 'gradShareTemperature'])
      expect(combined[key]).toBeGreaterThan(0);
    expect(r.rows.find((row) => row.method === 'baseline')!.metrics.gradShareEdit).toBeUndefined();
    expect(r.notes.join('\n')).toMatch(/Gradient share on the first batch after the warm-up epoch/);
    expect(r.verdict).toBe('inconclusive');
    expect(r.notes[0]).toMatch(/needs the arms clean, baseline, oracle_remove/);
    expect(r.chart).toBeDefined();
    expect(events.at(-1)!.done).toBe(events.at(-1)!.total);
  }, 60_000);

  it('every variant on one seed; on 2 seeds a failed control skips the comparison arms; per-seed reports merge', async () => {
    const one = await replicate({ preset: 'full', seeds: [1], ...tiny });
    expect(one.rows.map((row) => row.method)).toEqual([...REPLICATION_VARIANTS]);
    const trainImages = (v: string) => one.rows.find((row) => row.method === v)!.metrics.trainImages;
    expect(trainImages('baseline')).toBe(64);
    expect(trainImages('oracle_remove')).toBe(32); // ω = 0.5 of 64 mixed, then dropped
    expect(trainImages('random_remove')).toBe(32);
    expect(one.rows.find((row) => row.method === 'inloss_remove')!.metrics.gradShareEdit).toBeGreaterThan(0);
    expect(one.comparisons.length).toBe(2 * (REPLICATION_VARIANTS.length - 1));
    expect(one.criteria.length).toBe(5); // 1 seed: the control is not judged; the spec's five
    expect(one.verdict).toBe('inconclusive');

    // At this toy size oracle removal does not beat the baseline: judged on 2 seeds, the control fails.
    const r = await replicate({ preset: 'full', seeds: [0, 1], ...tiny });
    expect(r.rows.map((row) => `${row.seed} ${row.method}`)).toEqual([
      '0 baseline',
      '0 oracle_remove',
      '1 baseline',
      '1 oracle_remove',
    ]);
    expect(r.criteria[0]!.name).toMatch(/^positive control/);
    expect(r.criteria[0]!.passed).toBe(false);
    expect(r.verdict).toBe('inconclusive');
    expect(r.notes[0]).toMatch(/positive control failed.*comparison arms were skipped/);
    expect(r.command).toContain('lab-difficult-examples replicate');

    // Per-seed reports (as run by `replicate --parallel`) merge back into the joint report.
    const perSeed = r.seeds.map((seed) => ({ ...r, seeds: [seed], rows: r.rows.filter((row) => row.seed === seed) }));
    const merged = mergeReplicationReports(perSeed);
    expect(merged.rows).toEqual(r.rows);
    expect(merged.comparisons).toEqual(r.comparisons);
    expect(merged.criteria).toEqual(r.criteria);
    expect(merged.verdict).toBe(r.verdict);
    expect(() => mergeReplicationReports([perSeed[0]!, perSeed[0]!])).toThrow(/disjoint seeds/);
    expect(() =>
      mergeReplicationReports([perSeed[0]!, { ...perSeed[1]!, config: { ...r.config, omega: 0.3 } }]),
    ).toThrow(/same preset and config/);
  }, 120_000);

  it('rejects bad options', async () => {
    await expect(replicate({ omega: 1.5 })).rejects.toThrow(/omega/);
    await expect(replicate({ variants: ['nope' as never] })).rejects.toThrow(/variants/);
    await expect(replicate({ trainSize: 9000, probeSize: 1000, testSize: 1000 })).rejects.toThrow(/10,000/);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});

/** Per-seed reports of the standard arms with the given probe accuracies (one value per seed), for the criterion. */
function synthetic(acc: Partial<Record<ReplicationVariant, number[]>>): ReplicationReport {
  const variants = [...CRITERION_VARIANTS];
  const seeds = acc.baseline!.map((_, i) => i);
  const config = { omega: 0.5, variants, epochs: 10, batchSize: 128, trainSize: 3000, probeSize: 1000, testSize: 2000 };
  const reports = seeds.map((seed) => ({
    package: '@lab/difficult-examples',
    preset: 'standard',
    config,
    seeds: [seed],
    rows: variants.map((v) => ({
      method: v,
      setting: 'omega=0.5',
      seed,
      metrics: { probeAcc: acc[v]![seed]!, knnAcc: 70 },
    })),
    seconds: 1,
    backend: 'wasm',
  })) as unknown as ReplicationReport[];
  return mergeReplicationReports(reports);
}

describe('the criterion and the positive control (spec §5, issue 17)', () => {
  const base = [78, 77, 79, 78.5, 77.5];
  const up = (d: number[]) => base.map((b, i) => b + d[i]!);
  const good = {
    baseline: base,
    clean: up([2, 1.5, 1, 2.5, 2]),
    oracle_remove: up([3, 4, 2, 3.5, 3]),
    margin_remove: up([4, 5, 3, 4, 5]),
    random_remove: up([2, 3, 1, 2, 3]),
    inloss_combined: up([1, 1.5, 0.5, -0.5, 2]),
  };

  it('reproduced when the control passes and every criterion holds', () => {
    const r = synthetic(good);
    expect(r.verdict).toBe('reproduced');
    expect(r.criteria[0]!.name).toMatch(/positive control.*lower end of the 95 % t interval/);
    expect(r.criteria[0]!.value).toBeGreaterThan(0);
    expect(r.criteria.every((c) => c.passed)).toBe(true);
    expect(r.notes.join('\n')).toMatch(/Positive control passed: oracle_remove − baseline \+3\.10 points/);
    expect(r.notes.join('\n')).toMatch(/exact sign-flip p = 0\.0625/);
  });

  it('not-reproduced when the control passes but a remedy fails', () => {
    const r = synthetic({ ...good, inloss_combined: up([1, -1, 0.5, -0.5, 2]) });
    expect(r.verdict).toBe('not-reproduced');
    expect(r.criteria.find((c) => c.name.startsWith('inloss_combined seeds'))!.passed).toBe(false);
  });

  it('inconclusive (never not-reproduced) when the control fails, whatever the other arms show', () => {
    const r = synthetic({ ...good, oracle_remove: up([3, -2, 0.5, -1, 1]), inloss_combined: up([-1, -1, -1, -1, -1]) });
    expect(r.verdict).toBe('inconclusive');
    expect(r.criteria[0]!.passed).toBe(false);
    expect(r.notes[0]).toMatch(/positive control failed.*cannot detect the claimed effect/);
  });

  it('inconclusive with fewer than 5 seeds even when everything passes', () => {
    const four = Object.fromEntries(Object.entries(good).map(([k, v]) => [k, v.slice(0, 4)]));
    expect(synthetic(four).verdict).toBe('inconclusive');
  });

  it('draws the claim: accuracy per variant with seeds joined, intervals, the criterion rule, no forced zero', async () => {
    const chart = synthetic(good).chart!;
    const panels = chart.hconcat as {
      layer: { data: { values: Record<string, unknown>[] }; mark: { type: string } }[];
      encoding: { y: { title: string; scale: { zero: boolean } } };
    }[];
    expect(panels.length).toBe(2);
    expect(panels[0]!.encoding.y.title).toBe('linear-probe accuracy (%)');
    expect(panels[0]!.encoding.y.scale.zero).toBe(false);
    const marks = panels[0]!.layer.map((l) => l.mark.type);
    expect(marks).toEqual(['line', 'point', 'rule', 'tick', 'rule', 'text']);
    expect(panels[0]!.layer[0]!.data.values.length).toBe(6 * 5); // every seed of every arm
    expect(panels[0]!.layer[4]!.data.values[0]!.value).toBeCloseTo(78, 6); // the baseline mean
    expect(panels[1]!.layer[4]!.data.values[0]!.value).toBe(0); // Δ > 0
    const svg = await renderChartSvg(chart);
    expect(svg).toContain('criterion: above the baseline mean');
  });
});
