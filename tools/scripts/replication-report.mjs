// Renders ReplicationReports (the shape defined in @lab/core's src/report.ts) into Markdown, JSON and SVG.
// Dependency-light on purpose: only vega + vega-lite, loaded lazily for the charts.
import { formatReport } from '@lab/core';

const fmt = (v, digits = 4) =>
  typeof v !== 'number' ? String(v) : Number.isInteger(v) ? String(v) : v.toFixed(digits);
const cell = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Markdown section for one package: a finished report (core's report printer), or the failure that stopped it. */
export function renderPackage(entry) {
  const { name, report, error, seconds } = entry;
  if (error)
    return [`## ${name}`, '', `**failed to run** after ${fmt(seconds, 1)} s:`, '', '```', error, '```', ''].join('\n');
  const seedsFlag = entry.seedsArg ? ` --seeds ${entry.seedsArg}` : '';
  const rerun = entry.dir
    ? `pnpm replicate ${entry.dir} --preset ${report.preset}${seedsFlag}\` (the package's own command: \`${report.command}`
    : report.command;
  const text = formatReport(report, { heading: `## ${name}`, rerun });
  return entry.chart ? `${text}![${name}](${entry.chart})\n` : text;
}

/** The whole Markdown report. */
export function renderMarkdown(entries, { command, startedAt, seconds }) {
  const head = [
    '# @lab miniature replications',
    '',
    `Generated ${startedAt} by \`${command}\` in ${fmt(seconds, 1)} s.`,
    '',
    '| package | verdict | primary metric | seconds |',
    '|---|---|---|---|',
    ...entries.map(
      (e) =>
        `| ${e.name} | ${e.error ? 'failed to run' : e.report.verdict} | ${e.error ? '' : cell(e.report.metric)} | ${fmt(e.seconds, 1)} |`,
    ),
    '',
  ];
  return [...head, ...entries.map(renderPackage)].join('\n');
}

/** One SVG per package: per-seed values of the primary metric by method (dots) with the mean (bar), one panel per setting. */
export async function renderChart(report) {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const values = report.rows
    .filter((r) => typeof r.metrics[report.metric] === 'number')
    .map((r) => ({ method: r.method, setting: r.setting || 'all', seed: r.seed, value: r.metrics[report.metric] }));
  if (values.length === 0) return null;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${report.package}: ${report.metric}`,
      subtitle: `verdict: ${report.verdict} · preset ${report.preset}`,
    },
    data: { values },
    facet: { column: { field: 'setting', type: 'nominal', title: null } },
    spec: {
      width: 220,
      height: 200,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.5 },
          encoding: {
            x: { field: 'method', type: 'nominal', title: null },
            y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: report.metric },
          },
        },
        {
          mark: { type: 'point', filled: true },
          encoding: {
            x: { field: 'method', type: 'nominal' },
            y: { field: 'value', type: 'quantitative' },
            color: { field: 'seed', type: 'nominal' },
          },
        },
      ],
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
