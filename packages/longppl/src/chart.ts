// The replication chart (issue 16 item 3): the claim as the paper's figure shows it. Tier 1: accuracy against
// LongPPL and against PPL across the zoo (one fitted line per seed, linear axes as in the paper's scatter plots),
// and the per-seed correlations beside the criterion's thresholds; tier 2: long-context accuracy of CE and LongCE per paired seed with the mean's 95 % t CI.
import { type ChartSpec, type ReplicationReport, pairedStatistics } from '@lab/core';
import type { Tier2Options } from './config.js';
import type { Tier1SeedResult } from './tier1.js';
import type { Tier2SeedResult } from './tier2.js';

/** The r(LongPPL, accuracy) threshold of the tier-1 criterion. */
export const R_LONGPPL_MAX = -0.85;
/** The r(PPL, accuracy) threshold of the tier-1 criterion. */
export const R_PPL_MIN = -0.3;

const seedColor = { field: 'seed', type: 'nominal', title: 'seed' } as const;

/** Accuracy against `metric` across the tier-1 zoo, one least-squares line per seed (the fit whose r the criterion reads). */
function scatter(metric: 'longppl' | 'ppl', title: string, rs: string): ChartSpec {
  const x = {
    field: metric,
    type: 'quantitative',
    title: `${title} (exp of mean NLL in nats)`,
    scale: { zero: false },
  };
  const y = { field: 'accuracy', type: 'quantitative', title: 'query-value accuracy (fraction)' };
  return {
    title: { text: `accuracy vs ${title} (tier 1 zoo)`, subtitle: `r per seed: ${rs}` },
    width: 230,
    height: 220,
    transform: [{ filter: "datum.layer === 'zoo'" }],
    layer: [
      { mark: { type: 'point', filled: true, size: 40, opacity: 0.8 }, encoding: { x, y, color: seedColor } },
      {
        transform: [{ regression: 'accuracy', on: metric, groupby: ['seed'] }],
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y, color: seedColor },
      },
    ],
  };
}

/** Each seed's points of the rows with `layer`, joined across the x categories (paired seeds). */
function pairedSeedLayers(layer: string, x: object, y: { field: string }): ChartSpec[] {
  const transform = [{ filter: `datum.layer === '${layer}'` }];
  return [
    { transform, mark: { type: 'line', color: '#bbbbbb' }, encoding: { x, y, detail: { field: 'seed' } } },
    {
      transform,
      mark: { type: 'point', filled: true, size: 45 },
      encoding: { x, y, color: seedColor, tooltip: [{ field: 'seed' }, { field: y.field }] },
    },
  ];
}

