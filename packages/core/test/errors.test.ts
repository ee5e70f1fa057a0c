import { beforeAll, describe, expect, it } from 'vitest';
import {
  LabError,
  assertDtype,
  assertFinite,
  assertInRange,
  assertNonEmpty,
  assertOneOf,
  assertRank,
  assertShape,
  initBackend,
  tf,
} from '@lab/core';

describe('validation helpers', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('assertShape names the argument, the expected and the actual shape', () => {
    const x = tf.zeros([3, 4]);
    expect(() => assertShape(x, [null, 4], 'features')).not.toThrow();
    expect(() => assertShape(x, [3, 5], 'features')).toThrow('features: expected shape [3, 5], got [3, 4]');
    expect(() => assertShape(x, [null], 'features')).toThrow(/expected shape \[\*\]/);
    try {
      assertShape(x, [1, 1], 'w');
    } catch (err) {
      expect(err).toBeInstanceOf(LabError);
      expect((err as LabError).code).toBe('SHAPE_MISMATCH');
    }
    x.dispose();
  });

  it('assertRank and assertDtype', () => {
    const x = tf.zeros([2, 2], 'int32');
    expect(() => assertRank(x, [2, 3], 'x')).not.toThrow();
    expect(() => assertRank(x, 1, 'x')).toThrow('x: expected a 1-D tensor, got shape [2, 2]');
    expect(() => assertDtype(x, 'float32', 'x')).toThrow('x: expected dtype float32, got int32');
    x.dispose();
  });

  it('assertFinite finds NaN and Infinity with their position', () => {
    const x = tf.tensor1d([1, Number.NaN]);
    expect(() => assertFinite(x, 'x')).toThrow('x: expected finite values, found NaN at flat index 1');
    expect(() => assertFinite([0, Infinity], 'y')).toThrow(/found Infinity at flat index 1/);
    expect(() => assertFinite([0, 1], 'y')).not.toThrow();
    x.dispose();
  });

  it('assertNonEmpty, assertInRange, assertOneOf', () => {
    expect(() => assertNonEmpty([], 'batch')).toThrow('batch: expected at least 1 row, got 0');
    expect(() => assertNonEmpty([1], 'batch', 2)).toThrow('batch: expected at least 2 rows, got 1');
    expect(() => assertInRange(0, 'temperature', { min: 0, minExclusive: true })).toThrow(
      'temperature: expected a number > 0, got 0',
    );
    expect(() => assertInRange(1.5, 'rate', { min: 0, max: 1 })).toThrow(
      'rate: expected a number >= 0 and <= 1, got 1.5',
    );
    expect(() => assertInRange(2.5, 'k', { min: 1, integer: true })).toThrow('k: expected an integer >= 1, got 2.5');
    expect(() => assertInRange(Number.NaN, 'k', {})).toThrow(/got NaN/);
    expect(() => assertInRange(0.5, 'rate', { min: 0, max: 1 })).not.toThrow();
    expect(() => assertOneOf('x', ['a', 'b'], 'mode')).toThrow("mode: expected one of 'a', 'b', got 'x'");
  });
});
