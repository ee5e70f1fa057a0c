import { LabError } from '@lab/core';

/**
 * Refuses an options object with a key outside `allowed` (a typo such as `testFracton` would
 * otherwise be ignored) or a value that is not an object.
 */
export function checkOptionKeys(options: unknown, allowed: readonly string[], where: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new LabError('INVALID_ARGUMENT', `${where} options: expected an object, got ${String(options)}`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key))
      throw new LabError(
        'INVALID_ARGUMENT',
        `${where} options: unknown key '${key}' (expected one of ${allowed.join(', ')})`,
      );
  }
}

/**
 * Merges `options` over `defaults` after checking every key is known and every value has the type of
 * its default; numeric options are counts, so they must be positive integers.
 */
export function strictOptions<T extends { [K in keyof T]: boolean | number }>(
  options: Partial<T> | undefined,
  defaults: T,
  where: string,
): T {
  checkOptionKeys(options, Object.keys(defaults), where);
  const merged = { ...defaults, ...options };
  for (const [key, value] of Object.entries(merged)) {
    const want = typeof defaults[key as keyof T];
    if (typeof value !== want)
      throw new LabError('INVALID_ARGUMENT', `${where} options.${key}: expected a ${want}, got ${String(value)}`);
    if (want === 'number' && (!Number.isSafeInteger(value) || (value as number) < 1))
      throw new LabError('OUT_OF_RANGE', `${where} options.${key}: expected a positive integer, got ${value}`);
  }
  return merged;
}
