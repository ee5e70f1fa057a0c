import { describe, expect, it } from 'vitest';
import { LabError, strictOptions } from '@lab/core';

const defaults = { temperature: 0.5, form: 'mae', normalize: true, seeds: [0], extra: undefined as number | undefined };
const checks = {
  temperature: { min: 0, minExclusive: true },
  form: ['mae', 'linear'],
  extra: { integer: true },
} as const;

describe('strictOptions', () => {
  it('merges over the defaults', () => {
    expect(strictOptions({ temperature: 0.1, extra: 3 }, defaults, 'f options', checks)).toEqual({
      ...defaults,
      temperature: 0.1,
      extra: 3,
    });
    expect(strictOptions(undefined, defaults, 'f options')).toEqual(defaults);
    expect(strictOptions({ temperature: undefined }, defaults, 'f options').temperature).toBe(0.5);
  });

  it.each([
    [
      { temprature: 0.5 },
      /f options: unknown option 'temprature' \(did you mean 'temperature'\?\); expected one of 'temperature'/,
    ],
    [{ zzz: 1 }, /unknown option 'zzz'; expected one of/],
    [{ temperature: '0.5' }, /temperature: expected number, got string \(0.5\)/],
    [{ normalize: 1 }, /normalize: expected boolean, got number/],
    [{ seeds: 3 }, /seeds: expected array, got number/],
    [{ temperature: 0 }, /temperature: expected a number > 0, got 0/],
    [{ temperature: Number.NaN }, /temperature: expected a number > 0, got NaN/],
    [{ form: 'cubic' }, /form: expected one of 'mae', 'linear', got 'cubic'/],
    [{ extra: 1.5 }, /extra: expected an integer/],
  ])('refuses %j', (given, message) => {
    expect(() => strictOptions(given as never, defaults, 'f options', checks)).toThrow(LabError);
    expect(() => strictOptions(given as never, defaults, 'f options', checks)).toThrow(message);
  });

  it('refuses a non-object', () => {
    expect(() => strictOptions(3 as never, defaults, 'f options')).toThrow(
      /f options: expected an options object, got number/,
    );
  });
});
