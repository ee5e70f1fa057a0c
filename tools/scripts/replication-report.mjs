// Renders ReplicationReports (the shape defined in @lab/core's src/report.ts) into Markdown, JSON and SVG.
// Dependency-light on purpose: only vega + vega-lite, loaded lazily for the charts.
import { defaultChart, formatReport, renderChartSvg } from '@lab/core';

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

/** One SVG per package: the chart the package defined for its claim (`report.chart`), else core's default. */
export async function renderChart(report) {
  const spec = report.chart ?? defaultChart(report);
  return spec ? renderChartSvg(spec) : null;
}
