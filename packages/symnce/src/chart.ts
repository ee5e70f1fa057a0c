import { pairedStatistics, type ChartSpec, type ReplicationReport } from '@lab/core';
import type { SymNceReplicationConfig } from './config.js';

/*
 * The report's chart (issue 16, item 3): the paper shows accuracy per loss at each noise rate, so the chart has
 * one column per noise setting with clean-label linear-probe accuracy per arm (every seed a grey point joined
 * across the arms, the mean with its 95 % t interval in blue, the SupCon mean + the criterion's gain drawn in
 * red), and below it the paired gains over SupCon per arm with the criterion's +1-point rule. Axes are fitted
 * to the data, never forced to zero.
 */

function meanCi(values: readonly number[]): { mean: number; low: number; high: number } {
  const s = pairedStatistics(values, 0.95);
  return s.n > 1 ? { mean: s.mean, low: s.ci.low, high: s.ci.high } : { mean: s.mean, low: s.mean, high: s.mean };
}

/** One layer set: grey seed points joined across arms, the mean tick and its interval, and a red rule. */
function layers(field: string, order: string[], points: object[], means: object[], rule: number, ruleText: string) {
  const x = { field: 'arm', type: 'nominal', sort: order, title: null, axis: { labelAngle: -30 } };
  const y = { field, type: 'quantitative' };
  return [
    {
      data: { values: points },
      mark: { type: 'line', color: '#bbbbbb', strokeWidth: 1 },
      encoding: { x, y, detail: { field: 'seed' } },
    },
    {
      data: { values: points },
      mark: { type: 'point', filled: true, size: 26, color: '#888888' },
      encoding: { x, y, tooltip: [{ field: 'arm' }, { field: 'seed' }, { field, format: '.2f' }] },
    },
    {
      data: { values: means },
      mark: { type: 'rule', strokeWidth: 2, color: '#1f77b4' },
      encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
    },
    {
      data: { values: means },
      mark: { type: 'tick', thickness: 3, size: 20, color: '#1f77b4' },
      encoding: { x, y: { field: 'mean', type: 'quantitative' } },
    },
    {
      data: { values: [{ rule, ruleText }] },
      mark: { type: 'rule', color: '#d62728', strokeDash: [5, 4], strokeWidth: 1.5 },
      encoding: { y: { field: 'rule', type: 'quantitative' } },
    },
    {
      data: { values: [{ rule, ruleText }] },
      mark: { type: 'text', color: '#d62728', align: 'left', baseline: 'bottom', dx: 4, dy: -2, x: 0 },
      encoding: { y: { field: 'rule', type: 'quantitative' }, text: { field: 'ruleText' } },
    },
  ];
}

/** The vega-lite spec of a symnce report (data inlined), or undefined when it has no SupCon row. */
export function replicationChart(report: ReplicationReport, cfg: SymNceReplicationConfig): ChartSpec | undefined {
  const metric = report.metric;
  const settings = [...new Set(report.rows.map((r) => r.setting))];
  const columns: object[] = [];
  const trend: object[] = [];
  for (const setting of settings) {
    const rows = report.rows.filter((r) => r.setting === setting && Number.isFinite(r.metrics[metric]));
    const base = new Map(rows.filter((r) => r.method === 'SupCon').map((r) => [r.seed, r.metrics[metric]!]));
    if (base.size === 0) continue;
    const arms = [...new Set(rows.map((r) => r.method))];
    const acc: object[] = [];
    const accMeans: object[] = [];
    const gain: object[] = [];
    const gainMeans: object[] = [];
    for (const arm of arms) {
      const own = rows.filter((r) => r.method === arm);
      own.forEach((r) => acc.push({ arm, seed: String(r.seed), acc: r.metrics[metric] }));
      accMeans.push({ arm, ...meanCi(own.map((r) => r.metrics[metric]!)) });
      trend.push({ arm, setting, ...meanCi(own.map((r) => r.metrics[metric]!)) });
      if (arm === 'SupCon') continue;
      const paired = own.filter((r) => base.has(r.seed));
      const d = paired.map((r) => r.metrics[metric]! - base.get(r.seed)!);
      paired.forEach((r, i) => gain.push({ arm, seed: String(r.seed), gain: d[i] }));
      if (d.length > 0) gainMeans.push({ arm, ...meanCi(d) });
    }
    const supcon = meanCi([...base.values()]).mean;
    const panel = (
      title: string,
      yTitle: string,
      field: string,
      order: string[],
      points: object[],
      means: object[],
      rule: number,
      text: string,
    ) => ({
      title,
      width: Math.max(200, 62 * order.length),
      height: 230,
      encoding: { y: { type: 'quantitative', title: yTitle, scale: { zero: false } } },
      layer: layers(field, order, points, means, rule, text),
    });
    const gainArms = arms.filter((a) => a !== 'SupCon');
    columns.push({
      hconcat: [
        panel(
          `${setting}: clean-label linear probe`,
          'clean-probe accuracy (%)',
          'acc',
          arms,
          acc,
          accMeans,
          supcon + cfg.minGain,
          `SupCon mean + ${cfg.minGain} point`,
        ),
        ...(gainArms.length > 0
          ? [
              panel(
                `${setting}: paired gain over SupCon`,
                'Δ vs SupCon (points)',
                'gain',
                gainArms,
                gain,
                gainMeans,
                cfg.minGain,
                `criterion: mean ≥ +${cfg.minGain}, ≥ ${Math.round(100 * cfg.minPositiveShare)} % seeds > 0`,
              ),
            ]
          : []),
      ],
      resolve: { scale: { y: 'independent' } },
    });
  }
  if (columns.length === 0) return undefined;
  // Accuracy against the noise setting per arm (the paper's tables read across noise rates): means with intervals.
  const x = {
    field: 'setting',
    type: 'ordinal',
    sort: settings,
    title: 'label noise (setting)',
    axis: { labelAngle: 0 },
  };
  const color = { field: 'arm', type: 'nominal', title: 'arm' };
  const y = { field: 'mean', type: 'quantitative', title: 'clean-probe accuracy (%)', scale: { zero: false } };
  const against = {
    title: 'Clean-label linear probe against label noise, per arm',
    width: Math.max(220, 120 * settings.length),
    height: 200,
    layer: [
      { data: { values: trend }, mark: { type: 'line', point: true }, encoding: { x, y, color } },
      {
        data: { values: trend },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
      },
    ],
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${report.package}: clean-label linear probe per loss under label noise`,
      subtitle: [
        `verdict ${report.verdict} · preset ${report.preset} · ${report.seeds.length} paired seed(s) · primary SymNCE-${cfg.primaryForm}`,
        'grey: one seed, joined across arms · blue: mean and 95 % t interval · red: the criterion',
        'accuracy on the clean test digits, probe trained on clean probe digits',
      ],
    },
    // With one setting the panels below already are the accuracy at that noise rate.
    vconcat: settings.length > 1 ? [against, ...columns] : columns,
    spacing: 30,
    resolve: { scale: { color: 'independent' } },
  };
}
