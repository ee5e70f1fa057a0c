import { LabError } from './errors.js';

/** Mean and sample standard deviation (n − 1 denominator; 0 for a single value). */
export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

/** Mean ± sample std of a list of per-seed values. */
export function meanStd(values: readonly number[]): MeanStd {
  if (values.length === 0) throw new LabError('EMPTY_INPUT', 'values: expected at least one value, got 0');
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}

/** Per-seed differences `a[i] − b[i]` with their summary and how many are positive. */
export interface PairedDiff extends MeanStd {
  differences: number[];
  /** Number of seeds where a > b. */
  positive: number;
}

/** Paired differences over seeds (a and b measured on the same seeds, in the same order). */
export function pairedDiff(a: readonly number[], b: readonly number[]): PairedDiff {
  if (a.length !== b.length) {
    throw new LabError('SHAPE_MISMATCH', `pairedDiff: expected equal lengths, got a: ${a.length}, b: ${b.length}`);
  }
  const differences = a.map((v, i) => v - b[i]!);
  return { ...meanStd(differences), differences, positive: differences.filter((d) => d > 0).length };
}

/** Formats `mean ± std` with a fixed number of digits. */
export function formatMeanStd({ mean, std }: MeanStd, digits = 2): string {
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}
