import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type ProgressEvent } from '@lab/core';
import { replicate } from '../src/replicate.js';

describe('replicate (smoke, tiny graph)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('returns a full report with per-seed rows, mechanism criteria and progress', async () => {
    const events: ProgressEvent[] = [];
    const report = await replicate({
      seeds: 2,
      epochs: 4,
      cbas: { baseNodes: 40, houses: 12, m: 3 },
      onProgress: (e) => events.push(e),
    });
    expect(report.package).toBe('@lab/cia-lra');
    expect(report.preset).toBe('quick');
    expect(report.seeds).toEqual([0, 1]);
    expect(report.rows).toHaveLength(10);
    expect(new Set(report.rows.map((r) => r.method))).toEqual(new Set(['erm', 'irm', 'vrex', 'cia', 'cia-lra']));
    for (const row of report.rows) {
      expect(row.metrics.oodTest).toBeGreaterThanOrEqual(0);
      expect(row.metrics.oodTest).toBeLessThanOrEqual(1);
    }
    const names = report.criteria.map((c) => c.name);
    expect(names.filter((n) => n.startsWith('[mechanism]'))).toHaveLength(4);
    expect(names.some((n) => n.startsWith('[claim]'))).toBe(false);
    const byPrefix = (prefix: string) => report.criteria.find((c) => c.name.includes(prefix))!;
    expect(byPrefix('golden values').passed).toBe(true);
    expect(byPrefix('LRA pair table').value).toBe(0);
    expect(byPrefix('λ = 0 reproduces ERM').value).toBe(0);
    expect(['inconclusive', 'not-reproduced']).toContain(report.verdict);
    expect(report.comparisons.some((c) => c.method === 'cia-lra' && c.baseline === 'erm' && c.seeds.length === 2)).toBe(
      true,
    );
    expect(events.length).toBeGreaterThan(2);
    expect(events.at(-1)!.done).toBe(events.at(-1)!.total);
    for (let k = 1; k < events.length; k++) expect(events[k]!.done).toBeGreaterThanOrEqual(events[k - 1]!.done);
    expect(report.command).toContain('lab-cia-lra replicate');
  });
});
