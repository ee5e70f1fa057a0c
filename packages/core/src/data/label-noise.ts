import { LabError, assertInRange, assertOneOf } from '../errors.js';

/**
 * The only randomness label noise needs: uniforms in [0, 1). A core `Rng` satisfies it; tests can
 * inject a closed-form source (the symnce golden file uses `u(i, salt)`).
 */
export interface UniformSource {
  next(): number;
}

/** Noisy labels plus which entries changed. */
export interface LabelNoiseResult {
  /** [N] the corrupted labels. */
  noisyLabels: Int32Array;
  /** [N] 1 where `noisyLabels[i] !== labels[i]`, else 0. */
  noiseMask: Uint8Array;
  /** Number of changed labels (the sum of `noiseMask`). */
  numNoisy: number;
  /** numNoisy / N (0 for an empty input). */
  actualRate: number;
}

/**
 * How many labels are corrupted:
 * - `'round'`: exactly `round(rate·N)` indices, chosen by a seeded permutation (symnce spec §2.7, default);
 * - `'floor'`: exactly `⌊rate·N⌋` indices (the monosemantic official code);
 * - `'bernoulli'`: each index independently with probability `rate` (the symnce golden algorithm).
 */
export type NoiseCount = 'round' | 'floor' | 'bernoulli';

export interface SymmetricNoiseOptions {
  /**
   * `'flipToOther'` (default): each selected label moves to a uniformly drawn *different* class, so the
   * corruption rate is `rate`. `'uniform'`: each selected label is redrawn uniformly over all C classes,
   * so the expected corruption rate is `rate·(C−1)/C`.
   */
  convention?: 'flipToOther' | 'uniform';
  /** Default `'round'`. */
  count?: NoiseCount;
}

export interface AsymmetricNoiseOptions {
  /**
   * Default `'bernoulli'` (each label of a mapped class flips with probability `rate`, as the common
   * Patrini/SCE code and the symnce golden file do). `'round'`/`'floor'` flip exactly that many labels
   * of each mapped source class.
   */
  count?: NoiseCount;
}

/**
 * Pair-flip maps for asymmetric noise (Patrini et al. 2017, "Making deep neural networks robust to
 * label noise"; the maps used by SCE and the symnce golden file). Classes absent from a map never flip.
 * - `mnist`: 7→1, 2→7, 5↔6, 3→8;
 * - `cifar10`: truck(9)→automobile(1), bird(2)→airplane(0), deer(4)→horse(7), cat(3)↔dog(5);
 * - `cifar100`: each fine class moves to the next one in its block of 5 consecutive class indices,
 *   cyclically. This is what the widely used SCE/Co-teaching code does ("next class of its
 *   super-class" assumes the 5 classes of a super-class have consecutive indices, which CIFAR-100's
 *   alphabetical fine labels do not; we reproduce the code, not the description).
 */
export const ASYM_MAPS: {
  readonly mnist: Readonly<Record<number, number>>;
  readonly cifar10: Readonly<Record<number, number>>;
  readonly cifar100: Readonly<Record<number, number>>;
} = {
  mnist: { 7: 1, 2: 7, 5: 6, 6: 5, 3: 8 },
  cifar10: { 9: 1, 2: 0, 4: 7, 3: 5, 5: 3 },
  cifar100: Object.fromEntries(Array.from({ length: 100 }, (_, c) => [c, 5 * Math.floor(c / 5) + (((c % 5) + 1) % 5)])),
};

function validateLabels(labels: ArrayLike<number>, numClasses: number | null, name = 'labels'): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || (numClasses !== null && y >= numClasses)) {
      const range = numClasses === null ? 'non-negative integers' : `integers in [0, ${numClasses})`;
      throw new LabError('OUT_OF_RANGE', `${name}: expected ${range}, got ${y} at index ${i}`);
    }
  }
}

function uniformInt(source: UniformSource, n: number): number {
  return Math.min(n - 1, Math.floor(source.next() * n));
}

/** Seeded choice of the indices to corrupt among `candidates`; returns a 0/1 selection per candidate. */
function selectIndices(candidates: number, rate: number, count: NoiseCount, source: UniformSource): Uint8Array {
  const selected = new Uint8Array(candidates);
  if (count === 'bernoulli') {
    for (let i = 0; i < candidates; i++) selected[i] = source.next() < rate ? 1 : 0;
    return selected;
  }
  const k = count === 'round' ? Math.round(rate * candidates) : Math.floor(rate * candidates + 1e-9);
  // Partial Fisher–Yates: the first k entries of a seeded permutation.
  const perm = Int32Array.from({ length: candidates }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + uniformInt(source, candidates - i);
    const tmp = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = tmp;
    selected[perm[i]!] = 1;
  }
  return selected;
}

function finish(labels: ArrayLike<number>, noisy: Int32Array): LabelNoiseResult {
  const noiseMask = new Uint8Array(noisy.length);
  let numNoisy = 0;
  for (let i = 0; i < noisy.length; i++) {
    if (noisy[i] !== labels[i]) {
      noiseMask[i] = 1;
      numNoisy++;
    }
  }
  return { noisyLabels: noisy, noiseMask, numNoisy, actualRate: noisy.length ? numNoisy / noisy.length : 0 };
}

/**
 * Symmetric label noise of rate η over C classes (symnce spec §2.7; monosemantic §2.6).
 *
 * Algorithm (fixed, so results are reproducible from the seed): with `count: 'bernoulli'`, draw N
 * uniforms u_i (flip iff u_i < η), then N uniforms v_i (new class `(y + 1 + ⌊v_i(C−1)⌋) mod C` for
 * flip-to-other, `⌊v_i·C⌋` for uniform) — exactly the symnce golden algorithm when u and v come from
 * `u(i, salt)` and `u(i, salt+1)`. With `'round'`/`'floor'`, a partial seeded Fisher–Yates picks the
 * indices, then one draw per selected index (in index order) picks its new class.
 *
 * @example
 * const { noisyLabels, noiseMask } = symmetricLabelNoise(labels, 0.6, 10, rng.fork('noise'));
 */
