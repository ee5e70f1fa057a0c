import type { ChartSpec } from './chart.js';
import { LabError } from './errors.js';
import { meanStd, pairedDiff } from './stats.js';

/** Outcome of a miniature replication. */
export type Verdict = 'reproduced' | 'not-reproduced' | 'inconclusive';

/**
 * Size of a replication run: `quick` is the CI-sized smoke run, `standard` the smallest run whose verdict is
 * conclusive under the spec's criterion (what `pnpm replicate` runs), `full` the spec's size. A package lists
 * the presets it has; its CLI refuses any other name.
 */
export type Preset = 'quick' | 'standard' | 'full';

/** One measurement: a method (in a setting, e.g. `noise=0.6`) on one seed. */
export interface ReplicationRow {
  method: string;
  /** Experimental condition shared by the methods compared (e.g. `eta=0.6`); empty when there is one. */
  setting: string;
  seed: number;
  metrics: Record<string, number>;
}

/** mean ± std of one metric of one method in one setting, over seeds. */
export interface MetricSummary {
  method: string;
  setting: string;
  metric: string;
  mean: number;
  std: number;
  n: number;
}

/** Per-seed differences `method − baseline` of one metric in one setting. */
export interface PairedComparison {
  setting: string;
  metric: string;
  method: string;
  baseline: string;
  seeds: number[];
  differences: number[];
  mean: number;
  std: number;
  /** Seeds where method > baseline. */
  positive: number;
}

/** One success criterion of the spec, evaluated on the measurements. */
export interface Criterion {
  name: string;
  value: number;
  /** Human-readable threshold, e.g. `>= 1.5` or `<= 0.1`. */
  threshold: string;
  passed: boolean;
}

/** What every package's `replicate()` returns: same shape everywhere, rendered by `pnpm replicate`. */
export interface ReplicationReport {
  /** npm name of the package, e.g. `@lab/symnce`. */
  package: string;
  /** Paper title. */
  paper: string;
  /** The claim under test, in one sentence. */
  claim: string;
  /** Name of the primary metric (a key of `rows[].metrics`). */
  metric: string;
  preset: Preset;
  /** The resolved configuration actually run. */
  config: Record<string, unknown>;
  seeds: number[];
  rows: ReplicationRow[];
  summaries: MetricSummary[];
  comparisons: PairedComparison[];
  criteria: Criterion[];
  verdict: Verdict;
  /** What was observed, caveats, why a claim did not hold at this scale. */
  notes: string[];
  /** Exact command that reruns this replication. */
  command: string;
  /** Wall-clock seconds. */
  seconds: number;
  backend: string;
  /**
   * The claim as the paper shows it: a vega-lite spec with its data inlined, defined by the package (see
   * `defaultChart` for the chart a report without one gets). Rendered to SVG by `renderChartSvg`.
   */
  chart?: ChartSpec;
}

/** Options every `replicate()` accepts. */
export interface ReplicateOptions {
  preset?: Preset;
  /** Number of seeds (0, 1, …, n−1) or an explicit list; defaults to the preset's. */
  seeds?: number | number[];
  /** Called as work progresses; `pnpm replicate` draws it as a progress bar. */
  onProgress?: (event: ProgressEvent) => void;
}

/** A progress update from long-running work. */
export interface ProgressEvent {
  /** What is running, e.g. `seed 2 · SymNCE · η=0.6`. */
  stage: string;
  done: number;
  total: number;
}

/** Resolves `seeds` (a count or a list) against a preset default. */
export function resolveSeeds(seeds: number | number[] | undefined, defaultCount: number): number[] {
  if (seeds === undefined) return Array.from({ length: defaultCount }, (_, i) => i);
  if (typeof seeds === 'number') {
    if (!Number.isInteger(seeds) || seeds < 1)
      throw new LabError('OUT_OF_RANGE', `seeds: expected a positive integer or a list, got ${seeds}`);
    return Array.from({ length: seeds }, (_, i) => i);
  }
  if (seeds.length === 0 || !seeds.every((s) => Number.isInteger(s))) {
    throw new LabError('INVALID_ARGUMENT', `seeds: expected a non-empty list of integers, got [${seeds.join(', ')}]`);
  }
  return [...seeds];
}

/** mean ± std of every (method, setting, metric) in `rows`. */
export function summarizeRows(rows: readonly ReplicationRow[]): MetricSummary[] {
  const groups = new Map<string, { method: string; setting: string; metric: string; values: number[] }>();
  for (const row of rows) {
    for (const [metric, value] of Object.entries(row.metrics)) {
      const key = JSON.stringify([row.setting, row.method, metric]);
      const g = groups.get(key) ?? { method: row.method, setting: row.setting, metric, values: [] };
      g.values.push(value);
      groups.set(key, g);
    }
  }
  return [...groups.values()].map(({ method, setting, metric, values }) => ({
    method,
    setting,
    metric,
    ...meanStd(values),
  }));
}

/** Paired per-seed comparison of `method` against `baseline` on `metric` in `setting`. */
export function compareMethods(
  rows: readonly ReplicationRow[],
  { method, baseline, metric, setting = '' }: { method: string; baseline: string; metric: string; setting?: string },
): PairedComparison {
  const pick = (name: string) =>
    new Map(rows.filter((r) => r.method === name && r.setting === setting).map((r) => [r.seed, r.metrics[metric]]));
  const a = pick(method);
  const b = pick(baseline);
  const seeds = [...a.keys()]
    .filter((s) => b.has(s) && a.get(s) !== undefined && b.get(s) !== undefined)
    .sort((x, y) => x - y);
  if (seeds.length === 0) {
    throw new LabError(
      'EMPTY_INPUT',
      `compareMethods: no seed has '${metric}' for both '${method}' and '${baseline}' in setting '${setting}'`,
    );
  }
  const d = pairedDiff(
    seeds.map((s) => a.get(s)!),
    seeds.map((s) => b.get(s)!),
  );
  return {
    setting,
    metric,
    method,
    baseline,
    seeds,
    differences: d.differences,
    mean: d.mean,
    std: d.std,
    positive: d.positive,
  };
}

/** A criterion `value >= min` (or `<= max`). */
export function criterion(name: string, value: number, bound: { atLeast?: number; atMost?: number }): Criterion {
  const parts: string[] = [];
  let passed = Number.isFinite(value);
  if (bound.atLeast !== undefined) {
    parts.push(`>= ${bound.atLeast}`);
    passed &&= value >= bound.atLeast;
  }
  if (bound.atMost !== undefined) {
    parts.push(`<= ${bound.atMost}`);
    passed &&= value <= bound.atMost;
  }
  return { name, value, threshold: parts.join(' and '), passed };
}

/** `reproduced` when every criterion passed, else `not-reproduced`. Pass `inconclusive` explicitly when the run could not test the claim. */
export function verdictFrom(criteria: readonly Criterion[]): Verdict {
  if (criteria.length === 0) return 'inconclusive';
  return criteria.every((c) => c.passed) ? 'reproduced' : 'not-reproduced';
}

/** Assembles a {@link ReplicationReport}, computing the summaries from the rows (and the verdict from the criteria unless given). */
export function buildReport(
  input: Omit<ReplicationReport, 'summaries' | 'verdict'> & { verdict?: Verdict },
): ReplicationReport {
  return { ...input, summaries: summarizeRows(input.rows), verdict: input.verdict ?? verdictFrom(input.criteria) };
}
