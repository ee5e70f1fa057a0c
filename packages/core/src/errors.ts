import * as tf from '@tensorflow/tfjs';

/** Machine-readable category of a {@link LabError}. */
export type LabErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'DTYPE_MISMATCH'
  | 'NON_FINITE'
  | 'OUT_OF_RANGE'
  | 'EMPTY_INPUT'
  | 'MALFORMED_FILE'
  | 'NOT_FOUND'
  | 'UNSUPPORTED'
  | 'BACKEND_UNAVAILABLE'
  | 'DEPENDENCY_MISSING'
  | 'IO_ERROR';

/**
 * The one error class of `@lab`: every invalid argument, malformed file or unavailable feature throws
 * a LabError whose message names the argument, what was expected and what was received.
 */
export class LabError extends Error {
  readonly code: LabErrorCode;
  constructor(code: LabErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LabError';
    this.code = code;
  }
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks a tensor's rank and (optionally) its dimensions; `null` in `expected` means "any size".
 * @example assertShape(features, [null, 128], 'features') // any N, D = 128
 */
export function assertShape(t: tf.Tensor, expected: readonly (number | null)[], name: string): void {
  const ok = t.rank === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const want = `[${expected.map((d) => (d === null ? '*' : String(d))).join(', ')}]`;
    throw new LabError('SHAPE_MISMATCH', `${name}: expected shape ${want}, got ${describeShape(t.shape)}`);
  }
}

/** Checks a tensor's rank is one of `ranks`. */
export function assertRank(t: tf.Tensor, ranks: number | readonly number[], name: string): void {
  const allowed = typeof ranks === 'number' ? [ranks] : ranks;
  if (!allowed.includes(t.rank)) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected a ${allowed.join(' or ')}-D tensor, got shape ${describeShape(t.shape)}`,
    );
  }
}

/** Checks a tensor's dtype. */
export function assertDtype(t: tf.Tensor, dtypes: tf.DataType | readonly tf.DataType[], name: string): void {
  const allowed = typeof dtypes === 'string' ? [dtypes] : dtypes;
  if (!allowed.includes(t.dtype)) {
    throw new LabError('DTYPE_MISMATCH', `${name}: expected dtype ${allowed.join(' or ')}, got ${t.dtype}`);
  }
}

/** Checks that a tensor or array holds only finite numbers (reads the tensor synchronously). */
export function assertFinite(x: tf.Tensor | ArrayLike<number>, name: string): void {
  const values = x instanceof tf.Tensor ? (x.dataSync() as ArrayLike<number>) : x;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new LabError('NON_FINITE', `${name}: expected finite values, found ${values[i]} at flat index ${i}`);
    }
  }
}

/** Checks that a tensor has at least `min` rows (first dimension). */
export function assertNonEmpty(t: tf.Tensor | ArrayLike<unknown>, name: string, min = 1): void {
  const n = t instanceof tf.Tensor ? (t.shape[0] ?? 0) : t.length;
  if (n < min) {
    throw new LabError('EMPTY_INPUT', `${name}: expected at least ${min} row${min === 1 ? '' : 's'}, got ${n}`);
  }
}

export interface RangeSpec {
  min?: number;
  max?: number;
  /** Exclude `min` itself (e.g. a temperature must be > 0). */
  minExclusive?: boolean;
  maxExclusive?: boolean;
  integer?: boolean;
}

/** Checks a number option lies in a range, e.g. `assertInRange(tau, 'temperature', { min: 0, minExclusive: true })`. */
export function assertInRange(value: number, name: string, range: RangeSpec): void {
  const { min, max, minExclusive = false, maxExclusive = false, integer = false } = range;
  const bad =
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    (integer && !Number.isInteger(value)) ||
    (min !== undefined && (minExclusive ? value <= min : value < min)) ||
    (max !== undefined && (maxExclusive ? value >= max : value > max));
  if (bad) {
    const lo = min === undefined ? '' : `${minExclusive ? '>' : '>='} ${min}`;
    const hi = max === undefined ? '' : `${maxExclusive ? '<' : '<='} ${max}`;
    const kind = integer ? 'an integer' : 'a number';
    throw new LabError(
      'OUT_OF_RANGE',
      `${name}: expected ${kind} ${[lo, hi].filter(Boolean).join(' and ')}, got ${value}`,
    );
  }
}

/** Checks that a value is one of a fixed set of choices. */
export function assertOneOf<T extends string>(value: string, choices: readonly T[], name: string): asserts value is T {
  if (!choices.includes(value as T)) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got '${value}'`,
    );
  }
}
