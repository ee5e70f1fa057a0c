import { meanInterval, type ChartSpec, type ReplicationRow } from '@lab/core';

/*
 * The report's chart (issue 16, item 3): attack success rate against clean accuracy per defense, as the
 * paper's trade-off tables read — one panel per isolated set (controlled precision 1.0 / 0.5 / 0.25 and
 * MADE's own isolation), every seed a point, each seed's no-defense, ABL and MADE-R points joined, the mean
 * with 95 % t intervals in both directions, and the criterion's thresholds drawn as rules.
 */

const PANELS: { title: string; abl: string; made: string }[] = [
  { title: 'isolation precision 1.0', abl: 'abl-p100', made: 'made-p100' },
  { title: 'isolation precision 0.5 (criterion)', abl: 'abl-p50', made: 'made-p50' },
  { title: 'isolation precision 0.25', abl: 'abl-p25', made: 'made-p25' },
  { title: "MADE's own isolation", abl: 'abl', made: 'made' },
];

function meanCi(values: number[]): { mean: number; low: number; high: number } {
  const { mean, n, ci } = meanInterval(values);
  // percentages: the interval is clipped to [0, 100]
  return { mean, low: n > 1 ? Math.max(0, ci.low) : mean, high: n > 1 ? Math.min(100, ci.high) : mean };
}

/** The vega-lite spec of a MADE report (data inlined), or undefined when the run has no defended arm. */
export function madeChart(
  rows: readonly ReplicationRow[],
  setting: string,
  preset: string,
  verdict: string,
  numSeeds: number,
): ChartSpec | undefined {
  const of = (method: string) => rows.filter((r) => r.method === method && r.setting === setting);
  const none = of('none');
  const panels = PANELS.filter((p) => of(p.abl).length + of(p.made).length > 0);
  if (panels.length === 0) return undefined;
  const noneAcc = none.length > 0 ? meanCi(none.map((r) => 100 * r.metrics.acc!)).mean : undefined;
  const points: Record<string, unknown>[] = [];
  const means: Record<string, unknown>[] = [];
  const rules: Record<string, unknown>[] = [];
  for (const p of panels) {
    for (const [defense, method, order] of [
      ['no defense', 'none', 0],
      ['ABL', p.abl, 1],
      ['MADE-R', p.made, 2],
    ] as const) {
      const rs = of(method);
      if (rs.length === 0) continue;
      for (const r of rs)
        points.push({
          panel: p.title,
          defense,
          order,
          seed: String(r.seed),
          acc: 100 * r.metrics.acc!,
          asr: 100 * r.metrics.asr!,
        });
      const a = meanCi(rs.map((r) => 100 * r.metrics.acc!));
      const s = meanCi(rs.map((r) => 100 * r.metrics.asr!));
      means.push({
        panel: p.title,
        defense,
        acc: a.mean,
        accLow: a.low,
        accHigh: a.high,
        asr: s.mean,
        asrLow: s.low,
        asrHigh: s.high,
      });
    }
    rules.push({ panel: p.title, rule: 'MADE-R: ASR ≤ 10 %', asr: 10 });
    rules.push({ panel: p.title, rule: 'ABL: ASR > 20 %', asr: 20 });
    if (noneAcc !== undefined) {
      rules.push({ panel: p.title, rule: 'MADE-R: drop ≤ 3 points', acc: noneAcc - 3 });
      rules.push({ panel: p.title, rule: 'ABL: drop ≥ 5 points', acc: noneAcc - 5 });
    }
  }
  const color = {
    field: 'defense',
    type: 'nominal',
    title: 'defense',
    scale: { domain: ['no defense', 'ABL', 'MADE-R'], range: ['#7f7f7f', '#d62728', '#1f77b4'] },
  };
  const x = {
    field: 'acc',
    type: 'quantitative',
    title: 'clean accuracy (%)',
    scale: { zero: false, nice: false, padding: 8 },
  };
  const y = { field: 'asr', type: 'quantitative', title: 'attack success rate (%)', scale: { domain: [0, 100] } };
  const strokeDash = {
    field: 'rule',
    type: 'nominal',
    title: 'thresholds (at precision 0.5)',
    legend: { labelLimit: 300, titleLimit: 300 },
    scale: {
      domain: ['MADE-R: ASR ≤ 10 %', 'ABL: ASR > 20 %', 'MADE-R: drop ≤ 3 points', 'ABL: drop ≥ 5 points'],
      range: [
        [2, 2],
        [8, 3],
        [2, 2],
        [8, 3],
      ],
    },
  };
  const layer = (name: string) => ({ filter: `datum.layer === '${name}'` });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: '@lab/made: attack success rate against clean accuracy',
      subtitle: [
        `${setting} task · verdict ${verdict} · preset ${preset} · ${numSeeds} paired seed(s)`,
        'small points: one seed (grey lines join a seed across defenses); diamonds: mean with 95 % t intervals in both directions',
      ],
    },
    data: {
      values: [
        ...points.map((d) => ({ ...d, layer: 'seed' })),
        ...means.map((d) => ({ ...d, layer: 'mean' })),
        ...rules.map((d) => ({ ...d, layer: 'rule' })),
      ],
    },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: panels.map((p) => p.title) } },
    spec: {
      width: 210,
      height: 210,
      layer: [
        {
          transform: [layer('rule'), { filter: 'isValid(datum.asr)' }],
          mark: { type: 'rule', color: '#555555' },
          encoding: { y: { field: 'asr', type: 'quantitative' }, strokeDash, tooltip: [{ field: 'rule' }] },
        },
        {
          transform: [layer('rule'), { filter: 'isValid(datum.acc)' }],
          mark: { type: 'rule', color: '#555555' },
          encoding: { x: { field: 'acc', type: 'quantitative' }, strokeDash, tooltip: [{ field: 'rule' }] },
        },
        {
          transform: [layer('seed')],
          mark: { type: 'line', color: '#cccccc', strokeWidth: 1 },
          encoding: { x, y, detail: { field: 'seed' }, order: { field: 'order' } },
        },
        {
          transform: [layer('seed')],
          mark: { type: 'point', filled: true, size: 28, opacity: 0.7 },
          encoding: {
            x,
            y,
            color,
            tooltip: [{ field: 'defense' }, { field: 'seed' }, { field: 'acc' }, { field: 'asr' }],
          },
        },
        {
          transform: [layer('mean')],
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { x, y: { field: 'asrLow', type: 'quantitative' }, y2: { field: 'asrHigh' }, color },
        },
        {
          transform: [layer('mean')],
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { x: { field: 'accLow', type: 'quantitative' }, x2: { field: 'accHigh' }, y, color },
        },
        {
          transform: [layer('mean')],
          mark: { type: 'point', shape: 'diamond', filled: true, size: 110, stroke: 'black', strokeWidth: 0.5 },
          encoding: { x, y, color },
        },
      ],
    },
  };
}
