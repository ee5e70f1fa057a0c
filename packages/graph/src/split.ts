import { LabError, Rng, strictOptions } from '@lab/core';

/** Options of {@link stratifiedSplit}. */
export interface StratifiedSplitOptions {
  /** Share of every class that goes to the test part, in (0, 1) (e.g. 0.2). */
  testFraction: number;
  /** Seed of the shuffles (core's `Rng`): the same seed gives the same split. */
  seed: number;
}

/** The two parts of a {@link stratifiedSplit}, each in a seeded random order, with their indices into the input. */
export interface StratifiedSplit<T> {
  train: T[];
  test: T[];
  trainIndex: number[];
  testIndex: number[];
}

function labelOf(item: number | { label?: number }, i: number): number {
  const label = typeof item === 'number' ? item : item?.label;
  if (!Number.isInteger(label))
    throw new LabError('INVALID_ARGUMENT', `items[${i}]: expected an integer class label, got ${String(label)}`);
  return label!;
}

/**
 * Seeded, class-stratified train/test split of a graph dataset, given the graphs (their `label`) or
 * the labels themselves. Each class is shuffled on its own and `round(testFraction · n_c)` of its
 * `n_c` members go to the test part, clamped so that a class with at least two members has at least
 * one on each side (a class of one goes to train). Both parts are then shuffled, so a dataset stored
 * sorted by class (PROTEINS, NCI1, DD) is mixed and the test part holds every class in proportion.
 * @example const { train, test } = stratifiedSplit(ds.graphs, { testFraction: 0.2, seed: 0 });
 */
export function stratifiedSplit<T extends number | { label?: number }>(
  items: readonly T[],
  options: StratifiedSplitOptions,
): StratifiedSplit<T> {
  const { testFraction, seed } = strictOptions<Partial<StratifiedSplitOptions>>(
    options,
    { testFraction: undefined, seed: undefined },
    'stratifiedSplit options',
    { testFraction: { min: 0, max: 1, minExclusive: true, maxExclusive: true }, seed: {} },
  );
  if (testFraction === undefined)
    throw new LabError('INVALID_ARGUMENT', 'testFraction: required, a number in (0, 1) (e.g. 0.2)');
  if (seed === undefined || !Number.isFinite(seed))
    throw new LabError('INVALID_ARGUMENT', `seed: expected a finite number, got ${seed}`);
  if (!Array.isArray(items) || items.length === 0)
    throw new LabError('EMPTY_INPUT', `items: expected a non-empty array of graphs or labels, got ${String(items)}`);
  const byClass = new Map<number, number[]>();
  items.forEach((item, i) => {
    const c = labelOf(item, i);
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  });
  const rng = new Rng(seed);
  const trainIndex: number[] = [];
  const testIndex: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = rng.shuffle(byClass.get(c)!);
    const n = members.length;
    const nTest = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(testFraction * n)));
    members.forEach((i, k) => (k < nTest ? testIndex : trainIndex).push(i));
  }
  rng.shuffle(trainIndex);
  rng.shuffle(testIndex);
  return {
    train: trainIndex.map((i) => items[i]!),
    test: testIndex.map((i) => items[i]!),
    trainIndex,
    testIndex,
  };
}