/** The package's chart of a report (tier 1 when it ran, tier 2 when its comparison ran). */
export function longPPLChart(
  report: ReplicationReport,
  tier1: readonly Tier1SeedResult[],
  tier2: readonly Tier2SeedResult[],
  t2: Tier2Options,
): ChartSpec | undefined {
  const values: Record<string, unknown>[] = [];
  const panels: ChartSpec[] = [];
  const base = report.rows.find((r) => r.method === 'base');
  if (tier1.length > 0) {
    for (const r of tier1) {
      for (const row of r.rows)
        values.push({
          layer: 'zoo',
          seed: String(r.seed),
          model: row.method,
          accuracy: row.metrics.accuracy,
          longppl: row.metrics.longppl,
          ppl: row.metrics.ppl,
        });
      values.push({ layer: 'r', seed: String(r.seed), quantity: 'r(LongPPL, acc)', r: r.summary.rLongPPL });
      values.push({ layer: 'r', seed: String(r.seed), quantity: 'r(PPL, acc)', r: r.summary.rPPL });
    }
    values.push({ layer: 'threshold', quantity: 'r(LongPPL, acc)', r: R_LONGPPL_MAX, label: `≤ ${R_LONGPPL_MAX}` });
    values.push({ layer: 'threshold', quantity: 'r(PPL, acc)', r: R_PPL_MIN, label: `≥ ${R_PPL_MIN}` });
    const rs = (f: (r: Tier1SeedResult) => number) => tier1.map((r) => f(r).toFixed(2)).join(', ');
    panels.push(
      scatter(
        'longppl',
        'LongPPL',
        rs((r) => r.summary.rLongPPL),
      ),
      scatter(
        'ppl',
        'PPL',
        rs((r) => r.summary.rPPL),
      ),
    );
    const x = {
      field: 'quantity',
      type: 'nominal',
      title: null,
      sort: ['r(LongPPL, acc)', 'r(PPL, acc)'],
      axis: { labelAngle: 0 },
    };
    const y = { field: 'r', type: 'quantitative', title: 'Pearson r with accuracy', scale: { domain: [-1, 1] } };
    panels.push({
      title: 'per-seed correlations and criterion thresholds',
      width: 160,
      height: 220,
      layer: [
        ...pairedSeedLayers('r', x, y),
        {
          transform: [{ filter: "datum.layer === 'threshold'" }],
          mark: { type: 'tick', color: '#d62728', thickness: 2, size: 50 },
          encoding: { x, y },
        },
        {
          transform: [{ filter: "datum.layer === 'threshold'" }],
          mark: { type: 'text', color: '#d62728', dx: 34, align: 'left' },
          encoding: { x, y, text: { field: 'label' } },
        },
      ],
    });
  }
  if (tier2.length > 0) {
    for (const r of tier2)
      for (const arm of ['CE', 'LongCE'] as const)
        values.push({ layer: 'arm', seed: String(r.seed), arm, accuracy: r.arms[arm].accuracy.at(-1) });
    for (const arm of ['CE', 'LongCE'] as const) {
      const acc = tier2.map((r) => r.arms[arm].accuracy.at(-1)!);
      const s = pairedStatistics(acc); // mean and 95 % t interval of one arm's accuracies
      const ci = acc.length > 1 ? s.ci : { low: s.mean, high: s.mean };
      values.push({ layer: 'armMean', arm, accuracy: s.mean, low: ci.low, high: ci.high });
    }
    if (base) values.push({ layer: 'base', accuracy: base.metrics.accuracy, label: 'base model' });
    const x = { field: 'arm', type: 'nominal', title: `fine-tuning objective (${t2.fineTuneSteps} steps)` };
    const y = {
      field: 'accuracy',
      type: 'quantitative',
      title: 'long-context query-value accuracy (fraction)',
      scale: { zero: false },
    };
    panels.push({
      title: 'tier 2: CE vs LongCE, paired seeds (mean, 95 % t CI)',
      width: 170,
      height: 220,
      layer: [
        ...pairedSeedLayers('arm', x, y),
        {
          transform: [{ filter: "datum.layer === 'armMean'" }],
          mark: { type: 'rule', strokeWidth: 2, color: '#1f77b4' },
          encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
        },
        {
          transform: [{ filter: "datum.layer === 'armMean'" }],
          mark: { type: 'tick', thickness: 3, size: 26, color: '#1f77b4' },
          encoding: { x, y },
        },
        {
          transform: [{ filter: "datum.layer === 'base'" }],
          mark: { type: 'rule', strokeDash: [4, 3], color: '#7f7f7f' },
          encoding: { y },
        },
      ],
    });
  }
  if (tier2.length === 0 && base) {
    // The comparison did not run: show why (the positive control against its gate and chance).
    values.push({ layer: 'control', what: 'base model', accuracy: base.metrics.accuracy });
    values.push({ layer: 'control', what: 'chance', accuracy: base.metrics.chance });
    values.push({ layer: 'gate', accuracy: t2.minBaseAccuracy, label: `gate ≥ ${t2.minBaseAccuracy}` });
    values.push({ layer: 'gate', accuracy: t2.maxBaseAccuracy, label: `ceiling ≤ ${t2.maxBaseAccuracy}` });
    const y = { field: 'accuracy', type: 'quantitative', title: 'long-context query-value accuracy (fraction)' };
    panels.push({
      title: { text: 'tier 2 positive control', subtitle: 'LongCE vs CE runs only inside the gate' },
      width: 150,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'control'" }],
          mark: { type: 'bar', width: 30, color: '#9ecae1' },
          encoding: { x: { field: 'what', type: 'nominal', title: null, axis: { labelAngle: 0 } }, y },
        },
        {
          transform: [{ filter: "datum.layer === 'gate'" }],
          mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] },
          encoding: { y },
        },
        {
          transform: [{ filter: "datum.layer === 'gate'" }],
          mark: { type: 'text', color: '#d62728', align: 'right', dy: -6, x: 148 },
          encoding: { y, text: { field: 'label' } },
        },
      ],
    });
  }
  if (panels.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${report.package}: LongPPL tracks long-context accuracy, PPL does not`,
      subtitle: `${report.verdict} · preset ${report.preset} · ${report.seeds.length} seed(s)`,
    },
    data: { values },
    hconcat: panels,
    resolve: { scale: { color: 'shared' } },
  };
}
