// Charts travel with the report: a package puts a vega-lite spec (data inlined) in `report.chart`, and
// `lab-<name> replicate --out DIR` and `pnpm replicate` render it to SVG with the same renderer.
import { LabError } from './errors.js';
import type { ReplicationReport } from './report.js';
import { meanInterval } from './stats.js';

/** A vega-lite (v6) specification with its data inlined (`data: { values: [...] }`). */
export type ChartSpec = Record<string, unknown>;

/**
 * The chart a report gets when its package defines none: the primary metric of every method, one panel per
 * setting, each seed's points joined across methods (paired seeds), the mean with its 95 % t interval, and an
 * axis fitted to the data (never forced to zero).
 */
export function defaultChart(report: ReplicationReport): ChartSpec | null {
  const metric = report.metric;
  const points = report.rows
    .filter((r) => typeof r.metrics[metric] === 'number' && Number.isFinite(r.metrics[metric]))
    .map((r) => ({ method: r.method, setting: r.setting || 'all', seed: String(r.seed), value: r.metrics[metric]! }));
  if (points.length === 0) return null;
  const groups = new Map<string, number[]>();
  for (const p of points) {
    const key = `${p.setting}\u0000${p.method}`;
    const values = groups.get(key);
    if (values) values.push(p.value);
    else groups.set(key, [p.value]);
  }
  const means = [...groups].map(([key, values]) => {
    const [setting, method] = key.split('\u0000') as [string, string];
    const { mean, n, ci } = meanInterval(values);
    // One seed has no interval: draw it as a point (low = high = mean).
    return { setting, method, mean, low: n > 1 ? ci.low : mean, high: n > 1 ? ci.high : mean, n };
  });
  const methods = [...new Set(points.map((p) => p.method))];
  const x = { field: 'method', type: 'nominal', sort: methods, title: null, axis: { labelAngle: -30 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${report.package}: ${metric}`,
      subtitle: `${report.verdict} · preset ${report.preset} · mean and 95 % t interval over ${report.seeds.length} seed(s)`,
    },
    facet: { column: { field: 'setting', type: 'nominal', title: null } },
    data: { values: [...points.map((p) => ({ ...p, layer: 'seed' })), ...means.map((m) => ({ ...m, layer: 'mean' }))] },
    spec: {
      width: Math.max(160, 60 * methods.length),
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'seed'" }],
          mark: { type: 'line', color: '#bbbbbb', strokeWidth: 1 },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
            detail: { field: 'seed' },
          },
        },
        {
          transform: [{ filter: "datum.layer === 'seed'" }],
          mark: { type: 'point', filled: true, size: 30, color: '#888888' },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative' },
            tooltip: [{ field: 'seed' }, { field: 'value' }],
          },
        },
        {
          transform: [{ filter: "datum.layer === 'mean'" }],
          mark: { type: 'rule', strokeWidth: 2, color: '#1f77b4' },
          encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
        },
        {
          transform: [{ filter: "datum.layer === 'mean'" }],
          mark: { type: 'tick', thickness: 3, size: 24, color: '#1f77b4' },
          encoding: { x, y: { field: 'mean', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/**
 * Renders a vega-lite spec to SVG (headless, no browser). Needs the optional peer dependencies `vega` and
 * `vega-lite` (the method packages depend on them); without them a `LabError` says what to install.
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  let vl: { compile(spec: unknown): { spec: unknown } };
  let vega: {
    View: new (runtime: unknown, options: { renderer: string }) => { toSVG(): Promise<string>; finalize(): void };
    parse(spec: unknown): unknown;
  };
  try {
    [vl, vega] = (await Promise.all([import('vega-lite'), import('vega')])) as unknown as [typeof vl, typeof vega];
  } catch (err) {
    throw new LabError(
      'DEPENDENCY_MISSING',
      `renderChartSvg: needs the packages 'vega' and 'vega-lite' (npm install vega vega-lite): ${(err as Error).message}`,
    );
  }
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
