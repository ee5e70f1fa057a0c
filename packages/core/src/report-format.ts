import type { ReplicationReport } from './report.js';

const fmt = (v: unknown, digits = 4) =>
  typeof v !== 'number' ? String(v) : Number.isInteger(v) ? String(v) : v.toFixed(digits);
const cell = (s: unknown) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

export interface FormatReportOptions {
  /** Markdown heading put first (e.g. `## @lab/symnce`); none by default. */
  heading?: string;
  /** The rerun command shown last (default: the report's own `command`). */
  rerun?: string;
}

/**
 * The one report printer of `@lab`: a {@link ReplicationReport} as Markdown — claim, verdict, per-seed table,
 * mean ± std, paired differences, criteria with their thresholds, notes and the rerun command. Every
 * `lab-<name> replicate` prints it and `pnpm replicate` puts it in `reports/replication.md`.
 */
export function formatReport(report: ReplicationReport, options: FormatReportOptions = {}): string {
  const lines: string[] = options.heading ? [options.heading, ''] : [];
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
    for (const r of report.rows)
      lines.push(
        `| ${cell(r.setting || '–')} | ${cell(r.method)} | ${r.seed} | ${metrics.map((m) => (m in r.metrics ? fmt(r.metrics[m]) : '')).join(' | ')} |`,
      );
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
    for (const c of report.comparisons)
      lines.push(
        `| ${cell(c.setting || '–')} | ${cell(c.metric)} | ${cell(c.method)} − ${cell(c.baseline)} | ${c.differences.map((d) => fmt(d)).join(', ')} | ${fmt(c.mean)} ± ${fmt(c.std)} | ${c.positive}/${c.differences.length} |`,
      );
    lines.push('');
  }
  if (report.criteria.length > 0) {
    lines.push('Criteria:', '', '| criterion | value | threshold | passed |', '|---|---|---|---|');
    for (const c of report.criteria)
      lines.push(`| ${cell(c.name)} | ${fmt(c.value)} | ${cell(c.threshold)} | ${c.passed ? 'yes' : 'no'} |`);
    lines.push('');
  }
  if (report.notes.length > 0) lines.push('Notes:', '', ...report.notes.map((n) => `- ${n}`), '');
  lines.push(`Rerun: \`${options.rerun ?? report.command}\``, '');
  return lines.join('\n');
}
