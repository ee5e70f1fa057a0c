import { meanInterval, type ChartSpec, type PairedStatistics, type ReplicationReport } from '@lab/core';
import type { CiaArm } from './config.js';

/** What {@link ciaChart} draws besides the report's rows. */
export interface CiaChartInput {
  /** The arms in display order (ERM first). */
  arms: readonly CiaArm[];
  /** Paired statistics of each non-ERM arm's gain over ERM, in points. */
  stats: ReadonlyMap<CiaArm, PairedStatistics>;
  labels: Readonly<Record<CiaArm, string>>;
  criteria: { ermHeadroom: number; minGainPoints: number };
}

/**
 * The claim as the paper reports it (OOD test accuracy of each method on the same splits), as two panels:
 * left, OOD test accuracy (%) per arm with each graph's points joined across arms, the mean and its 95 % t
 * interval, and the positive control's headroom line (ERM ≤ 85 %); right, each graph's gain over ERM in
 * points with the mean, its 95 % t interval and the criterion's +1-point threshold. Axes fit the data.
 * Null when the report has no rows (the positive control failed before the comparison).
 */
export function ciaChart(report: ReplicationReport, input: CiaChartInput): ChartSpec | null {
  const { arms, stats, labels, criteria } = input;
  const rows = report.rows.filter((r) => arms.includes(r.method as CiaArm));
  if (rows.length === 0) return null;
  const label = (arm: string) => labels[arm as CiaArm] ?? arm;
  const order = arms.map(label);
  const points = rows.map((r) => ({
    panel: 'acc',
    arm: label(r.method),
    graph: `graph ${r.seed}`,
    value: 100 * r.metrics.oodTest!,
  }));
  const accMeans = arms.map((arm) => {
    const v = points.filter((p) => p.arm === label(arm)).map((p) => p.value);
    const { mean, n, ci } = meanInterval(v);
    return { panel: 'accMean', arm: label(arm), mean, low: n > 1 ? ci.low : mean, high: n > 1 ? ci.high : mean };
  });
  const erm = new Map(rows.filter((r) => r.method === 'erm').map((r) => [r.seed, r.metrics.oodTest!]));
  const gains = rows
    .filter((r) => r.method !== 'erm' && erm.has(r.seed))
    .map((r) => ({
      panel: 'gain',
      arm: label(r.method),
      graph: `graph ${r.seed}`,
      value: 100 * (r.metrics.oodTest! - erm.get(r.seed)!),
    }));
  const gainArms = arms.filter((a) => a !== 'erm').map(label);
  const gainMeans = [...stats].map(([arm, s]) => ({
    panel: 'gainMean',
    arm: label(arm),
    mean: s.mean,
    low: Number.isFinite(s.ci.low) ? s.ci.low : s.mean,
    high: Number.isFinite(s.ci.high) ? s.ci.high : s.mean,
  }));
  const n = report.seeds.length;
  const x = (sort: string[]) => ({
    field: 'arm',
    type: 'nominal',
    sort,
    title: null,
    axis: { labelAngle: 0, labelLimit: 220 },
  });
  const seedLayers = (panel: string, sort: string[], title: string) => [
    {
      transform: [{ filter: `datum.panel === '${panel}'` }],
      mark: { type: 'line', color: '#c7c7c7', strokeWidth: 1 },
      encoding: {
        x: x(sort),
        y: { field: 'value', type: 'quantitative', title, scale: { zero: false } },
        detail: { field: 'graph' },
      },
    },
    {
      transform: [{ filter: `datum.panel === '${panel}'` }],
      mark: { type: 'point', filled: true, size: 28, color: '#7f7f7f', opacity: 0.8 },
      encoding: {
        x: x(sort),
        y: { field: 'value', type: 'quantitative' },
        tooltip: [{ field: 'graph' }, { field: 'value', format: '.1f' }],
      },
    },
  ];
  const meanLayers = (panel: string, sort: string[]) => [
    {
      transform: [{ filter: `datum.panel === '${panel}'` }],
      mark: { type: 'rule', strokeWidth: 2.5, color: '#1f77b4' },
      encoding: { x: x(sort), y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
    },
    {
      transform: [{ filter: `datum.panel === '${panel}'` }],
      mark: { type: 'tick', thickness: 3, size: 26, color: '#1f77b4' },
      encoding: { x: x(sort), y: { field: 'mean', type: 'quantitative' } },
    },
  ];
  const hline = (value: number, text: string, color: string, dash: number[]) => [
    {
      mark: { type: 'rule', color, strokeDash: dash, strokeWidth: 1.5 },
      encoding: { y: { datum: value, type: 'quantitative' } },
    },
    {
      mark: { type: 'text', color, align: 'left', dx: 4, dy: -6, fontSize: 10 },
      encoding: { y: { datum: value, type: 'quantitative' }, x: { value: 0 }, text: { value: text } },
    },
  ];
  /** One panel: the per-graph points joined, the means with their intervals, and the threshold rules. */
  const panel = (key: string, sort: string[], title: string, axis: string, perArm: number, rules: object[]) => ({
    width: Math.max(160, perArm * sort.length),
    height: 260,
    title,
    layer: [...seedLayers(key, sort, axis), ...meanLayers(`${key}Mean`, sort), ...rules],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${report.package}: OOD test accuracy on GOOD-CBAS-like concept shift (${report.verdict})`,
      subtitle: `preset ${report.preset} · ${n} paired graph(s) · grey: one graph, joined across methods · blue: mean and 95 % t interval`,
    },
    data: { values: [...points, ...accMeans, ...gains, ...gainMeans] },
    spacing: 60,
    hconcat: [
      panel('acc', order, 'OOD test accuracy per method', 'OOD test accuracy (%)', 110, [
        ...hline(100 * criteria.ermHeadroom, `control: ERM ≤ ${100 * criteria.ermHeadroom} %`, '#d62728', [2, 3]),
      ]),
      panel('gain', gainArms, 'Gain over ERM on the same graph', 'gain over ERM (percentage points)', 130, [
        ...hline(0, '', '#555555', [1, 0]),
        ...hline(criteria.minGainPoints, `criterion: mean ≥ +${criteria.minGainPoints} point`, '#d62728', [6, 3]),
      ]),
    ],
  };
}
