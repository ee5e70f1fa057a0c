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

// ── Student's t and the sign-flip test, for paired seeds ────────────────────────────────────

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~15 significant digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const num of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      c = Math.abs(c) < tiny ? tiny : c;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** I_x(a, b), the regularised incomplete beta function. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new LabError('OUT_OF_RANGE', `df: expected a number > 0, got ${df}`);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The `p`-quantile of Student's t with `df` degrees of freedom (bisection on the CDF, |error| < 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new LabError('OUT_OF_RANGE', `p: expected a number > 0 and < 1, got ${p}`);
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Largest number of pairs whose sign-flip distribution is enumerated exactly (2^20 sign patterns). */
export const SIGN_FLIP_EXACT_MAX = 20;

/**
 * Exact two-sided sign-flip (paired permutation) p-value of the mean difference: the share of the 2^n sign
 * patterns of the differences whose |mean| is at least the observed |mean|. Needs n ≤ {@link SIGN_FLIP_EXACT_MAX}.
 */
export function signFlipPValue(differences: readonly number[]): number {
  const n = differences.length;
  if (n === 0) throw new LabError('EMPTY_INPUT', 'differences: expected at least one value, got 0');
  if (n > SIGN_FLIP_EXACT_MAX)
    throw new LabError(
      'OUT_OF_RANGE',
      `differences: exact sign flips need at most ${SIGN_FLIP_EXACT_MAX} pairs, got ${n}`,
    );
  if (differences.some((d) => !Number.isFinite(d)))
    throw new LabError('NON_FINITE', 'differences: expected finite numbers');
  const observed = Math.abs(differences.reduce((a, b) => a + b, 0));
  const tolerance = 1e-12 * differences.reduce((a, b) => a + Math.abs(b), 0);
  let atLeast = 0;
  for (let mask = 0; mask < 2 ** n; mask++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (mask >> i) & 1 ? -differences[i]! : differences[i]!;
    if (Math.abs(sum) >= observed - tolerance) atLeast++;
  }
  return atLeast / 2 ** n;
}

/** Summary of paired per-seed differences: what a replication criterion is decided on. */
export interface PairedStatistics extends MeanStd {
  /** Two-sided t-based confidence interval of the mean difference (NaN bounds for n < 2). */
  ci: { level: number; low: number; high: number };
  /** Exact sign-flip p-value of the mean difference (null above {@link SIGN_FLIP_EXACT_MAX} pairs). */
  pValue: number | null;
  positive: number;
}

/**
 * Mean, standard deviation, a t-based confidence interval (`level`, default 0.95) and the exact sign-flip
 * p-value of paired per-seed differences.
 *
 * @example
 * const s = pairedStatistics([1.2, 0.4, 0.9, 1.5, 0.7]);
 * // s.mean 0.94, s.ci { level: 0.95, low: 0.41, high: 1.47 }, s.pValue 0.0625 (2 of 32 sign patterns)
 */
export function pairedStatistics(differences: readonly number[], level = 0.95): PairedStatistics {
  const { ci, ...summary } = meanInterval(differences, level);
  return {
    ...summary,
    ci,
    pValue: summary.n <= SIGN_FLIP_EXACT_MAX ? signFlipPValue(differences) : null,
    positive: differences.filter((d) => d > 0).length,
  };
}

/**
 * Mean, sample standard deviation and the two-sided t-based confidence interval of the mean (`level`,
 * default 0.95) of per-seed values; the interval's bounds are NaN for a single value.
 */
export function meanInterval(
  values: readonly number[],
  level = 0.95,
): MeanStd & { ci: { level: number; low: number; high: number } } {
  if (!(level > 0 && level < 1))
    throw new LabError('OUT_OF_RANGE', `level: expected a number > 0 and < 1, got ${level}`);
  const summary = meanStd(values);
  const { mean, std, n } = summary;
  const half = n > 1 ? (studentTQuantile(1 - (1 - level) / 2, n - 1) * std) / Math.sqrt(n) : Number.NaN;
  return { ...summary, ci: { level, low: mean - half, high: mean + half } };
}
