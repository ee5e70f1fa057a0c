import { LabError, assertInRange } from '../errors.js';
import { numberArray } from './validate.js';

// Host statistics in float64, checked against numpy/scipy: quantiles, average ranks, Pearson and Spearman.

/**
 * The q-quantile with linear interpolation between order statistics, as `numpy.quantile` (default
 * method) and `torch.quantile` compute it: sort ascending, position q·(n−1). `q` may be an array.
 * @example quantile([1, 2, 3, 4], 0.5) // 2.5
 */
export function quantile(values: ArrayLike<number>, q: number): number;
export function quantile(values: ArrayLike<number>, q: readonly number[]): number[];
export function quantile(values: ArrayLike<number>, q: number | readonly number[]): number | number[] {
  if (values.length === 0) throw new LabError('EMPTY_INPUT', 'values: expected at least 1 value, got 0');
  const sorted = numberArray(values, 'values').sort();
  const one = (p: number) => {
    assertInRange(p, 'q', { min: 0, max: 1 });
    const pos = p * (sorted.length - 1);
    const lo = Math.floor(pos),
      hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  };
  return typeof q === 'number' ? one(q) : q.map(one);
}

/** Ranks 1..n with ties given their average rank (`scipy.stats.rankdata(method='average')`). */
export function rankData(values: ArrayLike<number>): Float64Array {
  const v = numberArray(values, 'values');
  const order = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b);
  const ranks = new Float64Array(v.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && v[order[end]!] === v[order[start]!]) end++;
    const avg = (start + 1 + end) / 2; // mean of ranks start+1 … end
    for (let k = start; k < end; k++) ranks[order[k]!] = avg;
    start = end;
  }
  return ranks;
}

function pairedArrays(a: ArrayLike<number>, b: ArrayLike<number>): [Float64Array, Float64Array] {
  const x = numberArray(a, 'a'),
    y = numberArray(b, 'b');
  if (x.length !== y.length)
    throw new LabError('SHAPE_MISMATCH', `b: expected ${x.length} values (the length of a), got ${y.length}`);
  if (x.length < 2) throw new LabError('EMPTY_INPUT', `a: expected at least 2 paired values, got ${x.length}`);
  return [x, y];
}

/**
 * Pearson correlation coefficient of two paired samples (two-pass, float64). Returns NaN when either
 * sample is constant (the correlation is undefined), as numpy and scipy do.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [x, y] = pairedArrays(a, b);
  const n = x.length;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx,
      dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman rank correlation: Pearson on average ranks, so ties are handled as `scipy.stats.spearmanr` does. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [x, y] = pairedArrays(a, b);
  return pearson(rankData(x), rankData(y));
}
