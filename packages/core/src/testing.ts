import * as tf from '@tensorflow/tfjs';
import { type CliSpec, runCli } from './cli/driver.js';
import { LabError } from './errors.js';

export interface GradCheckOptions {
  /** Finite-difference step (central differences). */
  epsilon?: number;
  /** Allowed |analytic − numeric| / max(1, |numeric|) per entry. */
  tolerance?: number;
  /** Check at most this many entries per input (chosen evenly); all when the input is smaller. */
  maxEntries?: number;
}

export interface GradCheckResult {
  /** Largest scaled error over the checked entries. */
  maxError: number;
  checked: number;
  passed: boolean;
}

/**
 * Compares the autograd gradient of a scalar function with central finite differences, in float32.
 * Every custom gradient in `@lab` is tested through this.
 *
 * `f` receives tensors shaped like `inputs` and must return a scalar. With float32 arithmetic, use
 * inputs of order 1, `epsilon ≈ 1e-2` and `tolerance ≈ 1e-2` (the defaults).
 *
 * @example
 * const { passed } = gradCheck((x) => x.square().sum(), [tf.tensor1d([1, 2, 3])]);
 */
export function gradCheck(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  options: GradCheckOptions = {},
): GradCheckResult {
  const { epsilon = 1e-2, tolerance = 1e-2, maxEntries = 64 } = options;
  const analytic = tf.tidy(() =>
    tf
      .grads((...xs: tf.Tensor[]) => f(...xs))(inputs)
      .map((g) => g.dataSync().slice()),
  );
  let maxError = 0;
  let checked = 0;
  inputs.forEach((input, k) => {
    const base = input.dataSync().slice() as Float32Array;
    const stride = Math.max(1, Math.floor(base.length / maxEntries));
    for (let i = 0; i < base.length; i += stride) {
      const evalAt = (delta: number) =>
        tf.tidy(() => {
          const shifted = base.slice();
          shifted[i]! += delta;
          const xs = inputs.map((x, j) => (j === k ? tf.tensor(shifted, x.shape, x.dtype) : x));
          const out = f(...xs);
          if (out.size !== 1)
            throw new LabError(
              'SHAPE_MISMATCH',
              `gradCheck: f must return a scalar, got shape [${out.shape.join(', ')}]`,
            );
          return out.dataSync()[0]!;
        });
      const numeric = (evalAt(epsilon) - evalAt(-epsilon)) / (2 * epsilon);
      const err = Math.abs(analytic[k]![i]! - numeric) / Math.max(1, Math.abs(numeric));
      maxError = Math.max(maxError, Number.isNaN(err) ? Infinity : err);
      checked++;
    }
  });
  return { maxError, checked, passed: maxError <= tolerance };
}

/**
 * Largest relative difference `|a − b| / max(atol/rtol, |b|)` style check between two arrays.
 * Returns the index and values of the worst entry so test failures say where.
 */
export function maxRelativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol = 1e-6,
): { error: number; index: number } {
  if (actual.length !== expected.length) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `maxRelativeError: lengths differ (actual ${actual.length}, expected ${expected.length})`,
    );
  }
  let error = 0;
  let index = -1;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!) / Math.max(atol, Math.abs(expected[i]!));
    const scaled = Math.abs(actual[i]! - expected[i]!) <= atol ? 0 : e;
    if (!(scaled <= error)) {
      error = Number.isNaN(scaled) ? Infinity : scaled;
      index = i;
    }
  }
  return { error, index };
}

/** Flattens nested number arrays (golden JSON) into a Float64Array. */
export function flatten(values: unknown): Float64Array {
  const out: number[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'number') out.push(v);
    else throw new LabError('INVALID_ARGUMENT', `flatten: expected nested arrays of numbers, found ${typeof v}`);
  };
  walk(values);
  return Float64Array.from(out);
}

/**
 * Runs `fn` and returns how many tensors it left behind (should be 0 for every public function).
 * @example expect(await tensorLeak(() => loss(x, y).dispose())).toBe(0)
 */
export async function tensorLeak(fn: () => unknown | Promise<unknown>): Promise<number> {
  const before = tf.memory().numTensors;
  await fn();
  return tf.memory().numTensors - before;
}

/** What {@link runCliCaptured} returns: the exit code and everything printed. */
export interface CapturedCliRun {
  code: number;
  /** console.log lines and process.stdout writes, joined by newlines. */
  stdout: string;
  /** console.error lines and process.stderr writes (progress included), joined by newlines. */
  stderr: string;
}

/**
 * Runs a CLI in-process, as `runCli(spec, argv)` does, and returns its exit code with what it printed, for
 * tests of `lab-*` commands (nothing reaches the terminal).
 *
 * @example
 * const { code, stderr } = await runCliCaptured(cliSpec, ['replicate', '--preset', 'bogus']);
 * // code 2, stderr "… --preset: expected one of 'quick', …"
 */
export async function runCliCaptured(spec: CliSpec, argv: readonly string[]): Promise<CapturedCliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = {
    log: console.log,
    error: console.error,
    stdout: process.stdout.write,
    stderr: process.stderr.write,
  };
  const text = (args: unknown[]) => args.map(String).join(' ');
  console.log = (...args: unknown[]) => void out.push(text(args));
  console.error = (...args: unknown[]) => void err.push(text(args));
  process.stdout.write = ((chunk: unknown) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(spec, argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
}
