import { pairedStatistics, type ChartSpec, type ReplicationReport } from '@lab/core';
import { POSITIVE_CONTROL, REPLICATION_VARIANTS, type ReplicationVariant } from './config.js';

/*
 * The report's chart (issue 16, item 3), as the paper reads its removal tables (Table 1, Table 10): linear-probe
 * accuracy per variant side by side, every seed a point joined across the variants it was measured on, the mean
 * with its 95 % t interval, and the criterion drawn: the spec's criteria ask each remedy to beat `baseline` on the
 * mean of the paired differences, so the left panel draws the baseline mean as a rule and the right panel the
 * paired differences against the rule at 0 (the positive control's criterion is the lower end of its interval).
 * The accuracy axis is fitted to the data, never forced to zero.
 */

const LABELS: Record<ReplicationVariant, string> = {
  clean: 'clean (ω = 0)',
  baseline: 'baseline (ω = 0.5)',
  oracle_remove: 'oracle_remove (control)',
  margin_remove: 'margin_remove',
  random_remove: 'random_remove',
  inloss_remove: 'inloss_remove (Eq. 13)',
  inloss_combined: 'inloss_combined (Eq. 16)',
};

function meanCi(values: readonly number[]): { mean: number; low: number; high: number } {
  const s = pairedStatistics(values, 0.95);
  return s.n > 1 ? { mean: s.mean, low: s.ci.low, high: s.ci.high } : { mean: s.mean, low: s.mean, high: s.mean };
}

/** The vega-lite spec of a difficult-examples report (data inlined), or undefined when it has no baseline row. */
export function replicationChart(report: ReplicationReport): ChartSpec | undefined {
  const metric = report.metric;
  const rows = report.rows.filter((r) => Number.isFinite(r.metrics[metric]));
  const baseline = new Map(rows.filter((r) => r.method === 'baseline').map((r) => [r.seed, r.metrics[metric]!]));
  if (baseline.size === 0) return undefined;
  const variants = REPLICATION_VARIANTS.filter((v) => rows.some((r) => r.method === v));
  const order = variants.map((v) => LABELS[v]);
  const points: Record<string, unknown>[] = [];
  const means: Record<string, unknown>[] = [];
  for (const v of variants) {
    const own = rows.filter((r) => r.method === v);
    const acc = own.map((r) => r.metrics[metric]!);
    const paired = own.filter((r) => baseline.has(r.seed));
    const deltas = paired.map((r) => r.metrics[metric]! - baseline.get(r.seed)!);
    own.forEach((r, i) => points.push({ variant: LABELS[v], seed: String(r.seed), acc: acc[i] }));
    paired.forEach(
      (r, i) => v !== 'baseline' && points.push({ variant: LABELS[v], seed: String(r.seed), delta: deltas[i] }),
    );
    const a = meanCi(acc);
    means.push({ variant: LABELS[v], acc: a.mean, accLow: a.low, accHigh: a.high });
    if (v !== 'baseline' && deltas.length > 0) {
      const d = meanCi(deltas);
      means.push({ variant: LABELS[v], delta: d.mean, deltaLow: d.low, deltaHigh: d.high });
    }
  }
  const baseMean = meanCi([...baseline.values()]).mean;
  const x = { field: 'variant', type: 'nominal', sort: order, title: null, axis: { labelAngle: -35, labelLimit: 200 } };
  const xDelta = { ...x, sort: order.filter((l) => l !== LABELS.baseline) };
  const seedLayers = (field: string, xEnc: Record<string, unknown>) => [
    {
      data: { values: points.filter((p) => p[field] !== undefined) },
      mark: { type: 'line', color: '#bbbbbb', strokeWidth: 1 },
      encoding: { x: xEnc, y: { field, type: 'quantitative' }, detail: { field: 'seed' } },
    },
    {
      data: { values: points.filter((p) => p[field] !== undefined) },
      mark: { type: 'point', filled: true, size: 28, color: '#888888' },
      encoding: {
        x: xEnc,
        y: { field, type: 'quantitative' },
        tooltip: [{ field: 'variant' }, { field: 'seed' }, { field, format: '.2f' }],
      },
    },
  ];
  const meanLayers = (field: string, xEnc: Record<string, unknown>) => [
    {
      data: { values: means.filter((m) => m[field] !== undefined) },
      mark: { type: 'rule', strokeWidth: 2, color: '#1f77b4' },
      encoding: { x: xEnc, y: { field: `${field}Low`, type: 'quantitative' }, y2: { field: `${field}High` } },
    },
    {
      data: { values: means.filter((m) => m[field] !== undefined) },
      mark: { type: 'tick', thickness: 3, size: 22, color: '#1f77b4' },
      encoding: { x: xEnc, y: { field, type: 'quantitative' } },
    },
  ];
  const threshold = (value: number, text: string) => [
    {
      data: { values: [{ value, text }] },
      mark: { type: 'rule', color: '#d62728', strokeDash: [5, 4], strokeWidth: 1.5 },
      encoding: { y: { field: 'value', type: 'quantitative' } },
    },
    {
      data: { values: [{ value, text }] },
      mark: { type: 'text', color: '#d62728', align: 'left', baseline: 'bottom', dx: 4, dy: -2, x: 0 },
      encoding: { y: { field: 'value', type: 'quantitative' }, text: { field: 'text' } },
    },
  ];
  /** One panel: `field` per variant, seeds joined, mean and interval, the criterion's rule at `rule`. */
  const panel = (title: string, yTitle: string, field: string, xEnc: typeof x, rule: number, ruleText: string) => ({
    title,
    width: Math.max(220, 70 * xEnc.sort.length),
    height: 260,
    encoding: { y: { type: 'quantitative', title: yTitle, scale: { zero: false } } },
    layer: [...seedLayers(field, xEnc), ...meanLayers(field, xEnc), ...threshold(rule, ruleText)],
  });
  const panels = [
    panel(
      'Linear-probe accuracy on clean test digits',
      'linear-probe accuracy (%)',
      'acc',
      x,
      baseMean,
      `criterion: above the baseline mean (${baseMean.toFixed(2)} %)`,
    ),
  ];
  if (variants.length > 1)
    panels.push(
      panel(
        'Paired difference against baseline',
        'Δ linear-probe accuracy vs baseline (points)',
        'delta',
        xDelta,
        POSITIVE_CONTROL.ciLowAbove,
        'criterion: Δ > 0 (control: interval above 0)',
      ),
    );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${report.package}: removing ω-mixed difficult images, linear probe`,
      subtitle: [
        `verdict ${report.verdict} · preset ${report.preset} · ${report.seeds.length} paired seed(s)`,
        'grey: one seed, joined across variants · blue: mean and 95 % t interval · red: the criterion',
      ],
    },
    hconcat: panels,
    spacing: 30,
    resolve: { scale: { y: 'independent' } },
  };
}
