// Renders ReplicationReports (the shape defined in @lab/core's src/report.ts) into Markdown, JSON and SVG.
// Dependency-light on purpose: only vega + vega-lite, loaded lazily for the charts.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes a file through a temporary sibling and a rename, so readers never see half a report. */
export function writeAtomic(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

const fmt = (v, digits = 4) =>
  typeof v !== 'number' ? String(v) : Number.isInteger(v) ? String(v) : v.toFixed(digits);
const cell = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Markdown section for one package: a finished report, or the failure that stopped it. */
export function renderPackage(entry) {
  const { name, report, error, seconds } = entry;
  const lines = [`## ${name}`, ''];
  if (error) {
    lines.push(`**failed to run** after ${fmt(seconds, 1)} s:`, '', '```', error, '```', '');
    return lines.join('\n');
  }
  lines.push(`*${report.paper}*`, '', `**Claim.** ${report.claim}`, '');
  lines.push(
    `**Verdict: ${report.verdict}** · preset \`${report.preset}\` · seeds ${report.seeds.join(', ')} · backend ${report.backend} · ${fmt(report.seconds, 1)} s`,
    '',
  );
  const metrics = [...new Set(report.rows.flatMap((r) => Object.keys(r.metrics)))];
  if (report.rows.length > 0) {
    lines.push(
      'Per seed:',
      '',
      `| setting | method | seed | ${metrics.join(' | ')} |`,
      `|---|---|---|${metrics.map(() => '---|').join('')}`,
    );
    for (const r of report.rows) {
      lines.push(
        `| ${cell(r.setting || '–')} | ${cell(r.method)} | ${r.seed} | ${metrics.map((m) => (m in r.metrics ? fmt(r.metrics[m]) : '')).join(' | ')} |`,
      );
    }
    lines.push('');
  }
  if (report.summaries.length > 0) {
    lines.push('Mean ± std over seeds:', '', '| setting | method | metric | mean ± std | n |', '|---|---|---|---|---|');
    for (const s of report.summaries)
      lines.push(
        `| ${cell(s.setting || '–')} | ${cell(s.method)} | ${cell(s.metric)} | ${fmt(s.mean)} ± ${fmt(s.std)} | ${s.n} |`,
      );
    lines.push('');
  }
  if (report.comparisons.length > 0) {
    lines.push(
      'Paired differences (method − baseline, per seed):',
      '',
      '| setting | metric | method − baseline | per seed | mean ± std | seeds > 0 |',
      '|---|---|---|---|---|---|',
    );
    for (const c of report.comparisons) {
      lines.push(
        `| ${cell(c.setting || '–')} | ${cell(c.metric)} | ${cell(c.method)} − ${cell(c.baseline)} | ${c.differences.map((d) => fmt(d)).join(', ')} | ${fmt(c.mean)} ± ${fmt(c.std)} | ${c.positive}/${c.differences.length} |`,
      );
    }
    lines.push('');
  }
  if (report.criteria.length > 0) {
    lines.push('Criteria:', '', '| criterion | value | threshold | passed |', '|---|---|---|---|');
    for (const c of report.criteria)
      lines.push(`| ${cell(c.name)} | ${fmt(c.value)} | ${cell(c.threshold)} | ${c.passed ? 'yes' : 'no'} |`);
    lines.push('');
  }
  if (report.notes.length > 0) lines.push('Notes:', '', ...report.notes.map((n) => `- ${n}`), '');
  const seedsFlag = entry.seedsArg ? ` --seeds ${entry.seedsArg}` : '';
  const viaRunner = entry.dir ? `pnpm replicate ${entry.dir} --preset ${report.preset}${seedsFlag}` : null;
  lines.push(
    viaRunner
      ? `Rerun: \`${viaRunner}\` (the package's own command: \`${report.command}\`)`
      : `Rerun: \`${report.command}\``,
    '',
  );
  if (entry.chart) lines.push(`![${name}](${entry.chart})`, '');
  return lines.join('\n');
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
