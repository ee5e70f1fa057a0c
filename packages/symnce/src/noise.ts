import {
  ASYM_MAPS,
  LabError,
  assertOneOf,
  asymmetricLabelNoise,
  symmetricLabelNoise,
  type NoiseCount,
  type UniformSource,
} from '@lab/core';
import type { SymmetricNoiseConvention } from './config.js';

/**
 * Label noise in the spec's signatures (symnce spec §2.7), backed by @lab/core's generators
 * (`symmetricLabelNoise` / `asymmetricLabelNoise`, which also return the noise mask).
 *
 * `rng` is anything with `next(): number` in [0, 1): a core `Rng` in experiments, or a closed-form
 * source in tests (the golden file's `u(i, salt)`).
 */

/**
 * Symmetric label noise of rate η over C classes.
 * - `'flipToOther'` (default): exactly `round(ηN)` labels, chosen by a seeded permutation, each moved to a
 *   uniformly drawn *different* class; the corruption rate is η.
 * - `'uniform'`: the chosen labels are redrawn over all C classes; the corruption rate is `η(C−1)/C`.
 * - `'bernoulliToOther'`: each label flips independently with probability η, to a different class — the
 *   golden file's algorithm (N uniforms decide the flips, then N uniforms pick the classes).
 * @returns the noisy labels (the input is not modified).
 */
export function symmetricNoise(
  labels: ArrayLike<number>,
  rate: number,
  numClasses: number,
  rng: UniformSource,
  convention: SymmetricNoiseConvention = 'flipToOther',
): Int32Array {
  assertOneOf(convention, ['flipToOther', 'uniform', 'bernoulliToOther'], 'convention');
  const count: NoiseCount = convention === 'bernoulliToOther' ? 'bernoulli' : 'round';
  const base = convention === 'uniform' ? 'uniform' : 'flipToOther';
  return symmetricLabelNoise(labels, rate, numClasses, rng, { convention: base, count }).noisyLabels;
}

/**
 * Asymmetric (pair-flip) noise of Patrini et al. 2017: each label y in `mapping` becomes `mapping[y]`
 * with probability `rate` (one uniform drawn per label, mapped or not); see {@link ASYM_MAPS}
 * (MNIST 7→1, 2→7, 5↔6, 3→8; CIFAR-10 truck→automobile, bird→airplane, deer→horse, cat↔dog).
 */
export function asymmetricNoise(
  labels: ArrayLike<number>,
  rate: number,
  mapping: Readonly<Record<number, number>>,
  rng: UniformSource,
): Int32Array {
  return asymmetricLabelNoise(labels, rate, mapping, rng).noisyLabels;
}

export { ASYM_MAPS };

/**
 * Share of positive pairs of *different* images (same observed label) that are truly positive (same
 * clean label), over all pairs of the set — the expectation of the in-batch share under random batches;
 * the empirical q⁺ of `pairStats` (≈ 0.2 at η = 0.6, C = 10).
 */
export function truePositiveShare(noisyLabels: ArrayLike<number>, cleanLabels: ArrayLike<number>): number {
  const n = noisyLabels?.length;
  if (cleanLabels?.length !== n)
    throw new LabError(
      'SHAPE_MISMATCH',
      `cleanLabels: expected ${n} labels (one per noisy label), got ${cleanLabels?.length ?? String(cleanLabels)}`,
    );
  // Count pairs by (noisy, clean) cell: same-noisy pairs = Σ_ỹ C(n_ỹ, 2); truly positive = Σ_{ỹ,y} C(n_{ỹ,y}, 2).
  const byNoisy = new Map<number, number>();
  const byCell = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    byNoisy.set(noisyLabels[i]!, (byNoisy.get(noisyLabels[i]!) ?? 0) + 1);
    const key = `${noisyLabels[i]},${cleanLabels[i]}`;
    byCell.set(key, (byCell.get(key) ?? 0) + 1);
  }
  const pairs = (m: number) => (m * (m - 1)) / 2;
  let same = 0;
  let truly = 0;
  for (const m of byNoisy.values()) same += pairs(m);
  for (const m of byCell.values()) truly += pairs(m);
  return same === 0 ? 0 : truly / same;
}
