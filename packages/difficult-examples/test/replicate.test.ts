import { initBackend, tensorLeak, tf, type ProgressEvent, type ReplicationReport } from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPLICATION_VARIANTS, mergeReplicationReports, replicate } from '../src/index.js';

describe('replicate() smoke run (tiny sizes, every variant)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('returns a complete paired report and leaks no tensors', async () => {
    const events: ProgressEvent[] = [];
    let report: ReplicationReport | undefined;
    const leaked = await tensorLeak(async () => {
      report = await replicate({
        preset: 'full',
        seeds: [0, 1],
        epochs: 1,
        batchSize: 16,
        trainSize: 64,
        probeSize: 40,
        testSize: 40,
        scorerEpochs: 1,
        probeEpochs: 5,
        onProgress: (e) => events.push(e),
      });
    });
    expect(leaked).toBe(0);
    const r = report!;
    expect(r.package).toBe('@lab/difficult-examples');
    expect(r.seeds).toEqual([0, 1]);
    expect(r.rows.length).toBe(2 * REPLICATION_VARIANTS.length);
    for (const row of r.rows) {
      expect(row.metrics.probeAcc).toBeGreaterThanOrEqual(0);
      expect(row.metrics.probeAcc).toBeLessThanOrEqual(100);
      expect(Number.isFinite(row.metrics.knnAcc)).toBe(true);
    }
    const trainImages = (v: string) => r.rows.find((row) => row.method === v && row.seed === 0)!.metrics.trainImages;
    expect(trainImages('baseline')).toBe(64);
    expect(trainImages('oracle_remove')).toBe(32); // ω = 0.5 of 64 mixed, then dropped
    expect(trainImages('random_remove')).toBe(32);
    expect(r.rows.find((row) => row.method === 'inloss_combined')!.metrics.selectedFraction).toBeGreaterThan(0);
    expect(r.rows.find((row) => row.method === 'baseline')!.metrics.selectedFraction).toBe(0);
    // Paired comparisons against the baseline for every other variant, on both metrics.
    expect(r.comparisons.length).toBe(2 * (REPLICATION_VARIANTS.length - 1));
    expect(r.criteria.map((c) => c.name).length).toBe(5);
    // 2 seeds < 5: the spec's criterion cannot be judged.
    expect(r.verdict).toBe('inconclusive');
    expect(events.at(-1)!.done).toBe(events.at(-1)!.total);
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
