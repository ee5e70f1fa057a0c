import { describe, expect, it } from 'vitest';
import {
  LabError,
  buildReport,
  compareMethods,
  criterion,
  formatMeanStd,
  meanStd,
  pairedDiff,
  resolveSeeds,
  verdictFrom,
  type ReplicationRow,
} from '@lab/core';

const rows: ReplicationRow[] = [
  { method: 'supcon', setting: 'eta=0.6', seed: 0, metrics: { knn: 0.8 } },
  { method: 'symnce', setting: 'eta=0.6', seed: 0, metrics: { knn: 0.85 } },
  { method: 'supcon', setting: 'eta=0.6', seed: 1, metrics: { knn: 0.7 } },
  { method: 'symnce', setting: 'eta=0.6', seed: 1, metrics: { knn: 0.69 } },
  { method: 'supcon', setting: 'eta=0', seed: 0, metrics: { knn: 0.95 } },
];

describe('statistics over seeds', () => {
  it('meanStd uses the sample standard deviation', () => {
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3), n: 4 });
    expect(meanStd([7])).toEqual({ mean: 7, std: 0, n: 1 });
    expect(() => meanStd([])).toThrow(LabError);
    expect(formatMeanStd({ mean: 0.5, std: 0.25, n: 2 }, 1)).toBe('0.5 ± 0.3');
  });

  it('pairedDiff counts the seeds where a > b', () => {
    const d = pairedDiff([3, 1, 5], [1, 2, 5]);
    expect(d.differences).toEqual([2, -1, 0]);
    expect(d.positive).toBe(1);
    expect(() => pairedDiff([1], [1, 2])).toThrow(/equal lengths/);
  });
});

describe('replication reports', () => {
  it('resolves seeds from a count, a list or the preset default', () => {
    expect(resolveSeeds(undefined, 3)).toEqual([0, 1, 2]);
    expect(resolveSeeds(2, 5)).toEqual([0, 1]);
    expect(resolveSeeds([4, 9], 5)).toEqual([4, 9]);
    expect(() => resolveSeeds(0, 5)).toThrow(/seeds: expected a positive integer/);
    expect(() => resolveSeeds([], 5)).toThrow(/non-empty list/);
  });

  it('compares methods seed by seed within a setting', () => {
    const c = compareMethods(rows, { method: 'symnce', baseline: 'supcon', metric: 'knn', setting: 'eta=0.6' });
    expect(c.seeds).toEqual([0, 1]);
    expect(c.differences[0]).toBeCloseTo(0.05);
    expect(c.differences[1]).toBeCloseTo(-0.01);
    expect(c.positive).toBe(1);
    expect(() =>
      compareMethods(rows, { method: 'symnce', baseline: 'supcon', metric: 'knn', setting: 'eta=0' }),
    ).toThrow(/no seed/);
  });

  it('evaluates criteria and derives the verdict', () => {
    expect(criterion('gain', 2, { atLeast: 1.5 })).toEqual({
      name: 'gain',
      value: 2,
      threshold: '>= 1.5',
      passed: true,
    });
    expect(criterion('asr', 0.2, { atMost: 0.1 }).passed).toBe(false);
    expect(criterion('nan', Number.NaN, { atLeast: 0 }).passed).toBe(false);
    expect(verdictFrom([])).toBe('inconclusive');
    expect(verdictFrom([criterion('a', 1, { atLeast: 0 })])).toBe('reproduced');
    expect(verdictFrom([criterion('a', 1, { atLeast: 0 }), criterion('b', 1, { atMost: 0 })])).toBe('not-reproduced');
  });

  it('builds a report with summaries per method, setting and metric', () => {
    const report = buildReport({
      package: '@lab/x',
      paper: 'p',
      claim: 'c',
      metric: 'knn',
      preset: 'quick',
      config: {},
      seeds: [0, 1],
      rows,
      comparisons: [],
      criteria: [criterion('a', 1, { atLeast: 0 })],
      notes: [],
      command: 'pnpm replicate x',
      seconds: 1,
      backend: 'wasm',
    });
    expect(report.verdict).toBe('reproduced');
    const s = report.summaries.find((x) => x.method === 'supcon' && x.setting === 'eta=0.6')!;
    expect(s.mean).toBeCloseTo(0.75);
    expect(s.n).toBe(2);
    expect(report.summaries).toHaveLength(3);
  });
});
