// Renders ReplicationReports (the shape defined in @lab/core's src/report.ts) into Markdown, JSON and SVG.
// Dependency-light on purpose: only vega + vega-lite, loaded lazily for the charts.
import { defaultChart, formatReport, pairedStatistics, renderChartSvg } from '@lab/core';

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
/**
 * The key number of a report for the summary: its first paired comparison's mean difference with a 95 % t
 * interval over seeds (core's pairedStatistics), else the first criterion's value.
 */
export function keyNumber(report) {
  const c = report.comparisons?.[0];
  if (c && c.differences.length > 0) {
    const s = pairedStatistics(c.differences);
    const ci = c.differences.length > 1 ? ` [${fmt(s.ci.low, 3)}, ${fmt(s.ci.high, 3)}]` : '';
    const where = c.setting ? ` (${c.setting})` : '';
    return `${c.method} − ${c.baseline}, ${c.metric}${where}: ${fmt(s.mean, 3)}${ci}, ${c.positive}/${c.differences.length} seeds > 0`;
  }
  const k = report.criteria?.[0];
  return k ? `${k.name}: ${fmt(k.value, 3)} (${k.threshold})` : '';
}

/** The whole Markdown report: a one-screen summary table, then each package's section. */
export function renderMarkdown(entries, { command, startedAt, seconds }) {
  const head = [
    '# @lab miniature replications',
    '',
    `Generated ${startedAt} by \`${command}\` in ${fmt(seconds, 1)} s.`,
    '',
    '| package | claim | verdict | key number (mean, 95 % t interval) | seeds | seconds |',
    '|---|---|---|---|---|---|',
    ...entries.map((e) =>
      e.error
        ? `| ${e.name} | | failed to run | | | ${fmt(e.seconds, 1)} |`
        : `| ${e.name} | ${cell(e.report.claim)} | **${e.report.verdict}** | ${cell(keyNumber(e.report))} | ${e.report.seeds.length} | ${fmt(e.seconds, 1)} |`,
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