export function symmetricLabelNoise(
  labels: ArrayLike<number>,
  rate: number,
  numClasses: number,
  rng: UniformSource,
  options: SymmetricNoiseOptions = {},
): LabelNoiseResult {
  const { convention = 'flipToOther', count = 'round' } = options;
  assertInRange(rate, 'rate', { min: 0, max: 1 });
  assertInRange(numClasses, 'numClasses', { min: 2, integer: true });
  assertOneOf(convention, ['flipToOther', 'uniform'], 'convention');
  assertOneOf(count, ['round', 'floor', 'bernoulli'], 'count');
  validateLabels(labels, numClasses);
  const n = labels.length;
  const selected = selectIndices(n, rate, count, rng);
  const noisy = Int32Array.from(labels);
  const newClass = (y: number, v: number) =>
    convention === 'flipToOther'
      ? (y + 1 + Math.min(numClasses - 2, Math.floor(v * (numClasses - 1)))) % numClasses
      : Math.min(numClasses - 1, Math.floor(v * numClasses));
  if (count === 'bernoulli') {
    for (let i = 0; i < n; i++) {
      const v = rng.next();
      if (selected[i]) noisy[i] = newClass(noisy[i]!, v);
    }
  } else {
    for (let i = 0; i < n; i++) if (selected[i]) noisy[i] = newClass(noisy[i]!, rng.next());
  }
  return finish(labels, noisy);
}

/**
 * Asymmetric (pair-flip, class-conditional) label noise: a label y in `mapping` becomes `mapping[y]`
 * with probability `rate` (Patrini et al. 2017); other classes stay clean. Use {@link ASYM_MAPS}.
 *
 * Algorithm: `'bernoulli'` draws one uniform per label (all N, mapped or not, in index order) and flips
 * iff it is < rate — the symnce golden algorithm. `'round'`/`'floor'` flip exactly `round/floor(rate·n_y)`
 * labels of each mapped class y (source classes in ascending order, each by a partial Fisher–Yates).
 *
 * @example
 * const { noisyLabels } = asymmetricLabelNoise(labels, 0.4, ASYM_MAPS.mnist, rng.fork('asym'));
 */
export function asymmetricLabelNoise(
  labels: ArrayLike<number>,
  rate: number,
  mapping: Readonly<Record<number, number>>,
  rng: UniformSource,
  options: AsymmetricNoiseOptions = {},
): LabelNoiseResult {
  const { count = 'bernoulli' } = options;
  assertInRange(rate, 'rate', { min: 0, max: 1 });
  assertOneOf(count, ['round', 'floor', 'bernoulli'], 'count');
  validateLabels(labels, null);
  const map = new Map<number, number>();
  for (const [key, value] of Object.entries(mapping)) {
    const from = Number(key);
    if (!Number.isInteger(from) || from < 0 || !Number.isInteger(value) || value < 0) {
      throw new LabError('INVALID_ARGUMENT', `mapping: expected non-negative integer classes, got ${key} → ${value}`);
    }
    map.set(from, value);
  }
  const noisy = Int32Array.from(labels);
  if (count === 'bernoulli') {
    for (let i = 0; i < noisy.length; i++) {
      const u = rng.next();
      const target = map.get(noisy[i]!);
      if (target !== undefined && u < rate) noisy[i] = target;
    }
  } else {
    for (const from of [...map.keys()].sort((a, b) => a - b)) {
      const members: number[] = [];
      for (let i = 0; i < labels.length; i++) if (labels[i] === from) members.push(i);
      const selected = selectIndices(members.length, rate, count, rng);
      members.forEach((i, k) => {
        if (selected[k]) noisy[i] = map.get(from)!;
      });
    }
  }
  return finish(labels, noisy);
}

/**
 * The class-transition matrix T[y][ỹ] = P(noisy = ỹ | clean = y) implied by a noise model, for
 * checks and for loss corrections. Symmetric flip-to-other: 1−η on the diagonal, η/(C−1) elsewhere;
 * uniform: 1−η+η/C and η/C; asymmetric: 1−η and η on the mapped pair.
 */
export function noiseTransitionMatrix(
  numClasses: number,
  rate: number,
  model:
    | { kind: 'symmetric'; convention?: 'flipToOther' | 'uniform' }
    | { kind: 'asymmetric'; mapping: Readonly<Record<number, number>> },
): Float64Array[] {
  assertInRange(numClasses, 'numClasses', { min: 2, integer: true });
  assertInRange(rate, 'rate', { min: 0, max: 1 });
  const T = Array.from({ length: numClasses }, () => new Float64Array(numClasses));
  for (let y = 0; y < numClasses; y++) {
    if (model.kind === 'symmetric') {
      const uniform = model.convention === 'uniform';
      for (let c = 0; c < numClasses; c++) {
        T[y]![c] = uniform
          ? rate / numClasses + (c === y ? 1 - rate : 0)
          : c === y
            ? 1 - rate
            : rate / (numClasses - 1);
      }
    } else {
      const target = model.mapping[y];
      if (target === undefined || target === y) T[y]![y] = 1;
      else {
        if (target >= numClasses)
          throw new LabError('OUT_OF_RANGE', `mapping: class ${y} maps to ${target}, outside [0, ${numClasses})`);
        T[y]![y] = 1 - rate;
        T[y]![target] = rate;
      }
    }
  }
  return T;
}
